package model

import (
	"encoding/json"
	"fmt"
	"time"
)

// Integration is an organization's configured instance of a connector. Its
// secret configuration fields are stored sealed and never leave the
// collection service: SecretFields lists only which are set.
type Integration struct {
	ID        int64  `json:"id"`
	OrgID     int64  `json:"org_id"`
	Connector string `json:"connector"`
	Name      string `json:"name"`
	// Config holds the non-secret configuration fields.
	Config map[string]string `json:"config"`
	// SecretFields names the secret fields that have a value (never the values).
	SecretFields []string `json:"secret_fields"`
	Enabled      bool     `json:"enabled"`
	// Interval is how often the scheduler collects (default one hour).
	Interval Duration `json:"interval"`
	// RateLimit bounds the integration's API calls per second; 0 uses the
	// connector's default.
	RateLimit float64    `json:"rate_limit"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// DefaultInterval is how often an integration is collected unless set.
const DefaultInterval = time.Hour

// Duration is a time.Duration that reads and writes as a Go duration string
// ("1h0m0s") in JSON.
type Duration time.Duration

// Human writes the duration for people ("3 d 4 h", "2 h 5 min", "40 s"):
// pages, the CLI and exports all show durations this way.
func (d Duration) Human() string {
	t := time.Duration(d)
	switch {
	case t >= 24*time.Hour:
		days, h := t/(24*time.Hour), (t%(24*time.Hour))/time.Hour
		if h == 0 {
			return fmt.Sprintf("%d d", days)
		}
		return fmt.Sprintf("%d d %d h", days, h)
	case t >= time.Hour:
		return fmt.Sprintf("%d h %d min", t/time.Hour, (t%time.Hour)/time.Minute)
	case t >= time.Minute:
		return fmt.Sprintf("%d min", t/time.Minute)
	default:
		return fmt.Sprintf("%d s", t/time.Second)
	}
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90m", "1h", or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return Invalid("interval", "use a duration such as \"1h\" or \"30m\"")
		}
		*d = Duration(time.Duration(secs * float64(time.Second)))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return Invalid("interval", "%q is not a duration (use e.g. 1h or 30m)", s)
	}
	*d = Duration(v)
	return nil
}

// JSONSchema describes the JSON form for the API document.
func (Duration) JSONSchema() map[string]any {
	return map[string]any{"type": "string", "description": "a duration such as 30m, 1h or 24h (Go syntax)", "examples": []any{"1h0m0s"}}
}

// String writes the duration as Go does ("1h0m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// Std returns the time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Run statuses. A run is running until it finishes as succeeded (every
// listing succeeded), partial (some listing or part of one failed; what
// succeeded was stored) or failed (nothing could be collected: the
// configuration or connection probe failed, or every listing failed).
const (
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunPartial   RunStatus = "partial"
	RunFailed    RunStatus = "failed"
)

// Run triggers: who asked for a collection.
const (
	TriggerCLI      = "cli"
	TriggerAPI      = "api"
	TriggerPage     = "page"
	TriggerSchedule = "schedule"
)

// RunStatus is a run's or a listing's status.
type RunStatus string

// EnumValues lists the statuses for the API schema.
func (RunStatus) EnumValues() []string {
	return []string{string(RunRunning), string(RunSucceeded), string(RunPartial), string(RunFailed)}
}

// Run is one collection run of one integration.
type Run struct {
	ID            int64      `json:"id"`
	OrgID         int64      `json:"org_id"`
	IntegrationID int64      `json:"integration_id"`
	Status        RunStatus  `json:"status"`
	Trigger       string     `json:"trigger"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	// Error is the run-level reason for a failed run (probe or configuration
	// failure, interruption) or a summary of the listings that failed.
	Error string `json:"error"`
	// Counts over every listing of the run.
	Resources int `json:"resource_count"`
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Calls     int `json:"calls"`
}

// Listing is one resource type's listing within a run: its status, counts
// and error. Failed scopes (a region, an account) are kept with their reason.
type Listing struct {
	RunID        int64             `json:"run_id"`
	ResourceType string            `json:"resource_type"`
	Status       RunStatus         `json:"status"`
	Resources    int               `json:"resource_count"`
	Added        int               `json:"added"`
	Changed      int               `json:"changed"`
	Unchanged    int               `json:"unchanged"`
	Removed      int               `json:"removed"`
	Error        string            `json:"error"`
	FailedScopes map[string]string `json:"failed_scopes"`
	StartedAt    time.Time         `json:"started_at"`
	FinishedAt   time.Time         `json:"finished_at"`
}

// Observation is one recorded call behind collected data: an API request, a
// command run, a file read or an SQL query. Its raw body is in the blob
// store under SHA256. It never holds credentials: no headers, no query
// strings, and secret values are replaced before anything is stored.
type Observation struct {
	ID           int64     `json:"id"`
	RunID        int64     `json:"run_id"`
	ResourceType string    `json:"resource_type"` // the listing it was made in; "" for the connection probe
	Method       string    `json:"method"`
	Host         string    `json:"host"`
	Path         string    `json:"path"`
	Status       int       `json:"status"`
	StartedAt    time.Time `json:"started_at"`
	DurationMS   float64   `json:"duration_ms"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	ContentType  string    `json:"content_type"`
	Error        string    `json:"error,omitempty"`
	// Redacted is true when secret values were replaced in the stored body.
	Redacted bool `json:"redacted"`
}

// Resource is one object observed in a system, with its current attributes.
type Resource struct {
	ID            int64          `json:"id"`
	OrgID         int64          `json:"org_id"`
	IntegrationID int64          `json:"integration_id"`
	Integration   string         `json:"integration"` // name
	Connector     string         `json:"connector"`
	Type          string         `json:"type"`
	ExternalID    string         `json:"external_id"`
	Name          string         `json:"name"`
	Scope         string         `json:"scope"`
	FirstSeenAt   time.Time      `json:"first_seen_at"`
	LastSeenAt    time.Time      `json:"last_seen_at"`
	RemovedAt     *time.Time     `json:"removed_at,omitempty"`
	ContentHash   string         `json:"content_hash"`
	VersionID     int64          `json:"version_id"`
	Attributes    map[string]any `json:"attributes"`
}

// ResourceVersion is one content state of a resource: a new version exists
// only when the attributes changed (or the resource came back after removal).
type ResourceVersion struct {
	ID          int64          `json:"id"`
	ResourceID  int64          `json:"resource_id"`
	ContentHash string         `json:"content_hash"`
	RunID       int64          `json:"run_id"` // first observed in this run
	ObservedAt  time.Time      `json:"observed_at"`
	Attributes  map[string]any `json:"attributes"`
	// ObservationIDs are the calls this version was built from.
	ObservationIDs []int64 `json:"observation_ids"`
}
