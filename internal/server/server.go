// Package server assembles the HTTP surface: every route in one table
// (routes.go) with the permission it requires, the authentication and CSRF
// middleware that enforces it, metrics, health checks and graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/web"
)

// Deps are what the server needs from the application.
type Deps struct {
	Accounts *account.Service
	Web      *web.Handlers
	API      *api.Handlers
	// Ready reports whether the server can take traffic (database reachable,
	// schema current); /readyz answers 503 with its error.
	Ready   func(ctx context.Context) error
	Version string
	Log     *slog.Logger
	// UploadLimit is the largest evidence file accepted, in bytes.
	UploadLimit int64
}

// Server is the HTTP server.
type Server struct {
	Deps
	routes   []Route
	handler  http.Handler
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	openapi  []byte
}

// New builds the route table, validates it and wires the middleware.
func New(d Deps) (*Server, error) {
	s := &Server{Deps: d, registry: prometheus.NewRegistry()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "assure_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "assure_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	s.registry.MustRegister(s.requests, s.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	s.routes = s.table()
	if err := validateRoutes(s.routes); err != nil {
		return nil, err
	}
	doc, err := api.OpenAPI(d.Version, apiOperations(s.routes))
	if err != nil {
		return nil, fmt.Errorf("cannot build the OpenAPI document: %w", err)
	}
	s.openapi = doc

	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+rt.Path, s.instrument(rt.Method+" "+rt.Path, s.wrap(rt)))
	}
	mux.Handle("/", s.instrument("notfound", http.HandlerFunc(s.notFound)))
	s.handler = securityHeaders(recoverer(http.NewCrossOriginProtection().Handler(mux)))
	return s, nil
}

// Handler is the complete HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the route table (for tests and documentation).
func (s *Server) Routes() []Route { return s.routes }

// ListenAndServe serves on ln until ctx ends, then shuts down gracefully:
// new connections stop, requests in flight get up to 15 seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Log.Info("shutting down the HTTP server")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("cannot shut down cleanly: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.Ready(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

func (s *Server) metrics() http.Handler {
	return promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
}

func (s *Server) openAPIDoc(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.openapi)
}
