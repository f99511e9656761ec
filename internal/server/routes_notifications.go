package server

import (
	"net/http"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
)

// notificationRoutes are the pages and API of notification channels, the
// delivery log and the schedule. Channels and the log are settings:
// PermManage.
func (s *Server) notificationRoutes() []Route {
	w, a := s.Web, s.API
	const get, post, patch, del = http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	view, manage := model.PermView, model.PermManage
	return []Route{
		{Method: get, Path: "/settings/notifications", Perm: manage, Page: w.Notifications},
		{Method: post, Path: "/settings/notifications", Perm: manage, Page: w.CreateChannel},
		{Method: post, Path: "/settings/notifications/{id}/test", Perm: manage, Page: w.TestChannel},
		{Method: post, Path: "/settings/notifications/{id}/enable", Perm: manage, Page: w.EnableChannel},
		{Method: post, Path: "/settings/notifications/{id}/disable", Perm: manage, Page: w.DisableChannel},
		{Method: post, Path: "/settings/notifications/{id}/remove", Perm: manage, Page: w.RemoveChannel},
		{Method: get, Path: "/settings/notifications/deliveries/{id}", Perm: manage, Page: w.Delivery},
		{Method: post, Path: "/settings/notifications/deliveries/{id}/retry", Perm: manage, Page: w.RetryDelivery},

		{Method: get, Path: "/api/v1/notifications/channels", Perm: manage, API: a.ListChannels, Summary: "List notification channels with their filters (secret settings only by name)", Returns: []monitor.ChannelView{}},
		{Method: post, Path: "/api/v1/notifications/channels", Perm: manage, API: a.CreateChannel, Summary: "Add a notification channel: webhook (signed JSON), slack (incoming webhook) or email (SMTP); a generated webhook signing secret is returned once", Body: monitor.ChannelInput{}, Returns: monitor.ChannelView{}, Status: 201},
		{Method: get, Path: "/api/v1/notifications/channels/{id}", Perm: manage, API: a.GetChannel, Summary: "Read a notification channel", Returns: monitor.ChannelView{}},
		{Method: patch, Path: "/api/v1/notifications/channels/{id}", Perm: manage, API: a.UpdateChannel, Summary: "Change a channel: name, config (null clears a setting; absent keeps it), filters, reminder_days, enabled", Body: monitor.ChannelUpdate{}, Returns: monitor.ChannelView{}},
		{Method: del, Path: "/api/v1/notifications/channels/{id}", Perm: manage, API: a.RemoveChannel, Summary: "Remove a channel (its delivery log stays)", Status: 204},
		{Method: post, Path: "/api/v1/notifications/channels/{id}/test", Perm: manage, API: a.TestChannel, Summary: "Send a test message now; answers with the delivery and its outcome", Returns: model.NotificationDelivery{}},
		{Method: get, Path: "/api/v1/notifications/deliveries", Perm: manage, API: a.ListDeliveries, Summary: "The delivery log, newest first (?channel=ID, ?status=pending|sending|sent|failed, ?limit=)", Returns: []model.NotificationDelivery{}},
		{Method: get, Path: "/api/v1/notifications/deliveries/{id}", Perm: manage, API: a.GetDelivery, Summary: "A delivery with its message and the items it carried", Returns: monitor.DeliveryDetail{}},
		{Method: post, Path: "/api/v1/notifications/deliveries/{id}/retry", Perm: manage, API: a.RetryDelivery, Summary: "Send a failed delivery again", Returns: model.NotificationDelivery{}},
		{Method: get, Path: "/api/v1/schedule", Perm: view, API: a.GetSchedule, Summary: "When the scheduler collects each integration next, with its interval and failed runs in a row", Returns: []monitor.ScheduleView{}},
	}
}
