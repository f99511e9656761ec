package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Delivery rules (docs/notifications.md):
//
//   - Each channel keeps a cursor in the outbox of status changes. A pass
//     reads the changes after it, keeps those the channel's filters match,
//     and plans them as deliveries of at most BatchSize changes each, in
//     the transaction that moves the cursor (a compare-and-set: of two
//     processes planning at once, one wins and the other plans nothing).
//     Every change is also an item keyed "change:<id>", unique per channel.
//     So a change reaches a channel once, and the changes of one run (or
//     of the runs since the last pass) make one message.
//   - A delivery is claimed for an attempt with a compare-and-set on its
//     status and a lease; an attempt abandoned by a process that stopped
//     is taken over when its lease runs out.
//   - A refused message (HTTP 4xx other than 408 and 429, SMTP 5xx, a bad
//     certificate) fails at once; anything else is retried after 30 s,
//     1, 2, 4… minutes (or the receiver's Retry-After), up to MaxAttempts.

const (
	// BatchSize bounds the changes of one message.
	BatchSize = 100
	// MaxAttempts bounds the attempts of one delivery (about an hour).
	MaxAttempts = 8
	planRead    = 500
	retryBase   = 30 * time.Second
	retryMax    = time.Hour
	// deliveryLease is how long one attempt may take before another
	// process may take it over.
	deliveryLease = 2 * time.Minute
	sendTimeout   = time.Minute
)

var errRaced = errors.New("another process planned this channel meanwhile")

func retryDelay(attempts int) time.Duration {
	d := retryBase
	for i := 1; i < attempts && d < retryMax; i++ {
		d *= 2
	}
	if d > retryMax {
		d = retryMax
	}
	return d
}

// matches reports whether a channel's filters let a change through.
func matches(c store.ChannelState, ch model.StatusChange) bool {
	if !ch.Severity.AtLeast(c.MinSeverity) {
		return false
	}
	if c.OnlyFailures && !ch.To.Failing() {
		return false
	}
	if len(c.Integrations) > 0 && !slices.Contains(c.Integrations, ch.IntegrationID) {
		return false
	}
	if len(c.Controls) > 0 && !slices.ContainsFunc(ch.Controls, func(k string) bool { return slices.Contains(c.Controls, k) }) {
		return false
	}
	return true
}

func (s *Service) messageOrg(ctx context.Context, orgID int64) (MessageOrg, error) {
	o, err := s.st.Org(orgID).Organization(ctx)
	if err != nil {
		return MessageOrg{}, err
	}
	return MessageOrg{ID: o.ID, Slug: o.Slug, Name: o.Name}, nil
}

// planChanges plans the deliveries of a channel's new changes.
func (s *Service) planChanges(ctx context.Context, org MessageOrg, ch store.ChannelState) (int, error) {
	ost := s.st.Org(ch.OrgID)
	planned := 0
	for {
		changes, err := ost.StatusChangesAfter(ctx, ch.Cursor, planRead)
		if err != nil || len(changes) == 0 {
			return planned, err
		}
		var matched []model.StatusChange
		for _, c := range changes {
			if matches(ch, c) {
				matched = append(matched, c)
			}
		}
		last := changes[len(changes)-1].ID
		n, err := s.planBatch(ctx, ost, org, ch, last, matched, false)
		if errors.Is(err, model.ErrConflict) {
			// Some change was delivered to this channel already (its cursor
			// was moved back by hand?): plan only the others.
			n, err = s.planBatch(ctx, ost, org, ch, last, matched, true)
		}
		if errors.Is(err, errRaced) {
			return planned, nil
		}
		if err != nil {
			return planned, err
		}
		planned += n
		ch.Cursor = last
		if len(changes) < planRead {
			return planned, nil
		}
	}
}

func (s *Service) planBatch(ctx context.Context, ost *store.OrgStore, org MessageOrg, ch store.ChannelState, last int64,
	matched []model.StatusChange, skipDelivered bool) (int, error) {
	planned := 0
	err := ost.InTx(ctx, func(tx *store.OrgStore) error {
		planned = 0
		ok, err := tx.AdvanceChannelCursor(ctx, ch.ID, ch.Cursor, last)
		if err != nil {
			return err
		}
		if !ok {
			return errRaced
		}
		todo := matched
		if skipDelivered {
			keys := make([]string, len(matched))
			for i, c := range matched {
				keys[i] = changeKey(c.ID)
			}
			done, err := tx.DeliveredKeys(ctx, ch.ID, keys)
			if err != nil {
				return err
			}
			todo = nil
			for _, c := range matched {
				if !done[changeKey(c.ID)] {
					todo = append(todo, c)
				}
			}
		}
		for len(todo) > 0 {
			n := min(len(todo), BatchSize)
			chunk := todo[:n]
			todo = todo[n:]
			msg := s.changeMessage(org, chunk)
			keys := make([]string, len(chunk))
			for i, c := range chunk {
				keys[i] = changeKey(c.ID)
			}
			if _, err := s.insertDelivery(ctx, tx, ch.ID, model.DeliveryChanges, msg, keys); err != nil {
				return err
			}
			planned += n
		}
		return nil
	})
	return planned, err
}

func changeKey(id int64) string { return "change:" + strconv.FormatInt(id, 10) }

func (s *Service) insertDelivery(ctx context.Context, tx *store.OrgStore, channelID int64, kind model.DeliveryKind, msg Message, keys []string) (int64, error) {
	payload, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("cannot encode a notification: %w", err)
	}
	return tx.InsertDelivery(ctx, store.DeliveryRecord{ChannelID: channelID, Kind: kind, Subject: msg.Subject(), Payload: payload,
		Keys: keys, NextAttemptAt: s.now()}, s.now())
}

// DispatchResult counts what a dispatch pass did.
type DispatchResult struct {
	Planned   int `json:"planned"`   // status changes and reminders planned into deliveries
	Sent      int `json:"sent"`      // deliveries sent
	Failed    int `json:"failed"`    // deliveries given up
	Retrying  int `json:"retrying"`  // deliveries that failed this time and will be retried
	Reminders int `json:"reminders"` // expiry reminders planned
}

// Dispatch plans the new status changes of every organization and sends
// every due delivery, once.
func (s *Service) Dispatch(ctx context.Context) (DispatchResult, error) { return s.dispatch(ctx, 0) }

// DispatchOrg does the same for one organization: what `assure scan` does
// after evaluating, so an installation without a server notifies too. It
// is safe beside a server's dispatcher: nothing is planned or sent twice.
func (s *Service) DispatchOrg(ctx context.Context, orgID int64) (DispatchResult, error) {
	return s.dispatch(ctx, orgID)
}

func (s *Service) dispatch(ctx context.Context, orgID int64) (DispatchResult, error) {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	var res DispatchResult
	orgs := []int64{orgID}
	if orgID == 0 {
		var err error
		if orgs, err = s.st.ActiveChannelOrgs(ctx); err != nil {
			return res, err
		}
	}
	var errs []error
	for _, org := range orgs {
		n, err := s.planOrg(ctx, org)
		res.Planned += n
		if err != nil {
			errs = append(errs, fmt.Errorf("organization %d: %w", org, err))
		}
	}
	if err := s.sendDue(ctx, orgID, &res); err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

func (s *Service) planOrg(ctx context.Context, orgID int64) (int, error) {
	channels, err := s.st.Org(orgID).Channels(ctx, false)
	if err != nil || len(channels) == 0 {
		return 0, err
	}
	org, err := s.messageOrg(ctx, orgID)
	if err != nil {
		return 0, err
	}
	planned := 0
	for _, ch := range channels {
		if !ch.Enabled {
			continue
		}
		n, err := s.planChanges(ctx, org, ch)
		planned += n
		if err != nil {
			return planned, fmt.Errorf("channel %s: %w", ch.Name, err)
		}
	}
	return planned, nil
}

// sendDue attempts every due delivery (of one organization, or all).
func (s *Service) sendDue(ctx context.Context, orgID int64, res *DispatchResult) error {
	for {
		due, err := s.st.DueDeliveries(ctx, s.now(), 100)
		if err != nil {
			return err
		}
		tried := 0
		for _, d := range due {
			if orgID != 0 && d.OrgID != orgID {
				continue
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			got, ok, err := s.attempt(ctx, d.OrgID, d.ID)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			tried++
			switch got.Status {
			case model.DeliverySent:
				res.Sent++
			case model.DeliveryFailed:
				res.Failed++
			default:
				res.Retrying++
			}
		}
		if tried == 0 || len(due) < 100 {
			return nil
		}
	}
}

// attempt claims a delivery and makes one attempt; ok is false when it was
// not due or another process took it.
func (s *Service) attempt(ctx context.Context, orgID, id int64) (model.NotificationDelivery, bool, error) {
	ost := s.st.Org(orgID)
	now := s.now()
	claimed, err := ost.ClaimDelivery(ctx, id, now, now.Add(deliveryLease))
	if err != nil || !claimed {
		return model.NotificationDelivery{}, false, err
	}
	d, err := ost.Delivery(ctx, id)
	if err != nil {
		return d, false, err
	}
	ch, err := ost.Channel(ctx, d.ChannelID)
	if err != nil {
		return d, false, err
	}
	log := s.log.With("org_id", orgID, "channel_id", ch.ID, "delivery_id", d.ID, "kind", ch.Kind, "attempt", d.Attempts)
	var msg Message
	var a attempt
	var sendErr error
	if err := json.Unmarshal(d.Payload, &msg); err != nil {
		a, sendErr = attempt{Permanent: true}, fmt.Errorf("the stored message cannot be read: %w", err)
	} else if cfg, err := s.resolved(ch); err != nil {
		a, sendErr = attempt{Permanent: true}, err
	} else {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		a, sendErr = s.send(sctx, ch.Kind, cfg, d, msg)
		cancel()
	}
	out := store.DeliveryOutcome{Response: a.Response}
	switch {
	case sendErr == nil:
		t := s.now()
		out.Status, out.SentAt = model.DeliverySent, &t
		log.Info("notification sent", "response", a.Response)
	case a.Permanent || d.Kind == model.DeliveryTest || d.Attempts >= MaxAttempts:
		out.Status, out.Error = model.DeliveryFailed, sendErr.Error()
		log.Warn("notification failed for good", "err", sendErr)
	default:
		wait := max(retryDelay(d.Attempts), a.RetryAfter)
		out.Status, out.Error, out.NextAttemptAt = model.DeliveryPending, sendErr.Error(), s.now().Add(wait)
		log.Warn("notification failed; it will be retried", "err", sendErr, "retry_in", wait)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := ost.FinishDelivery(wctx, id, out); err != nil {
		return d, false, err
	}
	d, err = ost.Delivery(wctx, id)
	return d, true, err
}

func (s *Service) send(ctx context.Context, kind model.ChannelKind, cfg channelSecrets, d model.NotificationDelivery, m Message) (attempt, error) {
	switch kind {
	case model.ChannelWebhook:
		return s.sendWebhook(ctx, cfg, d, m)
	case model.ChannelSlack:
		return s.sendSlack(ctx, cfg, m)
	case model.ChannelEmail:
		return s.sendEmail(ctx, cfg, d, m)
	}
	return attempt{Permanent: true}, fmt.Errorf("unknown channel kind %q", kind)
}

// RunDispatcher plans and sends until ctx ends: at once when a run was
// evaluated (Kick), and every DispatchEvery otherwise; expiry reminders
// every RemindEvery. A send under way when ctx ends is finished first.
func (s *Service) RunDispatcher(ctx context.Context) {
	t := time.NewTicker(s.opts.DispatchEvery)
	defer t.Stop()
	r := time.NewTicker(s.opts.RemindEvery)
	defer r.Stop()
	remind := true
	for {
		if remind {
			if n, err := s.Remind(ctx, 0); err != nil && ctx.Err() == nil {
				s.log.Warn("cannot plan evidence expiry reminders", "err", err)
			} else if n > 0 {
				s.log.Info("planned evidence expiry reminders", "count", n)
			}
			remind = false
		}
		// While stopping, the attempt under way finishes (it is never cut in
		// the middle and left to its lease) and no other starts.
		if _, err := s.Dispatch(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("notification dispatch failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		case <-r.C:
			remind = true
		}
	}
}

// TestChannel sends a test message through a channel now (whether or not
// it is enabled) and returns the delivery with its outcome. A test is not
// retried.
func (s *Service) TestChannel(ctx context.Context, p model.Principal, id int64) (model.NotificationDelivery, error) {
	if err := need(p, model.PermManage, "testing a notification channel"); err != nil {
		return model.NotificationDelivery{}, err
	}
	ost := s.st.Org(p.Org.ID)
	ch, err := ost.Channel(ctx, id)
	if err != nil {
		return model.NotificationDelivery{}, err
	}
	if ch.RemovedAt != nil {
		return model.NotificationDelivery{}, fmt.Errorf("notification channel %q was removed: %w", ch.Name, model.ErrNotFound)
	}
	org, err := s.messageOrg(ctx, p.Org.ID)
	if err != nil {
		return model.NotificationDelivery{}, err
	}
	msg := Message{Type: TypeTest, Organization: org, CreatedAt: s.now().UTC(),
		Text: fmt.Sprintf("This is a test notification from Assure to the channel %q, sent by %s. If you can read it, the channel works.", ch.Name, actorName(p))}
	var did int64
	if err := ost.InTx(ctx, func(tx *store.OrgStore) error {
		did, err = s.insertDelivery(ctx, tx, ch.ID, model.DeliveryTest, msg, nil)
		return err
	}); err != nil {
		return model.NotificationDelivery{}, err
	}
	d, ok, err := s.attempt(ctx, p.Org.ID, did)
	if err != nil {
		return d, err
	}
	if !ok {
		return ost.Delivery(ctx, did)
	}
	return d, nil
}

// DeliveryDetail is a delivery with its message and the items it carried.
type DeliveryDetail struct {
	model.NotificationDelivery
	ItemKeys []string `json:"item_keys"`
}

// Deliveries lists the organization's delivery log, newest first.
func (s *Service) Deliveries(ctx context.Context, p model.Principal, f store.DeliveryFilter) ([]model.NotificationDelivery, error) {
	if err := need(p, model.PermManage, "reading the notification log"); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(model.DeliveryStatus("").EnumValues(), string(f.Status)) {
		return nil, model.Invalid("status", "unknown delivery status %q (use pending, sending, sent or failed)", f.Status)
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	return s.st.Org(p.Org.ID).Deliveries(ctx, f)
}

// Delivery reads one delivery with its message.
func (s *Service) Delivery(ctx context.Context, p model.Principal, id int64) (DeliveryDetail, error) {
	if err := need(p, model.PermManage, "reading the notification log"); err != nil {
		return DeliveryDetail{}, err
	}
	ost := s.st.Org(p.Org.ID)
	d, err := ost.Delivery(ctx, id)
	if err != nil {
		return DeliveryDetail{}, err
	}
	keys, err := ost.DeliveryItemKeys(ctx, id)
	if err != nil {
		return DeliveryDetail{}, err
	}
	if keys == nil {
		keys = []string{}
	}
	return DeliveryDetail{NotificationDelivery: d, ItemKeys: keys}, nil
}

// RetryDelivery sends a failed delivery again (after fixing the channel).
func (s *Service) RetryDelivery(ctx context.Context, p model.Principal, id int64) (model.NotificationDelivery, error) {
	if err := need(p, model.PermManage, "retrying a notification"); err != nil {
		return model.NotificationDelivery{}, err
	}
	ost := s.st.Org(p.Org.ID)
	if err := ost.RetryDelivery(ctx, id, s.now()); err != nil {
		return model.NotificationDelivery{}, fmt.Errorf("%w (only a failed delivery can be retried)", err)
	}
	s.Kick()
	return ost.Delivery(ctx, id)
}
