package model

import (
	"slices"
	"strings"
	"time"
)

// Severity is how much a failing test matters. Severities are ordered:
// low < medium < high < critical.
type Severity string

const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the severities from least to most severe.
func Severities() []Severity {
	return []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
}

// ParseSeverity accepts a severity name, any case.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Severities(), v) {
		return v, nil
	}
	return "", Invalid("severity", "unknown severity %q (use low, medium, high or critical)", s)
}

// EnumValues lists the severities for the API schema.
func (Severity) EnumValues() []string { return enumStrings(Severities()) }

// Rank orders severities: 1 (low) to 4 (critical); 0 for an unknown one.
func (s Severity) Rank() int { return slices.Index(Severities(), s) + 1 }

// AtLeast reports whether s is as severe as min or more.
func (s Severity) AtLeast(min Severity) bool { return s.Rank() >= min.Rank() && s.Rank() > 0 }

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// TestStatus is a test's result for one resource.
type TestStatus string

const (
	// TestPass: the assertion held.
	TestPass TestStatus = "pass"
	// TestFail: the assertion did not hold.
	TestFail TestStatus = "fail"
	// TestError: the test could not judge the resource: a value it needs is
	// unknown, the expression failed at run time, or the resource's latest
	// collection failed.
	TestError TestStatus = "error"
	// TestSkipped: the resource was not judged because its data is stale (not
	// refreshed within two collection intervals).
	TestSkipped TestStatus = "skipped"
)

// TestStatuses lists the statuses.
func TestStatuses() []TestStatus { return []TestStatus{TestPass, TestFail, TestError, TestSkipped} }

// ParseTestStatus accepts a status name.
func ParseTestStatus(s string) (TestStatus, error) {
	v := TestStatus(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(TestStatuses(), v) {
		return v, nil
	}
	return "", Invalid("status", "unknown test status %q (use pass, fail, error or skipped)", s)
}

// EnumValues lists the statuses for the API schema.
func (TestStatus) EnumValues() []string { return enumStrings(TestStatuses()) }

// Failing reports whether the status counts against a control: a failure,
// or a resource the test could not judge.
func (s TestStatus) Failing() bool { return s == TestFail || s == TestError }

// StatusChange is one transition of a test's status for one resource,
// written by the evaluation in the same transaction as the status interval
// it opens or closes (an outbox: notifications read it, once per change).
// A run that changes nothing writes none.
//
// From is empty when the test had no status for the resource before (a new
// resource, or a new test); such a first result is recorded only when it is
// not a pass. To is empty when the resource stopped being judged while it
// was failing: it was removed, the test no longer applies to it, or the test
// itself was removed.
type StatusChange struct {
	ID            int64      `json:"id"`
	OrgID         int64      `json:"org_id"`
	TestID        string     `json:"test"`
	TestTitle     string     `json:"test_title"`
	Severity      Severity   `json:"severity"`
	ResourceID    int64      `json:"resource_id"`
	ResourceType  string     `json:"resource_type"`
	ResourceName  string     `json:"resource_name"`
	IntegrationID int64      `json:"integration_id"`
	Integration   string     `json:"integration"`
	From          TestStatus `json:"from"`
	To            TestStatus `json:"to"`
	Message       string     `json:"message"`
	At            time.Time  `json:"at"`
	// Controls are the library control keys the test supports.
	Controls []string `json:"controls"`
}

// StatusInterval is a test's status for one resource over [From, To); To is
// nil while the status holds. Intervals of one test × resource never
// overlap, and each new one starts where the previous ended.
type StatusInterval struct {
	ID           int64      `json:"id"`
	TestID       string     `json:"test"`
	ResourceID   int64      `json:"resource_id"`
	ResourceType string     `json:"resource_type"`
	ResourceName string     `json:"resource_name"`
	Status       TestStatus `json:"status"`
	Message      string     `json:"message"`
	From         time.Time  `json:"from"`
	To           *time.Time `json:"to,omitempty"`
}

// Covers reports whether the interval holds at t.
func (iv StatusInterval) Covers(t time.Time) bool {
	return !t.Before(iv.From) && (iv.To == nil || t.Before(*iv.To))
}

// Overlap is how long the interval overlaps [from, to); an open interval
// runs until to.
func (iv StatusInterval) Overlap(from, to time.Time) time.Duration {
	start, end := iv.From, to
	if iv.To != nil && iv.To.Before(end) {
		end = *iv.To
	}
	if from.After(start) {
		start = from
	}
	if !end.After(start) {
		return 0
	}
	return end.Sub(start)
}

// Exception accepts a test's failure for one resource (ResourceID set) or
// for every resource (ResourceID 0) until it expires: failures under an
// unexpired exception do not count against controls or fail a scan.
type Exception struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	TestID       string    `json:"test"`
	ResourceID   int64     `json:"resource_id,omitempty"`
	ResourceName string    `json:"resource_name,omitempty"`
	ResourceType string    `json:"resource_type,omitempty"`
	Reason       string    `json:"reason"`
	Approver     string    `json:"approver"`
	ExpiresAt    time.Time `json:"expires_at"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	// RevokedAt and RevokedBy are set when someone ended it early.
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
	// ExpiryRecorded is when Assure noticed the expiry and put it on the ledger.
	ExpiryRecorded *time.Time `json:"expiry_recorded_at,omitempty"`
}

// ActiveAt reports whether the exception applies at t: created, not
// revoked, not expired.
func (e Exception) ActiveAt(t time.Time) bool {
	return !t.Before(e.CreatedAt) && t.Before(e.ExpiresAt) && (e.RevokedAt == nil || t.Before(*e.RevokedAt))
}

// State is active, expired or revoked at t.
func (e Exception) State(t time.Time) string {
	switch {
	case e.RevokedAt != nil && !t.Before(*e.RevokedAt):
		return "revoked"
	case !t.Before(e.ExpiresAt):
		return "expired"
	default:
		return "active"
	}
}

// Covers reports whether the exception is for this test and resource.
func (e Exception) Covers(testID string, resourceID int64) bool {
	return e.TestID == testID && (e.ResourceID == 0 || e.ResourceID == resourceID)
}
