package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
)

// notificationsData is what Settings → Notifications shows.
type notificationsData struct {
	Tab          string
	Channels     []monitor.ChannelView
	Deliveries   []model.NotificationDelivery
	Integrations []string
	Severities   []model.Severity
	Kinds        []model.ChannelKind
	Error        string
	// Form holds what was typed, shown again with the error.
	Form map[string]string
	// Created is a channel just created (with its signing secret, shown once).
	Created *monitor.ChannelView
	// Failing counts failed deliveries among those shown.
	Failing int
}

func (h *Handlers) notificationsPage(w http.ResponseWriter, r *http.Request, p model.Principal, status int, d notificationsData) error {
	ctx := r.Context()
	var err error
	if d.Channels, err = h.Monitor.Channels(ctx, p); err != nil {
		return err
	}
	if d.Deliveries, err = h.Monitor.Deliveries(ctx, p, store.DeliveryFilter{Limit: 50}); err != nil {
		return err
	}
	for _, dl := range d.Deliveries {
		if dl.Status == model.DeliveryFailed {
			d.Failing++
		}
	}
	ins, err := h.Collect.Integrations(ctx, p)
	if err != nil {
		return err
	}
	for _, in := range ins {
		d.Integrations = append(d.Integrations, in.Name)
	}
	d.Tab, d.Severities, d.Kinds = "notifications", model.Severities(), model.ChannelKinds()
	if d.Form == nil {
		d.Form = map[string]string{"kind": "slack", "min_severity": "medium", "reminder_days": "14, 1", "tls": "starttls"}
	}
	return h.render(w, r, status, "settings_notifications", "Notifications", "settings", d)
}

// Notifications lists the channels, the form to add one, and the delivery log.
func (h *Handlers) Notifications(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.notificationsPage(w, r, p, http.StatusOK, notificationsData{})
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ' ' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// CreateChannel adds a channel from the form: only the settings of the
// chosen kind are taken.
func (h *Handlers) CreateChannel(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if err := r.ParseForm(); err != nil {
		return model.Invalid("form", "cannot read the form")
	}
	form := map[string]string{}
	for _, k := range []string{"name", "kind", "url", "host", "port", "tls", "username", "from", "to", "min_severity", "controls", "reminder_days"} {
		form[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	kind := model.ChannelKind(form["kind"])
	in := monitor.ChannelInput{Name: form["name"], Kind: kind, Config: map[string]string{}, MinSeverity: model.Severity(form["min_severity"]),
		Controls: splitList(form["controls"]), Integrations: r.PostForm["integrations"], OnlyFailures: r.PostFormValue("only_failures") == "on"}
	for _, f := range monitor.ChannelFields(kind) {
		if v := strings.TrimSpace(r.PostFormValue(f)); v != "" {
			in.Config[f] = v
		}
	}
	days := []int{}
	for _, s := range splitList(form["reminder_days"]) {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil {
			return h.notificationsPage(w, r, p, http.StatusBadRequest, notificationsData{Form: form,
				Error: "Reminder days: write whole days separated by commas, such as 14, 1 (or leave it empty for no reminders)."})
		}
		days = append(days, n)
	}
	in.ReminderDays = &days
	v, err := h.Monitor.CreateChannel(r.Context(), p, in)
	if model.IsValidation(err) || httpx.Status(err) == http.StatusConflict {
		return h.notificationsPage(w, r, p, http.StatusBadRequest, notificationsData{Form: form, Error: err.Error()})
	}
	if err != nil {
		return err
	}
	// The page answers directly (no redirect) so a generated signing secret
	// is shown once and kept nowhere else.
	return h.notificationsPage(w, r, p, http.StatusCreated, notificationsData{Created: &v})
}

func (h *Handlers) channelID(r *http.Request) (int64, error) { return httpx.PathID(r, "id") }

// TestChannel sends a test message and says how it went.
func (h *Handlers) TestChannel(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := h.channelID(r)
	if err != nil {
		return err
	}
	d, err := h.Monitor.TestChannel(r.Context(), p, id)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Test message sent through “%s” (%s).", d.ChannelName, d.Response)
	if d.Status != model.DeliverySent {
		msg = fmt.Sprintf("The test message through “%s” failed: %s", d.ChannelName, d.LastError)
	}
	return h.flashAndRedirect(w, r, msg, "/settings/notifications")
}

func (h *Handlers) setChannelEnabled(w http.ResponseWriter, r *http.Request, p model.Principal, on bool) error {
	id, err := h.channelID(r)
	if err != nil {
		return err
	}
	v, err := h.Monitor.UpdateChannel(r.Context(), p, id, monitor.ChannelUpdate{Enabled: &on})
	if err != nil {
		return err
	}
	state := "enabled: it hears about changes from now on"
	if !on {
		state = "disabled: nothing is sent through it"
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Channel “%s” %s.", v.Name, state), "/settings/notifications")
}

// EnableChannel enables a channel.
func (h *Handlers) EnableChannel(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.setChannelEnabled(w, r, p, true)
}

// DisableChannel disables a channel.
func (h *Handlers) DisableChannel(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.setChannelEnabled(w, r, p, false)
}

// RemoveChannel removes a channel; its deliveries stay in the log.
func (h *Handlers) RemoveChannel(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := h.channelID(r)
	if err != nil {
		return err
	}
	c, err := h.Monitor.Channel(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := h.Monitor.RemoveChannel(r.Context(), p, id); err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Channel “%s” removed. Its deliveries stay in the log.", c.Name), "/settings/notifications")
}

// Delivery shows one delivery: its attempts, outcome and message.
func (h *Handlers) Delivery(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := h.Monitor.Delivery(r.Context(), p, id)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "settings_delivery", "Delivery "+strconv.FormatInt(id, 10), "settings",
		map[string]any{"Tab": "notifications", "D": d, "Payload": indentJSON(d.Payload)})
}

// RetryDelivery sends a failed delivery again.
func (h *Handlers) RetryDelivery(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := h.Monitor.RetryDelivery(r.Context(), p, id); err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Delivery %d will be sent again within seconds.", id), "/settings/notifications/deliveries/"+strconv.FormatInt(id, 10))
}

// indentJSON lays out stored JSON for reading.
func indentJSON(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
