package collect

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// runtime is the connector.Runtime of one run (or one probe): its HTTP
// client and Record store every observation, with secrets stripped, as a
// row of the run and a blob, and note it for connector.Track.
type runtime struct {
	now    func() time.Time
	log    *slog.Logger
	client *http.Client
	redact *redactor
	// sink stores an observation; nil discards (connection tests and
	// configuration checks, which belong to no run).
	sink func(ctx context.Context, ob model.Observation, body []byte) (int64, error)

	mu      sync.Mutex
	listing string // the resource type being listed; "" during Open and Probe
	calls   atomic.Int64
	seq     atomic.Int64 // call refs when there is no sink
}

func newRuntime(s *Service, reg connector.Registration, rateLimit float64, secrets []string, log *slog.Logger,
	sink func(ctx context.Context, ob model.Observation, body []byte) (int64, error)) *runtime {
	rt := &runtime{now: s.now, log: log, redact: newRedactor(secrets), sink: sink}
	if rateLimit <= 0 {
		rateLimit = reg.HTTP.RateLimit
	}
	rt.client = newHTTPClient(s.opts.HTTP, rateLimit, reg.HTTP.Throttle, s.now, rt.record)
	return rt
}

func (r *runtime) HTTPClient() *http.Client { return r.client }
func (r *runtime) Now() time.Time           { return r.now() }
func (r *runtime) Log() *slog.Logger        { return r.log }

func (r *runtime) setListing(t string) {
	r.mu.Lock()
	r.listing = t
	r.mu.Unlock()
}

func (r *runtime) currentListing() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.listing
}

// Record implements connector.Runtime for non-HTTP observations.
func (r *runtime) Record(ctx context.Context, o connector.Observation, body []byte) (connector.CallRef, error) {
	ref, err := r.record(ctx, o, body, "")
	if err != nil {
		return ref, err
	}
	connector.Note(ctx, ref)
	return ref, nil
}

// record stores one observation: the path without its query string, the
// body through the connector's body filter (connector.WithBodyFilter), and
// every secret value replaced in the path, the host, the error and the body.
func (r *runtime) record(ctx context.Context, o connector.Observation, body []byte, errText string) (connector.CallRef, error) {
	r.calls.Add(1)
	body, filtered := connector.FilterBody(ctx, body)
	stored, redacted := r.redact.bytes(body)
	redacted = redacted || filtered
	ct := o.ContentType
	if ct == "" && len(stored) > 0 {
		ct = http.DetectContentType(stored)
	}
	ob := model.Observation{
		ResourceType: r.currentListing(),
		Method:       strings.ToUpper(o.Method),
		Host:         r.redact.text(stripUserinfo(o.Host)),
		Path:         r.redact.text(stripQuery(o.Path)),
		Status:       o.Status,
		StartedAt:    o.StartedAt.UTC(),
		DurationMS:   float64(o.Duration.Microseconds()) / 1000,
		Size:         int64(len(stored)),
		SHA256:       blob.Digest(stored),
		ContentType:  ct,
		Error:        r.redact.text(errText),
		Redacted:     redacted,
	}
	if ob.StartedAt.IsZero() {
		ob.StartedAt = r.now()
	}
	if r.sink == nil {
		return connector.CallRef{ID: -r.seq.Add(1)}, nil
	}
	id, err := r.sink(ctx, ob, stored)
	if err != nil {
		return connector.CallRef{}, err
	}
	return connector.CallRef{ID: id}, nil
}

// stripQuery drops a query string or fragment from an HTTP path (a command
// line or SQL text has none to drop, and keeps its "?").
func stripQuery(p string) string {
	if strings.HasPrefix(p, "/") {
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			return p[:i]
		}
	}
	return p
}

func stripUserinfo(h string) string {
	if i := strings.LastIndex(h, "@"); i >= 0 {
		return h[i+1:]
	}
	return h
}

// redactor replaces secret values wherever they could be stored: the values
// as given, query-escaped and path-escaped. (Headers, where encoded forms
// such as basic auth travel, are never recorded.)
type redactor struct {
	needles [][]byte
}

// Redacted replaces a secret value in stored text.
const Redacted = "[redacted]"

// minSecretLen: shorter values ("1", "no") would redact ordinary words.
const minSecretLen = 4

func newRedactor(secrets []string) *redactor {
	set := map[string]bool{}
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		set[s] = true
		set[url.QueryEscape(s)] = true
		set[url.PathEscape(s)] = true
	}
	r := &redactor{}
	for s := range set {
		r.needles = append(r.needles, []byte(s))
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(r.needles, func(i, j int) bool { return len(r.needles[i]) > len(r.needles[j]) })
	return r
}

func (r *redactor) bytes(b []byte) ([]byte, bool) {
	if r == nil || len(r.needles) == 0 || len(b) == 0 {
		return b, false
	}
	out, changed := b, false
	for _, n := range r.needles {
		if bytes.Contains(out, n) {
			out = bytes.ReplaceAll(out, n, []byte(Redacted))
			changed = true
		}
	}
	return out, changed
}

func (r *redactor) text(s string) string {
	b, _ := r.bytes([]byte(s))
	return string(b)
}

func (r *redactor) err(err error) string {
	if err == nil {
		return ""
	}
	return r.text(err.Error())
}

// errorText is an error's message with secrets replaced, or "".
func (r *redactor) errorOf(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(r.err(err))
}

var _ connector.Runtime = (*runtime)(nil)

// sinkFor stores observations of a run: the body as a blob, the row in the
// store.
func (s *Service) sinkFor(ost *store.OrgStore, runID int64) func(ctx context.Context, ob model.Observation, body []byte) (int64, error) {
	return func(ctx context.Context, ob model.Observation, body []byte) (int64, error) {
		// An unchanged answer is already stored: skip even the temporary write.
		ref, err := s.opts.Blobs.Stat(ctx, blob.Digest(body))
		if err != nil {
			if ref, err = s.opts.Blobs.Put(ctx, bytes.NewReader(body)); err != nil {
				return 0, err
			}
		}
		ob.RunID, ob.SHA256, ob.Size = runID, ref.SHA256, ref.Size
		return ost.InsertObservation(ctx, ob)
	}
}
