package monitor_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// mailServer is a real SMTP server (github.com/emersion/go-smtp) in the
// test process: STARTTLS with a certificate for 127.0.0.1, AUTH PLAIN
// offered only over TLS, and a mailbox of what it accepted.
type mailServer struct {
	addr  string
	port  int
	roots *x509.CertPool
	mu    sync.Mutex
	mails []received
}

type received struct {
	from, user string
	to         []string
	data       []byte
	tls        bool
}

type session struct {
	srv  *mailServer
	conn *smtp.Conn
	cur  received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "assure" || password != "s3cret-smtp-pass" {
			return errors.New("invalid credentials")
		}
		s.cur.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	s.cur.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.cur.data = b
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{user: s.cur.user} }
func (s *session) Logout() error { return nil }

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ms := &mailServer{roots: x509.NewCertPool()}
	ms.roots.AddCert(cert)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{srv: ms, conn: c}, nil }))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = ln.Addr().String()
	ms.port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ms
}

func (m *mailServer) received() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.mails...)
}

// TestEmailArrives: an e-mail channel delivers over STARTTLS with AUTH to
// a real SMTP server; the message has the change in its subject and body.
func TestEmailArrives(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ms := newMailServer(t)
		w := newWorld(t, st)
		w.roots = ms.roots
		w.mon = w.newMonitor()
		ch, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "security-team", Kind: model.ChannelEmail,
			MinSeverity: model.SeverityHigh, Config: map[string]string{"host": "127.0.0.1", "port": strconv.Itoa(ms.port),
				"username": "assure", "password": "s3cret-smtp-pass", "from": "Assure <assure@acme.test>", "to": "sec@acme.test, ciso@acme.test"}})
		if err != nil {
			t.Fatal(err)
		}
		d, err := w.mon.TestChannel(ctx, w.p, ch.ID)
		if err != nil || d.Status != model.DeliverySent {
			t.Fatalf("test send: %+v %v", d, err)
		}
		w.hosts.set("web-1", sshd(false))
		w.addIntegration("hosts", time.Hour)
		w.tick(w.mon)
		w.dispatch(w.mon)
		w.hosts.set("web-1", sshd(true)) // breaks: one high change
		w.advance(time.Hour)
		w.tick(w.mon)
		if res := w.dispatch(w.mon); res.Sent != 1 {
			t.Fatalf("dispatch: %+v", res)
		}
		mails := ms.received()
		if len(mails) != 2 {
			t.Fatalf("%d mails arrived", len(mails))
		}
		m := mails[1]
		if !m.tls || m.user != "assure" || m.from != "assure@acme.test" || strings.Join(m.to, ",") != "sec@acme.test,ciso@acme.test" {
			t.Fatalf("envelope: tls %v user %q from %q to %v", m.tls, m.user, m.from, m.to)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.data))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if subject != "[Assure] FAILING: SSH does not accept passwords — web-1 (Acme)" {
			t.Errorf("subject %q", subject)
		}
		body, _ := io.ReadAll(msg.Body)
		text := strings.ReplaceAll(decodeQP(t, body), "\r\n", "\n")
		for _, want := range []string{
			"1 test status change(s) in Acme (1 failing, 0 passing, 0 other).",
			"- FAILING [high] SSH does not accept passwords — host.sshd web-1 (hosts): passing → failing: not met: password_authentication = true",
			"Controls: IAM-04, END-02",
			"https://assure.example.com/tests/host.sshd.password_authentication_disabled",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("body lacks %q:\n%s", want, text)
			}
		}
		if msg.Header.Get("X-Assure-Delivery") == "" || msg.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("headers: %v", msg.Header)
		}
		if first, _ := mail.ReadMessage(bytes.NewReader(mails[0].data)); !strings.Contains(first.Header.Get("Subject"), "Test notification") {
			t.Errorf("the test message's subject: %q", first.Header.Get("Subject"))
		}

		// A wrong password is refused for good, and says so.
		bad := "wrong-password-here"
		if _, err := w.mon.UpdateChannel(ctx, w.p, ch.ID, monitor.ChannelUpdate{Config: map[string]*string{"password": &bad}}); err != nil {
			t.Fatal(err)
		}
		d, err = w.mon.TestChannel(ctx, w.p, ch.ID)
		if err != nil || d.Status != model.DeliveryFailed || !strings.Contains(d.LastError, "refused the username and password") {
			t.Fatalf("wrong password: %+v %v", d, err)
		}
	})
}

func decodeQP(t *testing.T, b []byte) string {
	t.Helper()
	out, err := io.ReadAll(quotedPrintable(b))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func quotedPrintable(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }
