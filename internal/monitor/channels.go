package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Ledger entry kinds of channel changes (a user action that changes what
// the organization hears about).
const (
	KindChannelAdded   = "notification_channel.added"
	KindChannelChanged = "notification_channel.changed"
	KindChannelRemoved = "notification_channel.removed"
)

// DefaultReminderDays are the evidence expiry reminders a channel sends
// unless told otherwise: two weeks and one day before.
var DefaultReminderDays = []int{14, 1}

// ChannelInput creates a channel. Config holds every setting of the kind,
// secret ones included (they are sealed and never returned):
//
//	webhook: url (required), secret (the signing secret; generated when absent)
//	slack:   url (required: the incoming webhook URL)
//	email:   host, from, to (required; to is comma-separated), port, tls
//	         (starttls, tls or none), username, password
type ChannelInput struct {
	Name        string            `json:"name"`
	Kind        model.ChannelKind `json:"kind"`
	Config      map[string]string `json:"config"`
	MinSeverity model.Severity    `json:"min_severity,omitempty"`
	Controls    []string          `json:"controls,omitempty"`
	// Integrations are integration names.
	Integrations []string `json:"integrations,omitempty"`
	OnlyFailures bool     `json:"only_failures,omitempty"`
	// ReminderDays defaults to [14, 1]; [] sends no reminders.
	ReminderDays *[]int `json:"reminder_days,omitempty"`
	Enabled      *bool  `json:"enabled,omitempty"`
}

// ChannelUpdate changes a channel: absent fields stay; in Config a value
// sets a setting and null clears it.
type ChannelUpdate struct {
	Name         *string            `json:"name,omitempty"`
	Config       map[string]*string `json:"config,omitempty"`
	MinSeverity  *model.Severity    `json:"min_severity,omitempty"`
	Controls     *[]string          `json:"controls,omitempty"`
	Integrations *[]string          `json:"integrations,omitempty"`
	OnlyFailures *bool              `json:"only_failures,omitempty"`
	ReminderDays *[]int             `json:"reminder_days,omitempty"`
	Enabled      *bool              `json:"enabled,omitempty"`
}

// ChannelView is a channel for people and programs.
type ChannelView struct {
	model.NotificationChannel
	// IntegrationNames name the integrations of the filter.
	IntegrationNames []string `json:"integration_names"`
	// SigningSecret is the webhook signing secret Assure generated, shown
	// once, in the answer that created the channel.
	SigningSecret string `json:"signing_secret,omitempty"`
}

// channelFields lists each kind's settings; secret ones are sealed.
var channelFields = map[model.ChannelKind][]struct {
	name     string
	secret   bool
	required bool
}{
	model.ChannelWebhook: {{"url", true, true}, {"secret", true, false}},
	model.ChannelSlack:   {{"url", true, true}},
	model.ChannelEmail: {{"host", false, true}, {"port", false, false}, {"tls", false, false}, {"username", false, false},
		{"password", true, false}, {"from", false, true}, {"to", false, true}},
}

// ChannelFields names a kind's settings (for forms and messages).
func ChannelFields(kind model.ChannelKind) []string {
	var out []string
	for _, f := range channelFields[kind] {
		out = append(out, f.name)
	}
	return out
}

// channelSecrets is a channel's resolved settings, for sending.
type channelSecrets struct {
	URL, Secret              string
	Host                     string
	Port                     int
	TLS                      string
	Username, Password, From string
	To                       []string
}

var channelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// resolve validates a kind's settings and splits them into what is stored
// in clear (for display) and what is sealed.
func resolve(kind model.ChannelKind, cfg map[string]string) (plain, sealed map[string]string, out channelSecrets, err error) {
	plain, sealed = map[string]string{}, map[string]string{}
	fields, ok := channelFields[kind]
	if !ok {
		_, err = model.ParseChannelKind(string(kind))
		return nil, nil, out, err
	}
	known := map[string]bool{}
	for _, f := range fields {
		known[f.name] = true
	}
	var keys []string
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !known[k] {
			return nil, nil, out, model.Invalid(k, "a %s channel has no setting %q (its settings: %s)", kind, k, strings.Join(ChannelFields(kind), ", "))
		}
	}
	for _, f := range fields {
		if f.required && strings.TrimSpace(cfg[f.name]) == "" {
			return nil, nil, out, model.Invalid(f.name, "is required for a %s channel", kind)
		}
	}
	switch kind {
	case model.ChannelWebhook, model.ChannelSlack:
		u, err := checkURL(cfg["url"])
		if err != nil {
			return nil, nil, out, err
		}
		out.URL = cfg["url"]
		plain["url_host"] = u.Host
		sealed["url"] = out.URL
		if kind == model.ChannelWebhook {
			out.Secret = cfg["secret"]
			if out.Secret != "" && len(out.Secret) < 16 {
				return nil, nil, out, model.Invalid("secret", "a signing secret needs at least 16 characters (or leave it out and Assure generates one)")
			}
			if out.Secret != "" {
				sealed["secret"] = out.Secret
			}
		}
	case model.ChannelEmail:
		out.Host = strings.TrimSpace(cfg["host"])
		if strings.ContainsAny(out.Host, " /:@") {
			return nil, nil, out, model.Invalid("host", "%q is not a host name (give the port in port)", out.Host)
		}
		out.TLS = strings.ToLower(strings.TrimSpace(cfg["tls"]))
		if out.TLS == "" {
			out.TLS = TLSStartTLS
		}
		defPort := map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}
		if _, ok := defPort[out.TLS]; !ok {
			return nil, nil, out, model.Invalid("tls", "%q is not starttls, tls or none", out.TLS)
		}
		out.Port = defPort[out.TLS]
		if p := strings.TrimSpace(cfg["port"]); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, nil, out, model.Invalid("port", "%q is not a port number", p)
			}
			out.Port = n
		}
		out.Username, out.Password = strings.TrimSpace(cfg["username"]), cfg["password"]
		if out.Password != "" && out.Username == "" {
			return nil, nil, out, model.Invalid("username", "a password needs a username")
		}
		if out.Username != "" && out.TLS == TLSNone {
			return nil, nil, out, model.Invalid("tls", "a password is never sent without TLS: use starttls or tls, or remove the username")
		}
		if out.From, err = validAddress(cfg["from"]); err != nil {
			return nil, nil, out, model.Invalid("from", "%q is not an e-mail address", cfg["from"])
		}
		for _, t := range strings.FieldsFunc(cfg["to"], func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
			a, err := validAddress(t)
			if err != nil {
				return nil, nil, out, model.Invalid("to", "%q is not an e-mail address", strings.TrimSpace(t))
			}
			out.To = append(out.To, a)
		}
		if len(out.To) == 0 {
			return nil, nil, out, model.Invalid("to", "give at least one recipient")
		}
		plain["host"], plain["port"], plain["tls"] = out.Host, strconv.Itoa(out.Port), out.TLS
		plain["from"], plain["to"] = out.From, strings.Join(out.To, ", ")
		if out.Username != "" {
			plain["username"] = out.Username
		}
		if out.Password != "" {
			sealed["password"] = out.Password
		}
	}
	return plain, sealed, out, nil
}

func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, model.Invalid("url", "give an http:// or https:// URL")
	}
	if u.User != nil {
		return nil, model.Invalid("url", "put no user name or password in the URL")
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && (ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast()) {
		return nil, model.Invalid("url", "notifications are not sent to link-local addresses such as %s", ip)
	}
	return u, nil
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) seal(org int64, m map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if len(m) == 0 {
		return out, nil
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return nil, err
	}
	for k, v := range m {
		if out[k], err = box.Seal(v, sealContext(org, k)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) unseal(org int64, sealed map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if len(sealed) == 0 {
		return out, nil
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return nil, err
	}
	for k, v := range sealed {
		if out[k], err = box.Open(v, sealContext(org, k)); err != nil {
			return nil, fmt.Errorf("cannot open the channel's secret %q with the configured secret key (%s): %w; give the key it was sealed with, or enter the setting again", k, box.Origin, err)
		}
	}
	return out, nil
}

// settings returns a channel's settings, secret ones opened.
func (s *Service) settings(c store.ChannelState) (map[string]string, error) {
	all, err := s.unseal(c.OrgID, c.Sealed)
	if err != nil {
		return nil, err
	}
	for k, v := range c.Config {
		if k != "url_host" {
			all[k] = v
		}
	}
	return all, nil
}

func (s *Service) resolved(c store.ChannelState) (channelSecrets, error) {
	all, err := s.settings(c)
	if err != nil {
		return channelSecrets{}, err
	}
	_, _, out, err := resolve(c.Kind, all)
	return out, err
}

// filters validates the filters shared by create and update.
func (s *Service) filters(ctx context.Context, p model.Principal, sev model.Severity, controls, integrations []string, days []int) (model.Severity, []string, []int64, []int, error) {
	if sev == "" {
		sev = model.SeverityLow
	}
	if _, err := model.ParseSeverity(string(sev)); err != nil {
		return "", nil, nil, nil, model.Invalid("min_severity", "unknown severity %q (use low, medium, high or critical)", sev)
	}
	var keys []string
	for _, k := range controls {
		k = strings.TrimSpace(k)
		if k == "" || slices.Contains(keys, k) {
			continue
		}
		if s.opts.Catalog != nil {
			if _, lib := s.opts.Catalog.Catalog().LibraryControl(k); !lib {
				if _, err := s.opts.Catalog.Control(ctx, p, k); err != nil {
					return "", nil, nil, nil, model.Invalid("controls", "unknown control %q (see `assure controls list` and `assure controls library`)", k)
				}
			}
		}
		keys = append(keys, k)
	}
	var ids []int64
	for _, name := range integrations {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		in, err := s.opts.Collect.IntegrationByName(ctx, p, name)
		if err != nil {
			return "", nil, nil, nil, model.Invalid("integrations", "no integration named %q (see `assure integrations list`)", name)
		}
		if !slices.Contains(ids, in.ID) {
			ids = append(ids, in.ID)
		}
	}
	var ds []int
	for _, d := range days {
		if d < 0 || d > 365 {
			return "", nil, nil, nil, model.Invalid("reminder_days", "%d is not between 0 and 365 days", d)
		}
		if !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ds)))
	if keys == nil {
		keys = []string{}
	}
	if ids == nil {
		ids = []int64{}
	}
	if ds == nil {
		ds = []int{}
	}
	return sev, keys, ids, ds, nil
}

func (s *Service) view(ctx context.Context, p model.Principal, c store.ChannelState) ChannelView {
	v := ChannelView{NotificationChannel: c.NotificationChannel, IntegrationNames: []string{}}
	if len(c.Integrations) > 0 {
		names := map[int64]string{}
		if list, err := s.opts.Collect.Integrations(ctx, p); err == nil {
			for _, in := range list {
				names[in.ID] = in.Name
			}
		}
		for _, id := range c.Integrations {
			n, ok := names[id]
			if !ok {
				n = "#" + strconv.FormatInt(id, 10) + " (removed)"
			}
			v.IntegrationNames = append(v.IntegrationNames, n)
		}
	}
	return v
}

func channelPayload(c store.ChannelRecord, ids []int64) map[string]any {
	return map[string]any{"name": c.Name, "kind": string(c.Kind), "min_severity": string(c.MinSeverity), "controls": c.Controls,
		"integrations": ids, "only_failures": c.OnlyFailures, "reminder_days": c.ReminderDays, "enabled": c.Enabled,
		"settings": c.Config}
}

// CreateChannel validates and stores a channel. A webhook channel without
// a signing secret gets a generated one, returned once in the view.
func (s *Service) CreateChannel(ctx context.Context, p model.Principal, in ChannelInput) (ChannelView, error) {
	if err := need(p, model.PermManage, "adding a notification channel"); err != nil {
		return ChannelView{}, err
	}
	name := strings.TrimSpace(in.Name)
	if !channelName.MatchString(name) {
		return ChannelView{}, model.Invalid("name", "%q is not a valid channel name: use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit", name)
	}
	kind, err := model.ParseChannelKind(strings.TrimSpace(string(in.Kind)))
	if err != nil {
		return ChannelView{}, err
	}
	cfg := map[string]string{}
	for k, v := range in.Config {
		if v = strings.TrimSpace(v); v != "" {
			cfg[strings.TrimSpace(k)] = v
		}
	}
	generated := ""
	if kind == model.ChannelWebhook && cfg["secret"] == "" {
		generated = randomSecret()
		cfg["secret"] = generated
	}
	plain, secrets, _, err := resolve(kind, cfg)
	if err != nil {
		return ChannelView{}, err
	}
	days := DefaultReminderDays
	if in.ReminderDays != nil {
		days = *in.ReminderDays
	}
	sev, controls, ids, days, err := s.filters(ctx, p, in.MinSeverity, in.Controls, in.Integrations, days)
	if err != nil {
		return ChannelView{}, err
	}
	sealed, err := s.seal(p.Org.ID, secrets)
	if err != nil {
		return ChannelView{}, err
	}
	rec := store.ChannelRecord{Name: name, Kind: kind, Config: plain, Secrets: sealed, MinSeverity: sev, Controls: controls,
		Integrations: ids, OnlyFailures: in.OnlyFailures, ReminderDays: days, Enabled: in.Enabled == nil || *in.Enabled,
		CreatedBy: actorName(p)}
	var c store.ChannelState
	err = s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		if c, err = tx.CreateChannel(ctx, rec, s.now()); err != nil {
			return err
		}
		return s.record(ctx, tx, p, KindChannelAdded, c.ID, channelPayload(rec, ids))
	})
	if err != nil {
		return ChannelView{}, err
	}
	s.log.Info("notification channel added", "org_id", p.Org.ID, "channel_id", c.ID, "kind", kind, "user_id", p.User.ID)
	v := s.view(ctx, p, c)
	v.SigningSecret = generated
	return v, nil
}

func actorName(p model.Principal) string {
	if p.User.Email != "" {
		return p.User.Email
	}
	return p.Via
}

func (s *Service) record(ctx context.Context, tx *store.OrgStore, p model.Principal, kind string, id int64, payload map[string]any) error {
	_, err := ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{Kind: kind, Actor: p.Actor(),
		Subject: "notification_channel:" + strconv.FormatInt(id, 10), Payload: payload, Time: s.now()})
	return err
}

// UpdateChannel changes a channel's settings, filters or state.
func (s *Service) UpdateChannel(ctx context.Context, p model.Principal, id int64, up ChannelUpdate) (ChannelView, error) {
	if err := need(p, model.PermManage, "changing a notification channel"); err != nil {
		return ChannelView{}, err
	}
	var out store.ChannelState
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		cur, err := tx.Channel(ctx, id)
		if err != nil {
			return err
		}
		if cur.RemovedAt != nil {
			return fmt.Errorf("notification channel %q was removed: %w", cur.Name, model.ErrNotFound)
		}
		rec := store.ChannelRecord{Name: cur.Name, Kind: cur.Kind, Config: cur.Config, Secrets: cur.Sealed, MinSeverity: cur.MinSeverity,
			Controls: cur.Controls, Integrations: cur.Integrations, OnlyFailures: cur.OnlyFailures, ReminderDays: cur.ReminderDays,
			Enabled: cur.Enabled, CreatedBy: cur.CreatedBy}
		if up.Name != nil {
			rec.Name = strings.TrimSpace(*up.Name)
			if !channelName.MatchString(rec.Name) {
				return model.Invalid("name", "%q is not a valid channel name: use 1–64 letters, digits, dots, dashes or underscores", rec.Name)
			}
		}
		if len(up.Config) > 0 {
			all, err := s.settings(cur)
			if err != nil {
				// Entering every secret setting again is the way out of a lost key.
				all = map[string]string{}
				for k, v := range cur.Config {
					if k != "url_host" {
						all[k] = v
					}
				}
			}
			for k, v := range up.Config {
				k = strings.TrimSpace(k)
				if v == nil || strings.TrimSpace(*v) == "" {
					delete(all, k)
				} else {
					all[k] = strings.TrimSpace(*v)
				}
			}
			if cur.Kind == model.ChannelWebhook && all["secret"] == "" {
				return model.Invalid("secret", "a webhook channel keeps its signing secret: give a new one instead of clearing it")
			}
			plain, secrets, _, err := resolve(cur.Kind, all)
			if err != nil {
				return err
			}
			if rec.Secrets, err = s.seal(p.Org.ID, secrets); err != nil {
				return err
			}
			rec.Config = plain
		}
		sev := rec.MinSeverity
		if up.MinSeverity != nil {
			sev = *up.MinSeverity
		}
		var controls, integrations []string
		controls = rec.Controls
		if up.Controls != nil {
			controls = *up.Controls
		}
		keepIDs := up.Integrations == nil
		if !keepIDs {
			integrations = *up.Integrations
		}
		days := rec.ReminderDays
		if up.ReminderDays != nil {
			days = *up.ReminderDays
		}
		var ids []int64
		if rec.MinSeverity, rec.Controls, ids, rec.ReminderDays, err = s.filters(ctx, p, sev, controls, integrations, days); err != nil {
			return err
		}
		if !keepIDs {
			rec.Integrations = ids
		}
		if up.OnlyFailures != nil {
			rec.OnlyFailures = *up.OnlyFailures
		}
		if up.Enabled != nil {
			rec.Enabled = *up.Enabled
		}
		if err := tx.UpdateChannel(ctx, id, rec, s.now()); err != nil {
			return err
		}
		if err := s.record(ctx, tx, p, KindChannelChanged, id, channelPayload(rec, rec.Integrations)); err != nil {
			return err
		}
		out, err = tx.Channel(ctx, id)
		return err
	})
	if err != nil {
		return ChannelView{}, err
	}
	s.log.Info("notification channel changed", "org_id", p.Org.ID, "channel_id", id, "user_id", p.User.ID)
	return s.view(ctx, p, out), nil
}

// RemoveChannel removes a channel: nothing more is sent through it; its
// delivery log stays.
func (s *Service) RemoveChannel(ctx context.Context, p model.Principal, id int64) error {
	if err := need(p, model.PermManage, "removing a notification channel"); err != nil {
		return err
	}
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		c, err := tx.Channel(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.RemoveChannel(ctx, id, s.now()); err != nil {
			return err
		}
		return s.record(ctx, tx, p, KindChannelRemoved, id, map[string]any{"name": c.Name, "kind": string(c.Kind)})
	})
	if err != nil {
		return err
	}
	s.log.Info("notification channel removed", "org_id", p.Org.ID, "channel_id", id, "user_id", p.User.ID)
	return nil
}

// Channels lists the organization's channels.
func (s *Service) Channels(ctx context.Context, p model.Principal) ([]ChannelView, error) {
	if err := need(p, model.PermManage, "listing notification channels"); err != nil {
		return nil, err
	}
	list, err := s.st.Org(p.Org.ID).Channels(ctx, false)
	if err != nil {
		return nil, err
	}
	out := []ChannelView{}
	for _, c := range list {
		out = append(out, s.view(ctx, p, c))
	}
	return out, nil
}

// Channel reads one channel.
func (s *Service) Channel(ctx context.Context, p model.Principal, id int64) (ChannelView, error) {
	if err := need(p, model.PermManage, "reading a notification channel"); err != nil {
		return ChannelView{}, err
	}
	c, err := s.st.Org(p.Org.ID).Channel(ctx, id)
	if err != nil {
		return ChannelView{}, err
	}
	return s.view(ctx, p, c), nil
}

// ChannelByName finds a channel (not removed) by name.
func (s *Service) ChannelByName(ctx context.Context, p model.Principal, name string) (ChannelView, error) {
	if err := need(p, model.PermManage, "reading a notification channel"); err != nil {
		return ChannelView{}, err
	}
	c, err := s.st.Org(p.Org.ID).ChannelByName(ctx, strings.TrimSpace(name))
	if err != nil {
		return ChannelView{}, fmt.Errorf("%w (list them with `assure notifications list`)", err)
	}
	return s.view(ctx, p, c), nil
}
