package server

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/web"
)

// maxFormBody bounds page form posts (file uploads will have their own limit).
const maxFormBody = 256 << 10

// wrap puts the route's authentication and permission check in front of its
// handler. The check runs before anything else the route does.
func (s *Server) wrap(rt Route) http.Handler {
	switch {
	case rt.Public != nil:
		return rt.Public
	case rt.API != nil:
		return s.apiRoute(rt)
	default:
		return s.pageRoute(rt)
	}
}

func (s *Server) apiRoute(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearer(r)
		if !ok {
			httpx.WriteError(w, r, fmt.Errorf("send an API token as Authorization: Bearer <token>: %w", model.ErrUnauthenticated))
			return
		}
		p, err := s.Accounts.TokenPrincipal(r.Context(), secret)
		if err != nil {
			if errors.Is(err, model.ErrUnauthenticated) {
				err = fmt.Errorf("the bearer token is not valid, or has expired or been revoked: %w", model.ErrUnauthenticated)
			}
			httpx.WriteError(w, r, err)
			return
		}
		if !p.Can(rt.Perm) {
			httpx.WriteError(w, r, forbidden(p, rt.Perm))
			return
		}
		r = r.WithContext(httpx.WithPrincipal(r.Context(), p))
		r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(rt, httpx.MaxJSONBody))
		v, err := rt.API(r, p)
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		switch v := v.(type) {
		case httpx.File:
			httpx.WriteFile(w, v)
		case httpx.NoContent:
			w.WriteHeader(http.StatusNoContent)
		case httpx.Created:
			httpx.WriteJSON(w, http.StatusCreated, v.Body)
		default:
			httpx.WriteJSON(w, http.StatusOK, v)
		}
	})
}

// bodyLimit is the largest request body a route accepts: the upload limit
// (plus room for the form's other fields) on upload routes.
func (s *Server) bodyLimit(rt Route, def int64) int64 {
	if rt.Upload {
		return s.UploadLimit + 1<<20
	}
	return def
}

func forbidden(p model.Principal, perm model.Permission) error {
	return &forbiddenError{role: p.Role, perm: perm}
}

type forbiddenError struct {
	role model.Role
	perm model.Permission
}

func (e *forbiddenError) Error() string {
	return "your role (" + string(e.role) + ") does not have the " + string(e.perm) + " permission this needs"
}
func (e *forbiddenError) Unwrap() error { return model.ErrForbidden }

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

func (s *Server) pageRoute(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(web.SessionCookie)
		var secret string
		if err == nil {
			secret = c.Value
		}
		p, sess, err := s.Accounts.SessionPrincipal(r.Context(), secret)
		if errors.Is(err, model.ErrUnauthenticated) {
			next := "/"
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if err != nil {
			s.Web.Error(w, r, err)
			return
		}
		ctx := httpx.WithPrincipal(r.Context(), p)
		info := httpx.SessionInfo{Secret: secret, CSRF: sess.CSRFToken, Flash: sess.Flash}
		r = r.WithContext(httpx.WithSession(ctx, info))
		if sess.Flash != "" {
			// Shown on this response only, whatever it turns out to be.
			if err := s.Accounts.SetFlash(r.Context(), secret, ""); err != nil {
				s.Log.Warn("cannot clear flash message", "err", err)
			}
		}
		if !p.Can(rt.Perm) {
			s.Web.Error(w, r, forbidden(p, rt.Perm))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(rt, maxFormBody))
			if rt.Upload {
				// Parse the multipart form here, so an oversized upload says
				// so instead of failing the CSRF check below.
				if err := r.ParseMultipartForm(8 << 20); err != nil {
					var mbe *http.MaxBytesError
					if errors.As(err, &mbe) {
						s.Web.Error(w, r, fmt.Errorf("the upload is larger than the limit (--max-upload-size): %w", httpx.ErrTooLarge))
						return
					}
				}
			}
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.CSRFToken)) != 1 {
				s.Web.Error(w, r, &csrfError{})
				return
			}
		}
		if err := rt.Page(w, r, p); err != nil {
			s.Web.Error(w, r, err)
		}
	})
}

type csrfError struct{}

func (*csrfError) Error() string {
	return "the form has expired or did not come from this site: reload the page and try again"
}
func (*csrfError) Unwrap() error { return model.ErrForbidden }

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpx.WriteError(w, r, fmt.Errorf("no API route %s %s (see /api/v1/openapi.json): %w", r.Method, r.URL.Path, model.ErrNotFound))
		return
	}
	s.Web.Error(w, r, model.ErrNotFound)
}

// statusWriter remembers the status code for metrics and logs.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts and times requests per route pattern and logs them
// (method, route, status, duration: never query strings or bodies).
func (s *Server) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		log := s.Log.With("route", route)
		next.ServeHTTP(sw, r.WithContext(httpx.WithLogger(r.Context(), log)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		s.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.duration.WithLabelValues(route).Observe(d.Seconds())
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelError
		}
		log.Log(r.Context(), level, "http", "status", sw.status, "duration_ms", d.Milliseconds())
	})
}

func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				httpx.Logger(r.Context()).ErrorContext(r.Context(), "panic while serving", "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "internal server error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}
