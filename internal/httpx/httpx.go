// Package httpx holds what the page handlers (web), the JSON handlers (api)
// and the server share: the request's principal and session, JSON and error
// responses, and the sign-in rate limiter. It knows no routes.
package httpx

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/model"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	sessionKey
	loggerKey
)

// WithLogger stores the request's logger in its context.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey, l)
}

// Logger returns the request's logger (the server's, with the route), or
// slog's default outside a request.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// SessionInfo is what a page needs from the browser session.
type SessionInfo struct {
	Secret string // the cookie secret, to set flash messages or sign out
	CSRF   string // the token every form posts back
	Flash  string // the message to show once on this page
}

// WithPrincipal stores the authenticated principal in the request context.
func WithPrincipal(ctx context.Context, p model.Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// PrincipalFrom returns the request's principal; ok is false on public routes.
func PrincipalFrom(ctx context.Context) (model.Principal, bool) {
	p, ok := ctx.Value(principalKey).(model.Principal)
	return p, ok
}

// WithSession stores the browser session in the request context.
func WithSession(ctx context.Context, s SessionInfo) context.Context {
	return context.WithValue(ctx, sessionKey, s)
}

// SessionFrom returns the browser session, if the request has one.
func SessionFrom(ctx context.Context) (SessionInfo, bool) {
	s, ok := ctx.Value(sessionKey).(SessionInfo)
	return s, ok
}

// Status maps an error to an HTTP status code.
func Status(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case model.IsValidation(err):
		return http.StatusBadRequest
	case errors.Is(err, model.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, model.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, model.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, model.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, context.Canceled):
		return 499
	default:
		return http.StatusInternalServerError
	}
}

// PublicMessage is what a caller may see of an error: the error's own text
// for client errors, a generic sentence (and a log line) for server errors.
func PublicMessage(r *http.Request, err error) string {
	if Status(err) >= 500 {
		Logger(r.Context()).ErrorContext(r.Context(), "request failed", "err", err)
		return "something went wrong on the server; the error has been logged"
	}
	return err.Error()
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
		Field   string `json:"field,omitempty"`
	} `json:"error"`
}

// WriteError writes err as a JSON error body with the matching status.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var body ErrorBody
	body.Error.Status = Status(err)
	body.Error.Message = PublicMessage(r, err)
	var v *model.ValidationError
	if errors.As(err, &v) {
		body.Error.Field = v.Field
	}
	if body.Error.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="assure"`)
	}
	WriteJSON(w, body.Error.Status, body)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// MaxJSONBody bounds every JSON request body.
const MaxJSONBody = 1 << 20

// ErrTooLarge is wrapped by errors about oversized request bodies (413).
var ErrTooLarge = errors.New("request body too large")

// DecodeJSON reads a JSON body into v, refusing unknown fields so a typo is
// an error rather than silently ignored. The server bounds every API body
// with http.MaxBytesReader(MaxJSONBody) before the handler runs.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, _ := mime.ParseMediaType(ct)
		if mt != "application/json" {
			return model.Invalid("", "send the request body as application/json (got %s)", mt)
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("the JSON body is larger than %d bytes: %w", mbe.Limit, ErrTooLarge)
		}
		if errors.Is(err, io.EOF) {
			return model.Invalid("", "the request needs a JSON body")
		}
		return model.Invalid("", "the JSON body is not valid: %v", err)
	}
	if dec.More() {
		return model.Invalid("", "the JSON body must hold a single object")
	}
	return nil
}

// PathID parses an integer path parameter.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s %q: %w", name, r.PathValue(name), model.ErrNotFound)
	}
	return id, nil
}

// Created wraps a response body that should be sent with 201 Created.
type Created struct{ Body any }

// NoContent is returned by handlers that answer 204.
type NoContent struct{}

// File is a response that streams stored content (an evidence file, a raw
// API response) instead of JSON. Handlers return it; the server writes it
// with WriteFile. The handler gives up Body.
type File struct {
	Name      string // the file name offered to the receiver
	MediaType string // as stored
	Size      int64  // -1 when unknown
	SHA256    string // hex, sent so the receiver can check what it got
	Body      io.ReadCloser
	// Inline lets JSON and plain text show in the browser (as
	// application/json or text/plain, whatever the origin claimed);
	// everything else, and everything when false, downloads as an
	// attachment.
	Inline bool
}

// WriteFile streams f safely: nothing stored ever runs in the page (CSP
// sandbox, nosniff), and its digest travels in Repr-Digest and the ETag.
func WriteFile(w http.ResponseWriter, f File) {
	defer f.Body.Close()
	ct, disposition := f.MediaType, "attachment"
	if f.Inline {
		mt, _, _ := mime.ParseMediaType(f.MediaType)
		switch {
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			ct, disposition = "application/json", "inline"
		case strings.HasPrefix(mt, "text/"):
			ct, disposition = "text/plain; charset=utf-8", "inline"
		default:
			ct = "application/octet-stream"
		}
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	if raw, err := hex.DecodeString(f.SHA256); err == nil && len(raw) == 32 {
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(raw)+":")
		h.Set("ETag", `"`+f.SHA256+`"`)
	}
	if f.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, f.Body)
}

// ObservationFile is the stored body of an observation (a raw API response,
// a command's output), shown inline when it is JSON or text.
func ObservationFile(ob model.Observation, body io.ReadCloser) File {
	ext := ".bin"
	switch {
	case strings.Contains(ob.ContentType, "json"):
		ext = ".json"
	case strings.HasPrefix(ob.ContentType, "text/"):
		ext = ".txt"
	}
	return File{Name: "observation-" + strconv.FormatInt(ob.ID, 10) + ext, MediaType: ob.ContentType, Size: ob.Size,
		SHA256: ob.SHA256, Body: body, Inline: true}
}

// UploadedFileName is the file name exactly as the client sent it. Go's
// multipart parser reduces names to their last path element; evidence
// uploads refuse a name that carries a path instead, so the sender learns
// of it rather than having it silently changed.
func UploadedFileName(fh *multipart.FileHeader) string {
	if _, params, err := mime.ParseMediaType(fh.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	return fh.Filename
}
