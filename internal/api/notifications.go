package api

import (
	"net/http"

	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
)

// ListChannels lists the organization's notification channels.
func (h *Handlers) ListChannels(r *http.Request, p model.Principal) (any, error) {
	return h.Monitor.Channels(r.Context(), p)
}

// CreateChannel adds a notification channel; a webhook's generated signing
// secret is in the answer, once.
func (h *Handlers) CreateChannel(r *http.Request, p model.Principal) (any, error) {
	var in monitor.ChannelInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	v, err := h.Monitor.CreateChannel(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: v}, nil
}

// GetChannel reads one channel (secret settings only by name).
func (h *Handlers) GetChannel(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Monitor.Channel(r.Context(), p, id)
}

// UpdateChannel changes a channel: absent fields stay; in config a value
// sets a setting and null clears it.
func (h *Handlers) UpdateChannel(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var up monitor.ChannelUpdate
	if err := decode(r, &up); err != nil {
		return nil, err
	}
	return h.Monitor.UpdateChannel(r.Context(), p, id, up)
}

// RemoveChannel removes a channel; its delivery log stays.
func (h *Handlers) RemoveChannel(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return httpx.NoContent{}, h.Monitor.RemoveChannel(r.Context(), p, id)
}

// TestChannel sends a test message now and answers with the delivery.
func (h *Handlers) TestChannel(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Monitor.TestChannel(r.Context(), p, id)
}

// ListDeliveries is the delivery log: ?channel=ID, ?status=, ?limit=.
func (h *Handlers) ListDeliveries(r *http.Request, p model.Principal) (any, error) {
	channel, err := queryInt(r, "channel", 0)
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return nil, err
	}
	return h.Monitor.Deliveries(r.Context(), p, store.DeliveryFilter{ChannelID: int64(channel),
		Status: model.DeliveryStatus(r.URL.Query().Get("status")), Limit: limit})
}

// GetDelivery reads one delivery with its message and items.
func (h *Handlers) GetDelivery(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Monitor.Delivery(r.Context(), p, id)
}

// RetryDelivery makes a failed delivery pending again.
func (h *Handlers) RetryDelivery(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Monitor.RetryDelivery(r.Context(), p, id)
}

// GetSchedule lists when each integration is collected next.
func (h *Handlers) GetSchedule(r *http.Request, p model.Principal) (any, error) {
	return h.Monitor.Schedule(r.Context(), p)
}
