package monitor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Evidence expiry reminders: for each channel with reminder days (default
// 14 and 1), an item whose current version expires within the largest of
// them is reminded once per threshold it has reached, as the item
// "expiry:<version id>:<days>", unique per channel. A version that
// reached several thresholds at once (the server was off) gets one
// reminder, for the nearest. A new version of the item starts afresh;
// evidence that has already expired is not reminded of.

func expiryKey(versionID int64, days int) string {
	return "expiry:" + strconv.FormatInt(versionID, 10) + ":" + strconv.Itoa(days)
}

// threshold is the reminder that applies daysLeft before expiry: the
// smallest of days at or above it.
func threshold(days []int, daysLeft int) (int, bool) {
	best, ok := 0, false
	for _, d := range days {
		if d >= daysLeft && (!ok || d < best) {
			best, ok = d, true
		}
	}
	return best, ok
}

// Remind plans the expiry reminders that are due (for one organization, or
// all with channels) and returns how many items it planned.
func (s *Service) Remind(ctx context.Context, orgID int64) (int, error) {
	if s.opts.Evidence == nil {
		return 0, nil
	}
	orgs := []int64{orgID}
	if orgID == 0 {
		var err error
		if orgs, err = s.st.ActiveChannelOrgs(ctx); err != nil {
			return 0, err
		}
	}
	total := 0
	var errs []error
	for _, org := range orgs {
		n, err := s.remindOrg(ctx, org)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("organization %d: %w", org, err))
		}
	}
	if total > 0 {
		s.Kick()
	}
	return total, errors.Join(errs...)
}

func (s *Service) remindOrg(ctx context.Context, orgID int64) (int, error) {
	ost := s.st.Org(orgID)
	channels, err := ost.Channels(ctx, false)
	if err != nil {
		return 0, err
	}
	maxDays := -1
	for _, ch := range channels {
		if ch.Enabled {
			for _, d := range ch.ReminderDays {
				maxDays = max(maxDays, d)
			}
		}
	}
	if maxDays < 0 {
		return 0, nil
	}
	expiring, err := s.opts.Evidence.ExpiringSoon(ctx, orgID, time.Duration(maxDays+1)*24*time.Hour)
	if err != nil || len(expiring) == 0 {
		return 0, err
	}
	org, err := s.messageOrg(ctx, orgID)
	if err != nil {
		return 0, err
	}
	today, _ := time.Parse(model.DateLayout, s.now().UTC().Format(model.DateLayout))
	total := 0
	for _, ch := range channels {
		if !ch.Enabled || len(ch.ReminderDays) == 0 {
			continue
		}
		var rems []Reminder
		var keys []string
		for _, e := range expiring {
			if e.Item.Current == nil {
				continue
			}
			exp, err := time.Parse(model.DateLayout, e.ExpiresOn)
			if err != nil {
				continue
			}
			left := int(exp.Sub(today).Hours() / 24)
			if left < 0 {
				continue
			}
			t, ok := threshold(ch.ReminderDays, left)
			if !ok {
				continue
			}
			controls := e.Item.Controls
			if controls == nil {
				controls = []string{}
			}
			rems = append(rems, Reminder{ItemID: e.Item.ID, VersionID: e.Item.Current.ID, Title: e.Item.Title, Controls: controls,
				ExpiresOn: e.ExpiresOn, DaysLeft: left, URL: s.link("/evidence/" + strconv.FormatInt(e.Item.ID, 10))})
			keys = append(keys, expiryKey(e.Item.Current.ID, t))
		}
		if len(keys) == 0 {
			continue
		}
		n := 0
		err := ost.InTx(ctx, func(tx *store.OrgStore) error {
			done, err := tx.DeliveredKeys(ctx, ch.ID, keys)
			if err != nil {
				return err
			}
			var todo []Reminder
			var todoKeys []string
			for i, k := range keys {
				if !done[k] && !slices.Contains(todoKeys, k) {
					todo, todoKeys = append(todo, rems[i]), append(todoKeys, k)
				}
			}
			if len(todo) == 0 {
				return nil
			}
			msg := Message{Type: TypeReminders, Organization: org, CreatedAt: s.now().UTC(), Reminders: todo}
			_, err = s.insertDelivery(ctx, tx, ch.ID, model.DeliveryReminders, msg, todoKeys)
			n = len(todo)
			return err
		})
		if errors.Is(err, model.ErrConflict) {
			continue // another process planned them meanwhile
		}
		if err != nil {
			return total, fmt.Errorf("channel %s: %w", ch.Name, err)
		}
		total += n
	}
	return total, nil
}
