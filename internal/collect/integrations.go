package collect

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// ConnectorInfo describes a connector for people and programs: its
// configuration fields and its resource types.
type ConnectorInfo struct {
	ID            string                  `json:"id"`
	Name          string                  `json:"name"`
	Category      string                  `json:"category"`
	Description   string                  `json:"description"`
	Fields        []connector.ConfigField `json:"fields"`
	ResourceTypes []TypeInfo              `json:"resource_types"`
}

// TypeInfo describes a resource type.
type TypeInfo struct {
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Fields      []FieldInfo `json:"fields"`
}

// FieldInfo documents an attribute.
type FieldInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// Describe turns a registration into its description.
func Describe(reg connector.Registration) ConnectorInfo {
	ci := ConnectorInfo{ID: reg.ID, Name: reg.Name, Category: string(reg.Category), Description: reg.Description,
		Fields: append([]connector.ConfigField{}, reg.Fields...), ResourceTypes: []TypeInfo{}}
	for _, rt := range reg.Resources {
		ti := TypeInfo{Name: rt.Name, Description: rt.Description, Fields: []FieldInfo{}}
		for _, f := range rt.Fields {
			ti.Fields = append(ti.Fields, FieldInfo{Name: f.Name, Type: f.Type, Description: f.Description})
		}
		ci.ResourceTypes = append(ci.ResourceTypes, ti)
	}
	return ci
}

// Connectors describes every registered connector.
func (s *Service) Connectors() []ConnectorInfo {
	var out []ConnectorInfo
	for _, reg := range s.opts.Registry.All() {
		out = append(out, Describe(reg))
	}
	return out
}

// Connector describes one connector.
func (s *Service) Connector(id string) (ConnectorInfo, error) {
	reg, ok := s.opts.Registry.Get(id)
	if !ok {
		return ConnectorInfo{}, s.unknownConnector(id)
	}
	return Describe(reg), nil
}

func (s *Service) unknownConnector(id string) error {
	var ids []string
	for _, r := range s.opts.Registry.All() {
		ids = append(ids, r.ID)
	}
	return model.Invalid("connector", "unknown connector %q (available: %s; see `assure connectors list`)", id, strings.Join(ids, ", "))
}

// IntegrationView is an integration with its health: the last run, and
// when the scheduler next collects it (its persisted plan).
type IntegrationView struct {
	model.Integration
	ConnectorName string `json:"connector_name"`
	// Health is disabled, removed, never collected, or the last run's status.
	Health    string     `json:"health"`
	LastRun   *model.Run `json:"last_run,omitempty"`
	NextRunAt *time.Time `json:"next_run_at,omitempty"`
}

func (s *Service) view(in model.Integration, last *model.Run, plan *model.Schedule) IntegrationView {
	v := IntegrationView{Integration: in, LastRun: last, ConnectorName: in.Connector}
	if reg, ok := s.opts.Registry.Get(in.Connector); ok {
		v.ConnectorName = reg.Name
	}
	switch {
	case in.RemovedAt != nil:
		v.Health = "removed"
	case !in.Enabled:
		v.Health = "disabled"
	case last == nil:
		v.Health = "never collected"
	default:
		v.Health = string(last.Status)
	}
	if in.RemovedAt == nil && in.Enabled {
		// The scheduler's persisted plan; until it has one for the current
		// interval, one interval after the last run started (now, if never).
		next := s.now()
		switch {
		case plan != nil && plan.Interval == in.Interval:
			next = plan.NextRunAt
		case last != nil:
			next = last.StartedAt.Add(in.Interval.Std())
		}
		v.NextRunAt = &next
	}
	return v
}

// IntegrationInput creates an integration. Config holds every field,
// secret ones included (they are sealed and never returned).
type IntegrationInput struct {
	Connector string            `json:"connector"`
	Name      string            `json:"name"`
	Config    map[string]string `json:"config"`
	Interval  *model.Duration   `json:"interval,omitempty"`
	RateLimit *float64          `json:"rate_limit,omitempty"`
	Enabled   *bool             `json:"enabled,omitempty"`
}

// IntegrationUpdate changes an integration. In Config, a field with a value
// sets it, a field with null clears it, an absent field stays as it is (so
// a secret need not be sent again).
type IntegrationUpdate struct {
	Name      *string            `json:"name,omitempty"`
	Config    map[string]*string `json:"config,omitempty"`
	Interval  *model.Duration    `json:"interval,omitempty"`
	RateLimit *float64           `json:"rate_limit,omitempty"`
	Enabled   *bool              `json:"enabled,omitempty"`
}

var integrationName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func validateName(name string) error {
	if !integrationName.MatchString(name) {
		return model.Invalid("name", "%q is not a valid integration name: use 1–64 letters, digits, dots, dashes or underscores, starting with a letter or digit", name)
	}
	return nil
}

func validateSchedule(interval time.Duration, rateLimit float64) error {
	if interval < time.Minute || interval > 31*24*time.Hour {
		return model.Invalid("interval", "must be between 1m and 744h (31 days), got %s", interval)
	}
	if rateLimit < 0 || rateLimit > 1000 {
		return model.Invalid("rate_limit", "must be between 0 (the connector's default) and 1000 requests per second")
	}
	return nil
}

// validateConfig checks values against the connector's fields: no unknown
// field, required ones present (or defaulted), each parseable as its type.
func validateConfig(reg connector.Registration, cfg map[string]string) error {
	fields := map[string]connector.ConfigField{}
	var names []string
	for _, f := range reg.Fields {
		fields[f.Name] = f
		names = append(names, f.Name)
	}
	var keys []string
	for k := range cfg {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := fields[k]; !ok {
			known := "none"
			if len(names) > 0 {
				known = strings.Join(names, ", ")
			}
			return model.Invalid(k, "connector %s has no configuration field %q (its fields: %s)", reg.ID, k, known)
		}
	}
	c := connector.Config(cfg)
	for _, f := range reg.Fields {
		v := strings.TrimSpace(cfg[f.Name])
		if v == "" {
			if f.Required && f.Default == "" {
				return model.Invalid(f.Name, "is required: %s", f.Help)
			}
			continue
		}
		var err error
		switch f.Type {
		case connector.FieldInt:
			_, err = c.Int(f.Name, 0)
		case connector.FieldBool:
			_, err = c.Bool(f.Name)
		case connector.FieldDuration:
			_, err = c.Duration(f.Name, 0)
		case connector.FieldURL:
			u, perr := url.Parse(v)
			if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				err = fmt.Errorf("must be an http(s) URL")
			}
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), f.Name+": ")
			if f.Secret {
				msg = "is not a valid " + string(f.Type)
			}
			return model.Invalid(f.Name, "%s", msg)
		}
	}
	return nil
}

// split separates a connector's configuration into plain and secret values.
func split(reg connector.Registration, cfg map[string]string) (plain, secrets map[string]string) {
	plain, secrets = map[string]string{}, map[string]string{}
	secret := map[string]bool{}
	for _, f := range reg.Fields {
		secret[f.Name] = f.Secret
	}
	for k, v := range cfg {
		if secret[k] {
			secrets[k] = v
		} else {
			plain[k] = v
		}
	}
	return plain, secrets
}

func sealContext(org int64, field string) string {
	return "assure integration secret: organization " + strconv.FormatInt(org, 10) + ", field " + field
}

func (s *Service) seal(org int64, secrets map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if len(secrets) == 0 {
		return out, nil
	}
	box, err := s.opts.Secrets()
	if err != nil {
		return nil, err
	}
	for k, v := range secrets {
		if v == "" {
			continue
		}
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
			return nil, fmt.Errorf("cannot open the integration's secret %q with the configured secret key (%s): %w; give the key the secrets were sealed with (ASSURE_SECRET_KEY or --secret-key-file), or enter the secret again", k, box.Origin, err)
		}
	}
	return out, nil
}

// checkOpens opens the connector once with the configuration, without
// contacting the system, so a bad value is refused when it is entered.
func (s *Service) checkOpens(ctx context.Context, reg connector.Registration, cfg map[string]string, secrets []string) error {
	rt := newRuntime(s, reg, 0, secrets, s.log, nil)
	conn, err := reg.Open(ctx, withDefaults(reg, cfg), rt)
	if err != nil {
		return model.Invalid("config", "%s", rt.redact.err(err))
	}
	if conn != nil {
		_ = conn.Close()
	}
	return nil
}

func withDefaults(reg connector.Registration, cfg map[string]string) connector.Config {
	out := connector.Config{}
	for _, f := range reg.Fields {
		if f.Default != "" {
			out[f.Name] = f.Default
		}
	}
	for k, v := range cfg {
		if strings.TrimSpace(v) != "" {
			out[k] = v
		}
	}
	return out
}

func secretValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// CreateIntegration validates and stores a new integration.
func (s *Service) CreateIntegration(ctx context.Context, p model.Principal, in IntegrationInput) (IntegrationView, error) {
	if err := need(p, model.PermEdit, "adding an integration"); err != nil {
		return IntegrationView{}, err
	}
	reg, ok := s.opts.Registry.Get(strings.TrimSpace(in.Connector))
	if !ok {
		return IntegrationView{}, s.unknownConnector(in.Connector)
	}
	name := strings.TrimSpace(in.Name)
	if err := validateName(name); err != nil {
		return IntegrationView{}, err
	}
	rec := store.IntegrationRecord{Connector: reg.ID, Name: name, Enabled: true, Interval: model.DefaultInterval}
	if in.Interval != nil {
		rec.Interval = in.Interval.Std()
	}
	if in.RateLimit != nil {
		rec.RateLimit = *in.RateLimit
	}
	if in.Enabled != nil {
		rec.Enabled = *in.Enabled
	}
	if err := validateSchedule(rec.Interval, rec.RateLimit); err != nil {
		return IntegrationView{}, err
	}
	cfg := map[string]string{}
	for k, v := range in.Config {
		if v = strings.TrimSpace(v); v != "" {
			cfg[strings.TrimSpace(k)] = v
		}
	}
	if err := validateConfig(reg, cfg); err != nil {
		return IntegrationView{}, err
	}
	plain, secrets := split(reg, cfg)
	if err := s.checkOpens(ctx, reg, cfg, secretValues(secrets)); err != nil {
		return IntegrationView{}, err
	}
	sealed, err := s.seal(p.Org.ID, secrets)
	if err != nil {
		return IntegrationView{}, err
	}
	rec.Config, rec.Secrets = plain, sealed
	created, err := s.opts.Store.Org(p.Org.ID).CreateIntegration(ctx, rec, s.now())
	if err != nil {
		return IntegrationView{}, err
	}
	s.log.Info("integration added", "org_id", p.Org.ID, "integration_id", created.ID, "connector", reg.ID, "user_id", p.User.ID)
	return s.view(created, nil, nil), nil
}

// UpdateIntegration changes an integration's name, configuration, schedule
// or state.
func (s *Service) UpdateIntegration(ctx context.Context, p model.Principal, id int64, up IntegrationUpdate) (IntegrationView, error) {
	if err := need(p, model.PermEdit, "changing an integration"); err != nil {
		return IntegrationView{}, err
	}
	var out model.Integration
	err := s.opts.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		cur, sealed, err := tx.Integration(ctx, id)
		if err != nil {
			return err
		}
		if cur.RemovedAt != nil {
			return fmt.Errorf("integration %q was removed: %w", cur.Name, model.ErrNotFound)
		}
		reg, ok := s.opts.Registry.Get(cur.Connector)
		if !ok {
			return fmt.Errorf("integration %q uses connector %q, which this Assure does not know: %w", cur.Name, cur.Connector, model.ErrConflict)
		}
		rec := store.IntegrationRecord{Connector: cur.Connector, Name: cur.Name, Enabled: cur.Enabled, Interval: cur.Interval.Std(), RateLimit: cur.RateLimit}
		if up.Name != nil {
			rec.Name = strings.TrimSpace(*up.Name)
			if err := validateName(rec.Name); err != nil {
				return err
			}
		}
		if up.Interval != nil {
			rec.Interval = up.Interval.Std()
		}
		if up.RateLimit != nil {
			rec.RateLimit = *up.RateLimit
		}
		if up.Enabled != nil {
			rec.Enabled = *up.Enabled
		}
		if err := validateSchedule(rec.Interval, rec.RateLimit); err != nil {
			return err
		}
		secrets := map[string]string{}
		if len(up.Config) > 0 && len(sealed) > 0 {
			secrets, err = s.unseal(p.Org.ID, sealed)
			if err != nil {
				// Entering every stored secret again is the way out of a lost key.
				for k := range sealed {
					if _, given := up.Config[k]; !given {
						return err
					}
				}
				secrets = map[string]string{}
			}
		}
		cfg := map[string]string{}
		for k, v := range cur.Config {
			cfg[k] = v
		}
		for k, v := range secrets {
			cfg[k] = v
		}
		for k, v := range up.Config {
			k = strings.TrimSpace(k)
			if v == nil || strings.TrimSpace(*v) == "" {
				delete(cfg, k)
			} else {
				cfg[k] = strings.TrimSpace(*v)
			}
		}
		newSealed := sealed
		rec.Config = cur.Config
		if len(up.Config) > 0 {
			if err := validateConfig(reg, cfg); err != nil {
				return err
			}
			plain, sec := split(reg, cfg)
			if err := s.checkOpens(ctx, reg, cfg, secretValues(sec)); err != nil {
				return err
			}
			if newSealed, err = s.seal(p.Org.ID, sec); err != nil {
				return err
			}
			rec.Config = plain
		}
		rec.Secrets = newSealed
		if err := tx.UpdateIntegration(ctx, id, rec, s.now()); err != nil {
			return err
		}
		out, _, err = tx.Integration(ctx, id)
		return err
	})
	if err != nil {
		return IntegrationView{}, err
	}
	s.log.Info("integration changed", "org_id", p.Org.ID, "integration_id", id, "user_id", p.User.ID)
	return s.Integration(ctx, p, out.ID)
}

// SetEnabled enables or disables an integration (a disabled one is not
// collected, by the scheduler or on demand).
func (s *Service) SetEnabled(ctx context.Context, p model.Principal, id int64, enabled bool) (IntegrationView, error) {
	return s.UpdateIntegration(ctx, p, id, IntegrationUpdate{Enabled: &enabled})
}

// RemoveIntegration removes an integration: it is no longer collected or
// listed, its resources are marked removed, and its runs, observations and
// resource history stay.
func (s *Service) RemoveIntegration(ctx context.Context, p model.Principal, id int64) error {
	if err := need(p, model.PermEdit, "removing an integration"); err != nil {
		return err
	}
	if err := s.opts.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		return tx.RemoveIntegration(ctx, id, s.now())
	}); err != nil {
		return err
	}
	s.log.Info("integration removed", "org_id", p.Org.ID, "integration_id", id, "user_id", p.User.ID)
	return nil
}

// Integrations lists the organization's integrations with their health.
func (s *Service) Integrations(ctx context.Context, p model.Principal) ([]IntegrationView, error) {
	if err := need(p, model.PermView, "listing integrations"); err != nil {
		return nil, err
	}
	ost := s.opts.Store.Org(p.Org.ID)
	list, err := ost.Integrations(ctx, false)
	if err != nil {
		return nil, err
	}
	latest, err := ost.LatestRuns(ctx)
	if err != nil {
		return nil, err
	}
	plans, err := ost.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	out := []IntegrationView{}
	for _, in := range list {
		var last *model.Run
		if r, ok := latest[in.ID]; ok {
			last = &r
		}
		var plan *model.Schedule
		if p, ok := plans[in.ID]; ok {
			plan = &p
		}
		out = append(out, s.view(in, last, plan))
	}
	return out, nil
}

// Integration reads one integration (removed ones too, for the record).
func (s *Service) Integration(ctx context.Context, p model.Principal, id int64) (IntegrationView, error) {
	if err := need(p, model.PermView, "reading an integration"); err != nil {
		return IntegrationView{}, err
	}
	ost := s.opts.Store.Org(p.Org.ID)
	in, _, err := ost.Integration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	runs, err := ost.Runs(ctx, store.RunFilter{IntegrationID: id, Limit: 1})
	if err != nil {
		return IntegrationView{}, err
	}
	var last *model.Run
	if len(runs) == 1 {
		last = &runs[0]
	}
	plan, ok, err := ost.Schedule(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	if !ok {
		return s.view(in, last, nil), nil
	}
	return s.view(in, last, &plan), nil
}

// IntegrationByName finds an integration (not removed) by name.
func (s *Service) IntegrationByName(ctx context.Context, p model.Principal, name string) (IntegrationView, error) {
	if err := need(p, model.PermView, "reading an integration"); err != nil {
		return IntegrationView{}, err
	}
	in, err := s.opts.Store.Org(p.Org.ID).IntegrationByName(ctx, strings.TrimSpace(name))
	if err != nil {
		return IntegrationView{}, fmt.Errorf("%w (list them with `assure integrations list`)", err)
	}
	return s.Integration(ctx, p, in.ID)
}

// TestResult is the outcome of a connection test.
type TestResult struct {
	OK         bool    `json:"ok"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// TestIntegration opens the integration and runs its connection probe. The
// calls it makes are not recorded (they belong to no run).
func (s *Service) TestIntegration(ctx context.Context, p model.Principal, id int64) (TestResult, error) {
	if err := need(p, model.PermEdit, "testing an integration"); err != nil {
		return TestResult{}, err
	}
	in, sealed, err := s.opts.Store.Org(p.Org.ID).Integration(ctx, id)
	if err != nil {
		return TestResult{}, err
	}
	if in.RemovedAt != nil {
		return TestResult{}, fmt.Errorf("integration %q was removed: %w", in.Name, model.ErrNotFound)
	}
	reg, ok := s.opts.Registry.Get(in.Connector)
	if !ok {
		return TestResult{}, fmt.Errorf("integration %q uses connector %q, which this Assure does not know: %w", in.Name, in.Connector, model.ErrConflict)
	}
	secrets, err := s.unseal(p.Org.ID, sealed)
	if err != nil {
		return TestResult{}, err
	}
	start := s.now()
	log := s.log.With("org_id", p.Org.ID, "integration_id", in.ID, "connector", in.Connector)
	rt := newRuntime(s, reg, in.RateLimit, secretValues(secrets), log, nil)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	err = probe(ctx, reg, mergeConfig(reg, in.Config, secrets), rt)
	res := TestResult{OK: err == nil, DurationMS: float64(s.now().Sub(start).Microseconds()) / 1000}
	if err != nil {
		res.Error = rt.redact.err(err)
	}
	log.Info("integration tested", "ok", res.OK)
	return res, nil
}

func mergeConfig(reg connector.Registration, plain, secrets map[string]string) connector.Config {
	all := map[string]string{}
	for k, v := range plain {
		all[k] = v
	}
	for k, v := range secrets {
		all[k] = v
	}
	return withDefaults(reg, all)
}

// probe opens a connection and runs its probe, turning a panic in connector
// code into an error.
func probe(ctx context.Context, reg connector.Registration, cfg connector.Config, rt connector.Runtime) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("connector bug: %v", v)
		}
	}()
	conn, err := reg.Open(ctx, cfg, rt)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	defer conn.Close()
	return conn.Probe(ctx)
}
