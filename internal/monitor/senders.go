package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/assurehq/assure/internal/buildinfo"
	"github.com/assurehq/assure/internal/model"
)

// attempt is how one send ended.
type attempt struct {
	// Response is what the receiver answered (for the delivery log).
	Response string
	// Permanent marks an error that retrying will not cure (a refused
	// request, a bad address): the delivery fails at once.
	Permanent bool
	// RetryAfter is the wait the receiver asked for (429 / 503).
	RetryAfter time.Duration
}

// Signature headers of webhook deliveries (docs/notifications.md#verifying-a-webhook).
const (
	HeaderDelivery  = "X-Assure-Delivery"
	HeaderEvent     = "X-Assure-Event"
	HeaderTimestamp = "X-Assure-Timestamp"
	HeaderSignature = "X-Assure-Signature"
)

// Sign computes the signature header value of a webhook body sent at ts
// (Unix seconds): "sha256=" and the hex HMAC-SHA256, keyed with the
// channel's signing secret, of the timestamp, a dot, and the body.
func Sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ts, 10)))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook delivery's signature and that its timestamp is
// within tolerance of now: what a receiver does (Go receivers may call it).
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil {
		return errors.New("no valid " + HeaderTimestamp + " header")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("the timestamp is %s away from now: a replay, or a clock that is off", d.Round(time.Second))
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(header.Get(HeaderSignature))) {
		return errors.New("the signature does not match the body")
	}
	return nil
}

// guardedClient is the HTTP client of webhooks: a timeout, no redirects
// (a redirect would carry the signed body elsewhere), and no connection to
// link-local addresses (cloud metadata endpoints).
func guardedClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
			return fmt.Errorf("notifications are not sent to the link-local address %s", ip)
		}
		return nil
	}}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = dialer.DialContext
	tr.Proxy = nil
	return &http.Client{
		Timeout:   20 * time.Second,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// postJSON posts body and classifies the answer.
func (s *Service) postJSON(ctx context.Context, rawURL string, body []byte, header http.Header) (attempt, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return attempt{Permanent: true}, fmt.Errorf("the URL cannot be used: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Assure/"+buildinfo.Read().Version)
	resp, err := s.http.Do(req)
	if err != nil {
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) {
			err = ue.Unwrap() // the URL may carry a token: name only the cause
		}
		return attempt{}, fmt.Errorf("cannot reach the receiver: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	a := attempt{Response: "HTTP " + strconv.Itoa(resp.StatusCode)}
	text := strings.TrimSpace(string(snippet))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return a, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Permanent = true
		return a, fmt.Errorf("the receiver answered %s with a redirect to %q: redirects are not followed; give the final URL", resp.Status, resp.Header.Get("Location"))
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		a.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
		return a, fmt.Errorf("the receiver answered %s: %s", resp.Status, text)
	default:
		a.Permanent = true
		return a, fmt.Errorf("the receiver refused the message with %s: %s", resp.Status, text)
	}
}

func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// WebhookBody is the JSON a webhook receives: the message with the
// delivery's id.
type WebhookBody struct {
	DeliveryID int64 `json:"delivery_id"`
	Message
}

func (s *Service) sendWebhook(ctx context.Context, cfg channelSecrets, d model.NotificationDelivery, m Message) (attempt, error) {
	body, err := json.Marshal(WebhookBody{DeliveryID: d.ID, Message: m})
	if err != nil {
		return attempt{Permanent: true}, err
	}
	ts := s.now().Unix()
	h := http.Header{}
	h.Set(HeaderDelivery, strconv.FormatInt(d.ID, 10))
	h.Set(HeaderEvent, m.Type)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Sign(cfg.Secret, ts, body))
	return s.postJSON(ctx, cfg.URL, body, h)
}

// Slack's Block Kit limits (api.slack.com/reference/block-kit/blocks).
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
	slackMaxBlocks  = 50
	slackListed     = 20 // changes listed one by one; the rest are counted
)

// SlackMessage is an incoming-webhook message: text (the notification
// fallback) and blocks.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks"`
}

// SlackBlock is a header, section or context block.
type SlackBlock struct {
	Type     string      `json:"type"`
	Text     *SlackText  `json:"text,omitempty"`
	Elements []SlackText `json:"elements,omitempty"`
}

// SlackText is a text object: plain_text or mrkdwn.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackLink(url, text string) string {
	if url == "" {
		return slackEscape(text)
	}
	return "<" + url + "|" + strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "¦").Replace(text) + ">"
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func section(text string) SlackBlock {
	return SlackBlock{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: cut(text, slackSectionMax)}}
}

// Slack renders the message in Slack's incoming-webhook format.
func (m Message) Slack(baseURL string) SlackMessage {
	subject := strings.TrimPrefix(m.Subject(), "[Assure] ")
	out := SlackMessage{Text: cut(subject, 3000),
		Blocks: []SlackBlock{{Type: "header", Text: &SlackText{Type: "plain_text", Text: cut(subject, slackHeaderMax)}}}}
	switch m.Type {
	case TypeChanges:
		out.Blocks = append(out.Blocks, section(fmt.Sprintf("*%d* failing · *%d* passing · *%d* other", m.Summary.Failing, m.Summary.Passing, m.Summary.Other)))
		changes := sortedChanges(m.Changes)
		for i, c := range changes {
			if i == slackListed {
				break
			}
			text := fmt.Sprintf("*%s* · `%s` · %s\n`%s` %s (%s): %s → %s", transitionWord(c.StatusChange), c.Severity,
				slackLink(c.TestURL, c.TestTitle), slackEscape(c.ResourceType), slackLink(c.ResourceURL, c.ResourceName),
				slackEscape(c.Integration), statusWord(c.From), statusWord(c.To))
			if c.Message != "" {
				text += "\n>" + slackEscape(cut(c.Message, 500))
			}
			out.Blocks = append(out.Blocks, section(text))
		}
		if len(changes) > slackListed {
			more := fmt.Sprintf("…and %d more changes", len(changes)-slackListed)
			if baseURL != "" {
				more += ": " + slackLink(strings.TrimRight(baseURL, "/")+"/tests", "see the tests")
			}
			out.Blocks = append(out.Blocks, section(more))
		}
	case TypeReminders:
		for i, r := range m.Reminders {
			if i == slackListed {
				out.Blocks = append(out.Blocks, section(fmt.Sprintf("…and %d more items", len(m.Reminders)-slackListed)))
				break
			}
			text := fmt.Sprintf("*%s* %s (on %s)", slackLink(r.URL, r.Title), expiryWords(r.DaysLeft), r.ExpiresOn)
			if len(r.Controls) > 0 {
				text += "\nControls: " + slackEscape(strings.Join(r.Controls, ", "))
			}
			out.Blocks = append(out.Blocks, section(text))
		}
	default:
		out.Blocks = append(out.Blocks, section(slackEscape(m.Text)))
	}
	out.Blocks = append(out.Blocks, SlackBlock{Type: "context", Elements: []SlackText{{Type: "mrkdwn",
		Text: "Assure · organization " + slackEscape(m.Organization.Slug)}}})
	if len(out.Blocks) > slackMaxBlocks {
		out.Blocks = out.Blocks[:slackMaxBlocks]
	}
	return out
}

func (s *Service) sendSlack(ctx context.Context, cfg channelSecrets, m Message) (attempt, error) {
	body, err := json.Marshal(m.Slack(s.opts.BaseURL))
	if err != nil {
		return attempt{Permanent: true}, err
	}
	return s.postJSON(ctx, cfg.URL, body, nil)
}

// TLS modes of e-mail channels.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (required)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption (a relay on the same network)
)

// emailMessage builds the RFC 5322 message: plain text, quoted-printable.
func emailMessage(from string, to []string, subject, text string, deliveryID int64, now time.Time, host string) []byte {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", from)
	h("To", strings.Join(to, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", fmt.Sprintf("<assure-delivery-%d-%d@%s>", deliveryID, now.Unix(), host))
	h(HeaderDelivery, strconv.FormatInt(deliveryID, 10))
	h("Auto-Submitted", "auto-generated")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n")))
	qp.Close()
	return b.Bytes()
}

// sendEmail delivers over SMTP: STARTTLS (required) or implicit TLS, AUTH
// PLAIN when a username is set (only over TLS), one message to every
// recipient.
func (s *Service) sendEmail(ctx context.Context, cfg channelSecrets, d model.NotificationDelivery, m Message) (a attempt, err error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	tlsCfg := &tls.Config{ServerName: cfg.Host, RootCAs: s.opts.SMTPRootCAs, MinVersion: tls.VersionTLS12}
	dialer := &net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	if cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsCfg}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return attempt{Permanent: isCertError(err)}, fmt.Errorf("cannot connect to the SMTP server %s: %w", addr, err)
	}
	deadline := time.Now().Add(time.Minute)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return smtpAttempt(err), fmt.Errorf("the SMTP server %s did not greet: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello("assure.localhost"); err != nil {
		return smtpAttempt(err), fmt.Errorf("EHLO refused by %s: %w", addr, err)
	}
	if cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return attempt{Permanent: true}, fmt.Errorf("the SMTP server %s does not offer STARTTLS: use tls=tls for port 465, or tls=none only for a relay on a trusted network", addr)
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return attempt{Permanent: isCertError(err)}, fmt.Errorf("STARTTLS with %s failed: %w", addr, err)
		}
	}
	if cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return attempt{Permanent: true}, fmt.Errorf("the SMTP server %s offers no authentication: remove the username, or check the port", addr)
		}
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			return attempt{Permanent: true}, fmt.Errorf("the SMTP server %s refused the username and password: %w", addr, err)
		}
	}
	if err := c.Mail(cfg.From); err != nil {
		return smtpAttempt(err), fmt.Errorf("the SMTP server refused the sender %s: %w", cfg.From, err)
	}
	for _, to := range cfg.To {
		if err := c.Rcpt(to); err != nil {
			return smtpAttempt(err), fmt.Errorf("the SMTP server refused the recipient %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpAttempt(err), fmt.Errorf("the SMTP server refused the message: %w", err)
	}
	if _, err := w.Write(emailMessage(cfg.From, cfg.To, m.Subject(), m.PlainText(), d.ID, s.now(), cfg.Host)); err != nil {
		return smtpAttempt(err), fmt.Errorf("cannot send the message to %s: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return smtpAttempt(err), fmt.Errorf("the SMTP server did not accept the message: %w", err)
	}
	_ = c.Quit()
	return attempt{Response: fmt.Sprintf("accepted by %s for %d recipient(s)", addr, len(cfg.To))}, nil
}

// smtpAttempt classifies an SMTP error: a 5xx reply is permanent, a 4xx
// reply or a broken connection is worth retrying.
func smtpAttempt(err error) attempt {
	var te *textproto.Error
	if errors.As(err, &te) {
		return attempt{Response: strconv.Itoa(te.Code) + " " + te.Msg, Permanent: te.Code >= 500}
	}
	return attempt{}
}

func isCertError(err error) bool {
	var ce *tls.CertificateVerificationError
	return errors.As(err, &ce)
}

func validAddress(s string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return a.Address, nil
}
