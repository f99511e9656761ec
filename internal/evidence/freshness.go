package evidence

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Freshness states of a control's evidence.
const (
	FreshCurrent  = "current"        // evidence is effective now
	FreshExpiring = "expiring"       // effective now, but not for long
	FreshNeeded   = "needs_evidence" // nothing is effective now
)

// Freshness says whether a control has evidence that is effective now.
type Freshness struct {
	Control   string          `json:"control"`
	Frequency model.Frequency `json:"frequency"`
	State     string          `json:"state"`
	// Effective lists the items whose current version counts now.
	Effective []int64 `json:"effective"`
	// ValidUntil is when the freshest effective evidence stops counting (nil:
	// it does not age, e.g. an event-driven control's evidence without expiry).
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	Reason     string     `json:"reason"`
}

// NeedsEvidence reports whether the control asks for fresh evidence.
func (f Freshness) NeedsEvidence() bool { return f.State == FreshNeeded }

// ValidUntil is when a version of an item stops counting as current
// evidence for a control of frequency freq, and whether it counts at all.
// It counts from its effective day until one period after the end of its
// effective period (for automated evidence, after the last run that
// confirmed it), and never past its expiry. Superseded or deleted
// versions, and evidence effective only in the future, do not count.
func ValidUntil(it model.EvidenceItem, v model.EvidenceVersion, freq model.Frequency, now time.Time) (until *time.Time, counts bool) {
	if v.DeletedAt != nil || v.SupersededAt != nil || it.DeletedAt != nil {
		return nil, false
	}
	from, err := time.Parse(model.DateLayout, v.EffectiveFrom)
	if err != nil || from.After(now) {
		return nil, false
	}
	var end time.Time
	if it.Kind == model.EvidenceAutomated {
		end = v.CapturedAt
		if it.LastObservedAt != nil {
			end = *it.LastObservedAt
		}
	} else {
		e, err := time.Parse(model.DateLayout, v.EffectiveEnd())
		if err != nil {
			return nil, false
		}
		end = e.AddDate(0, 0, 1) // the end of that day
	}
	var u *time.Time
	if t, ok := freq.Covers(end); ok {
		u = &t
	}
	if v.ExpiresOn != "" {
		if e, err := time.Parse(model.DateLayout, v.ExpiresOn); err == nil && (u == nil || e.Before(*u)) {
			u = &e
		}
	}
	if u != nil && !now.Before(*u) {
		return u, false
	}
	return u, true
}

// FreshnessOf decides a control's freshness from its items. Evidence is
// "expiring" within soon of its end, or within a quarter of the control's
// period when that is shorter (a daily control's evidence is not expiring
// the moment it is collected).
func FreshnessOf(control string, freq model.Frequency, items []model.EvidenceItem, now time.Time, soon time.Duration) Freshness {
	f := Freshness{Control: control, Frequency: freq, State: FreshNeeded, Effective: []int64{}}
	if t, ok := freq.Covers(now); ok && t.Sub(now)/4 < soon {
		soon = t.Sub(now) / 4
	}
	forever := false
	for _, it := range items {
		if it.Current == nil || !slices.Contains(it.Controls, control) {
			continue
		}
		u, ok := ValidUntil(it, *it.Current, freq, now)
		if !ok {
			continue
		}
		f.Effective = append(f.Effective, it.ID)
		if u == nil {
			forever = true
		} else if f.ValidUntil == nil || u.After(*f.ValidUntil) {
			f.ValidUntil = u
		}
	}
	if forever {
		f.ValidUntil = nil
	}
	switch {
	case len(f.Effective) == 0:
		f.Reason = fmt.Sprintf("no evidence for %s is effective now: a %s control needs evidence %s", control, strings.ReplaceAll(string(freq), "_", "-"), cadence(freq))
	case f.ValidUntil != nil && f.ValidUntil.Sub(now) < soon:
		f.State = FreshExpiring
		f.Reason = fmt.Sprintf("the evidence for %s stops counting on %s", control, f.ValidUntil.Format(model.DateLayout))
	default:
		f.State = FreshCurrent
		f.Reason = fmt.Sprintf("%d item(s) of evidence for %s are effective now", len(f.Effective), control)
	}
	return f
}

func cadence(f model.Frequency) string {
	switch f {
	case model.FrequencyContinuous, model.FrequencyDaily:
		return "from the last day"
	case model.FrequencyWeekly:
		return "from the last week"
	case model.FrequencyMonthly:
		return "from the last month"
	case model.FrequencyQuarterly:
		return "from the last quarter"
	case model.FrequencySemiAnnual:
		return "from the last six months"
	case model.FrequencyAnnual:
		return "from the last year"
	}
	return "for each occurrence"
}

// Freshness says whether a control of frequency freq has evidence effective
// now. Evidence within 14 days (or, for short frequencies, a quarter of a
// period) of its end is "expiring" (see FreshnessOf).
func (s *Service) Freshness(ctx context.Context, orgID int64, control string, freq model.Frequency) (Freshness, error) {
	if !freq.Valid() {
		return Freshness{}, model.Invalid("frequency", "unknown frequency %q", freq)
	}
	items, err := s.Store.Org(orgID).ListEvidence(ctx, store.EvidenceFilter{Control: control})
	if err != nil {
		return Freshness{}, err
	}
	return FreshnessOf(control, freq, items, s.Now(), 14*24*time.Hour), nil
}

// Expiring is an item whose current version's explicit expiry falls soon.
type Expiring struct {
	Item      model.EvidenceItem `json:"item"`
	ExpiresOn string             `json:"expires_on"`
	Expired   bool               `json:"expired"`
}

// ExpiringSoon lists the organization's items whose current version expires
// within the given time (or already has), soonest first: what reminders are
// sent for.
func (s *Service) ExpiringSoon(ctx context.Context, orgID int64, within time.Duration) ([]Expiring, error) {
	items, err := s.Store.Org(orgID).ListEvidence(ctx, store.EvidenceFilter{})
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	today, limit := now.Format(model.DateLayout), now.Add(within).Format(model.DateLayout)
	out := []Expiring{}
	for _, it := range items {
		if it.Current == nil || it.Current.ExpiresOn == "" || it.Current.DeletedAt != nil || it.Current.ExpiresOn > limit {
			continue
		}
		out = append(out, Expiring{Item: it, ExpiresOn: it.Current.ExpiresOn, Expired: it.Current.ExpiresOn <= today})
	}
	slices.SortFunc(out, func(a, b Expiring) int { return strings.Compare(a.ExpiresOn, b.ExpiresOn) })
	return out, nil
}
