package web

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

type loginData struct {
	Error, Email, Next string
}

// LoginForm shows the sign-in page (or goes home when already signed in).
func (h *Handlers) LoginForm(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if _, _, err := h.Accounts.SessionPrincipal(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	if err := h.renderBare(w, http.StatusOK, "login", "Sign in", loginData{Next: safeNext(r.URL.Query().Get("next"))}); err != nil {
		h.Error(w, r, err)
	}
}

// Login checks the credentials, sets the session cookie and redirects.
func (h *Handlers) Login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email := strings.TrimSpace(r.PostFormValue("email"))
	data := loginData{Email: email, Next: safeNext(r.PostFormValue("next"))}
	if !h.SignInLimiter.Allow(clientIP(r)) || !h.EmailLimiter.Allow(strings.ToLower(email)) {
		data.Error = "Too many sign-in attempts. Wait a minute and try again."
		_ = h.renderBare(w, http.StatusTooManyRequests, "login", "Sign in", data)
		return
	}
	secret, p, err := h.Accounts.SignIn(r.Context(), email, r.PostFormValue("password"))
	if err != nil {
		status := httpx.Status(err)
		switch {
		case errors.Is(err, account.ErrBadCredentials):
			data.Error = "The e-mail or password is not right."
		case status < 500:
			data.Error = err.Error()
		default:
			data.Error = httpx.PublicMessage(r, err)
		}
		_ = h.renderBare(w, status, "login", "Sign in", data)
		return
	}
	http.SetCookie(w, h.sessionCookie(secret, int(account.SessionMax.Seconds())))
	httpx.Logger(r.Context()).InfoContext(r.Context(), "signed in", "user_id", p.User.ID, "org_id", p.Org.ID)
	http.Redirect(w, r, data.Next, http.StatusSeeOther)
}

// Logout ends the session.
func (h *Handlers) Logout(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if sess, ok := httpx.SessionFrom(r.Context()); ok {
		if err := h.Accounts.SignOut(r.Context(), sess.Secret); err != nil {
			return err
		}
	}
	http.SetCookie(w, h.sessionCookie("", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// SwitchOrg moves the session to another of the user's organizations.
func (h *Handlers) SwitchOrg(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	sess, _ := httpx.SessionFrom(r.Context())
	org, err := h.Accounts.SwitchOrg(r.Context(), sess.Secret, p, r.PostFormValue("org"))
	if err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, "Now working in "+org.Name+".", "/")
}

func (h *Handlers) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode,
	}
}

// safeNext keeps redirects after sign-in on this site: only local paths.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

// clientIP is the address the limiter counts sign-in attempts against. It
// deliberately ignores X-Forwarded-For, which any client can set.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
