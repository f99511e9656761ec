package monitor

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
)

// Message is what a delivery carries, stored with it as planned and sent
// as is (the webhook body; rendered for Slack and e-mail). Fields are only
// ever added (docs/notifications.md#webhook).
type Message struct {
	// Type is test_status_changes, evidence_expiring or test.
	Type         string          `json:"type"`
	Organization MessageOrg      `json:"organization"`
	CreatedAt    time.Time       `json:"created_at"`
	Summary      *ChangeSummary  `json:"summary,omitempty"`
	Changes      []MessageChange `json:"changes,omitempty"`
	Reminders    []Reminder      `json:"reminders,omitempty"`
	// Text is a test message's text.
	Text string `json:"text,omitempty"`
}

// The message types.
const (
	TypeChanges   = "test_status_changes"
	TypeReminders = "evidence_expiring"
	TypeTest      = "test"
)

// MessageOrg names the organization.
type MessageOrg struct {
	ID   int64  `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// ChangeSummary counts a message's changes by where they went.
type ChangeSummary struct {
	Changes int `json:"changes"`
	// Failing went to fail or error; Passing went to pass; Other went to
	// skipped or to no status (the resource is no longer judged).
	Failing int `json:"failing"`
	Passing int `json:"passing"`
	Other   int `json:"other"`
}

// MessageChange is a status change with links.
type MessageChange struct {
	model.StatusChange
	// TestURL and ResourceURL link to the pages (empty without a base URL).
	TestURL     string `json:"test_url,omitempty"`
	ResourceURL string `json:"resource_url,omitempty"`
}

// Reminder is one evidence item whose current version expires soon.
type Reminder struct {
	ItemID    int64    `json:"item_id"`
	VersionID int64    `json:"version_id"`
	Title     string   `json:"title"`
	Controls  []string `json:"controls"`
	ExpiresOn string   `json:"expires_on"`
	DaysLeft  int      `json:"days_left"`
	URL       string   `json:"url,omitempty"`
}

func (s *Service) link(path string) string {
	if s.opts.BaseURL == "" {
		return ""
	}
	return strings.TrimRight(s.opts.BaseURL, "/") + path
}

func (s *Service) changeMessage(org MessageOrg, cs []model.StatusChange) Message {
	m := Message{Type: TypeChanges, Organization: org, CreatedAt: s.now().UTC(), Summary: &ChangeSummary{}}
	for _, c := range cs {
		mc := MessageChange{StatusChange: c}
		if c.Controls == nil {
			mc.Controls = []string{}
		}
		mc.TestURL = s.link("/tests/" + url.PathEscape(c.TestID))
		if c.ResourceID > 0 {
			mc.ResourceURL = s.link("/resources/" + strconv.FormatInt(c.ResourceID, 10))
		}
		m.Changes = append(m.Changes, mc)
		switch {
		case c.To.Failing():
			m.Summary.Failing++
		case c.To == model.TestPass:
			m.Summary.Passing++
		default:
			m.Summary.Other++
		}
	}
	m.Summary.Changes = len(cs)
	return m
}

// Subject is a one-line title: the e-mail subject and the Slack header.
func (m Message) Subject() string {
	org := m.Organization.Name
	switch m.Type {
	case TypeChanges:
		if len(m.Changes) == 1 {
			c := m.Changes[0]
			return fmt.Sprintf("[Assure] %s: %s — %s (%s)", transitionWord(c.StatusChange), c.TestTitle, c.ResourceName, org)
		}
		var parts []string
		if m.Summary.Failing > 0 {
			parts = append(parts, fmt.Sprintf("%d failing", m.Summary.Failing))
		}
		if m.Summary.Passing > 0 {
			parts = append(parts, fmt.Sprintf("%d passing", m.Summary.Passing))
		}
		if m.Summary.Other > 0 {
			parts = append(parts, fmt.Sprintf("%d other", m.Summary.Other))
		}
		return fmt.Sprintf("[Assure] %d test status changes: %s (%s)", len(m.Changes), strings.Join(parts, ", "), org)
	case TypeReminders:
		if len(m.Reminders) == 1 {
			r := m.Reminders[0]
			return fmt.Sprintf("[Assure] Evidence %s: %s (%s)", expiryWords(r.DaysLeft), r.Title, org)
		}
		return fmt.Sprintf("[Assure] %d evidence items expire soon (%s)", len(m.Reminders), org)
	default:
		return fmt.Sprintf("[Assure] Test notification (%s)", org)
	}
}

func expiryWords(days int) string {
	switch {
	case days <= 0:
		return "expires today"
	case days == 1:
		return "expires tomorrow"
	default:
		return fmt.Sprintf("expires in %d days", days)
	}
}

// statusWord names a status for people ("no status" for none).
func statusWord(s model.TestStatus) string {
	switch s {
	case "":
		return "no status"
	case model.TestPass:
		return "passing"
	case model.TestFail:
		return "failing"
	case model.TestError:
		return "error"
	case model.TestSkipped:
		return "skipped"
	}
	return string(s)
}

// transitionWord says what happened in one word or two.
func transitionWord(c model.StatusChange) string {
	switch {
	case c.To == model.TestFail:
		return "FAILING"
	case c.To == model.TestError:
		return "ERROR"
	case c.To == model.TestPass && c.From.Failing():
		return "FIXED"
	case c.To == model.TestPass:
		return "PASSING"
	case c.To == model.TestSkipped:
		return "SKIPPED"
	default:
		return "NO LONGER TESTED"
	}
}

// changeLine is one change as a line of text.
func changeLine(c MessageChange) string {
	line := fmt.Sprintf("%s [%s] %s — %s %s (%s): %s → %s", transitionWord(c.StatusChange), c.Severity, c.TestTitle,
		c.ResourceType, c.ResourceName, c.Integration, statusWord(c.From), statusWord(c.To))
	if c.Message != "" {
		line += ": " + c.Message
	}
	return line
}

// PlainText renders the message as plain text (the e-mail body).
func (m Message) PlainText() string {
	var b strings.Builder
	switch m.Type {
	case TypeChanges:
		fmt.Fprintf(&b, "%d test status change(s) in %s", len(m.Changes), m.Organization.Name)
		fmt.Fprintf(&b, " (%d failing, %d passing, %d other).\n\n", m.Summary.Failing, m.Summary.Passing, m.Summary.Other)
		for _, c := range sortedChanges(m.Changes) {
			b.WriteString("- " + changeLine(c) + "\n")
			if len(c.Controls) > 0 {
				fmt.Fprintf(&b, "  Controls: %s\n", strings.Join(c.Controls, ", "))
			}
			fmt.Fprintf(&b, "  Since %s", c.At.UTC().Format("2006-01-02 15:04 UTC"))
			if c.TestURL != "" {
				fmt.Fprintf(&b, " · %s", c.TestURL)
			}
			b.WriteString("\n")
		}
	case TypeReminders:
		fmt.Fprintf(&b, "Evidence in %s that expires soon: upload a new version before it stops counting.\n\n", m.Organization.Name)
		for _, r := range m.Reminders {
			fmt.Fprintf(&b, "- %s: %s (on %s)", r.Title, expiryWords(r.DaysLeft), r.ExpiresOn)
			if len(r.Controls) > 0 {
				fmt.Fprintf(&b, ", for %s", strings.Join(r.Controls, ", "))
			}
			if r.URL != "" {
				fmt.Fprintf(&b, "\n  %s", r.URL)
			}
			b.WriteString("\n")
		}
	default:
		b.WriteString(m.Text + "\n")
	}
	b.WriteString("\n— Assure")
	if m.Organization.Slug != "" {
		fmt.Fprintf(&b, " (organization %s)", m.Organization.Slug)
	}
	b.WriteString("\n")
	return b.String()
}

// sortedChanges puts failures first, most severe first, then the rest in
// the order they happened.
func sortedChanges(cs []MessageChange) []MessageChange {
	out := append([]MessageChange(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool {
		fi, fj := out[i].To.Failing(), out[j].To.Failing()
		if fi != fj {
			return fi
		}
		if fi && out[i].Severity != out[j].Severity {
			return out[i].Severity.Rank() > out[j].Severity.Rank()
		}
		return false
	})
	return out
}
