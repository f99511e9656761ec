package model

import (
	"encoding/json"
	"slices"
	"time"
)

// ChannelKind is how a notification channel delivers.
type ChannelKind string

// The channel kinds.
const (
	// ChannelWebhook POSTs a signed JSON body to a URL.
	ChannelWebhook ChannelKind = "webhook"
	// ChannelSlack POSTs a Slack message (text and blocks) to an incoming
	// webhook URL (Slack, or a service that accepts Slack's format).
	ChannelSlack ChannelKind = "slack"
	// ChannelEmail sends an e-mail over SMTP.
	ChannelEmail ChannelKind = "email"
)

// ChannelKinds lists the kinds.
func ChannelKinds() []ChannelKind { return []ChannelKind{ChannelWebhook, ChannelSlack, ChannelEmail} }

// ParseChannelKind accepts a kind name.
func ParseChannelKind(s string) (ChannelKind, error) {
	k := ChannelKind(s)
	if slices.Contains(ChannelKinds(), k) {
		return k, nil
	}
	return "", Invalid("kind", "unknown channel kind %q (use webhook, slack or email)", s)
}

// EnumValues lists the kinds for the API schema.
func (ChannelKind) EnumValues() []string { return enumStrings(ChannelKinds()) }

// NotificationChannel is where an organization hears about changes: test
// status transitions (filtered by severity, controls and integrations) and
// evidence expiry reminders. Secret settings (a webhook URL, a signing
// secret, an SMTP password) are sealed and never returned: SecretFields
// names the ones that are set.
type NotificationChannel struct {
	ID    int64       `json:"id"`
	OrgID int64       `json:"org_id"`
	Name  string      `json:"name"`
	Kind  ChannelKind `json:"kind"`
	// Config holds the non-secret settings: for webhook and slack the URL's
	// host (url_host); for email host, port, tls, username, from, to.
	Config       map[string]string `json:"config"`
	SecretFields []string          `json:"secret_fields"`
	// MinSeverity: only changes of tests at least this severe.
	MinSeverity Severity `json:"min_severity"`
	// Controls: only changes of tests supporting one of these controls
	// (empty: every test).
	Controls []string `json:"controls"`
	// Integrations: only changes of resources from these integrations
	// (empty: every integration).
	Integrations []int64 `json:"integrations"`
	// OnlyFailures leaves out changes to pass (recoveries) and to no status.
	OnlyFailures bool `json:"only_failures"`
	// ReminderDays: evidence expiry reminders this many days before an
	// item's expiry (0: on the day it expires); empty sends none.
	ReminderDays []int      `json:"reminder_days"`
	Enabled      bool       `json:"enabled"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	RemovedAt    *time.Time `json:"removed_at,omitempty"`
}

// DeliveryKind says what a delivery carries.
type DeliveryKind string

// The delivery kinds.
const (
	DeliveryChanges   DeliveryKind = "changes"   // test status changes
	DeliveryReminders DeliveryKind = "reminders" // evidence expiry reminders
	DeliveryTest      DeliveryKind = "test"      // a test message sent by an administrator
)

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// The delivery statuses.
const (
	DeliveryPending DeliveryStatus = "pending" // waiting for its (next) attempt
	DeliverySending DeliveryStatus = "sending" // an attempt is under way
	DeliverySent    DeliveryStatus = "sent"    // the receiver accepted it
	DeliveryFailed  DeliveryStatus = "failed"  // given up: refused for good, or out of attempts
)

// EnumValues lists the statuses for the API schema.
func (DeliveryStatus) EnumValues() []string {
	return []string{string(DeliveryPending), string(DeliverySending), string(DeliverySent), string(DeliveryFailed)}
}

// EnumValues lists the kinds for the API schema.
func (DeliveryKind) EnumValues() []string {
	return []string{string(DeliveryChanges), string(DeliveryReminders), string(DeliveryTest)}
}

// NotificationDelivery is one message to one channel and its attempts.
type NotificationDelivery struct {
	ID          int64          `json:"id"`
	OrgID       int64          `json:"org_id"`
	ChannelID   int64          `json:"channel_id"`
	ChannelName string         `json:"channel"`
	ChannelKind ChannelKind    `json:"channel_kind"`
	Kind        DeliveryKind   `json:"kind"`
	Subject     string         `json:"subject"`
	Items       int            `json:"items"`
	Status      DeliveryStatus `json:"status"`
	Attempts    int            `json:"attempts"`
	// NextAttemptAt is when a pending delivery is tried (again).
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	// Response is what the receiver answered ("HTTP 200", "250 2.0.0 Ok").
	Response  string     `json:"response,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	// Payload is the message as planned (see docs/notifications.md).
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Schedule is when the scheduler next collects an integration.
type Schedule struct {
	IntegrationID int64     `json:"integration_id"`
	OrgID         int64     `json:"org_id"`
	NextRunAt     time.Time `json:"next_run_at"`
	// Interval is the interval NextRunAt was planned with.
	Interval Duration `json:"interval"`
	// Failures counts failed runs in a row (the back-off grows with it).
	Failures  int    `json:"failures"`
	LastRunID *int64 `json:"last_run_id,omitempty"`
}
