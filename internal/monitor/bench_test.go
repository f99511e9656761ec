package monitor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
)

// BenchmarkCollectionToNotification measures the time from the end of a
// collection run to its notifications having been received
// (docs/performance.md): evaluating the tests over the run's integration
// (ASSURE_BENCH_RESOURCES host.sshd resources, 100,000 by default),
// storing the status changes, planning them into a delivery and sending
// it to a webhook receiver that checks the signature. Each iteration
// breaks (or fixes) 1% of the machines, collects (not timed), then times
// evaluation and dispatch until the receiver has the message.
//
//	go test ./internal/monitor -run '^$' -bench CollectionToNotification -benchtime 5x
//
// On PostgreSQL: set ASSURE_BENCH_POSTGRES_URL to an empty database's URL.
func BenchmarkCollectionToNotification(b *testing.B) {
	n := 100_000
	if v := os.Getenv("ASSURE_BENCH_RESOURCES"); v != "" {
		fmt.Sscan(v, &n)
	}
	ctx := context.Background()
	var st *store.Store
	var err error
	if url := os.Getenv("ASSURE_BENCH_POSTGRES_URL"); url != "" {
		st, err = store.OpenPostgres(ctx, url)
	} else {
		st, err = store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "bench.db"))
	}
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	w := newWorld(b, st)
	var secret string
	hook := newReceiver(b, webhookChecker(&secret, w.clock))
	ch, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "siem", Kind: model.ChannelWebhook, Config: map[string]string{"url": hook.srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	secret = ch.SigningSecret
	for i := range n {
		w.hosts.set(fmt.Sprintf("host-%06d", i), sshd(false))
	}
	in := w.addIntegration("fleet", time.Hour)
	start := time.Now()
	if _, err := w.collect.Run(ctx, w.p, in.ID, model.TriggerCLI); err != nil {
		b.Fatal(err)
	}
	collected := time.Since(start)
	if _, err := w.checks.EvaluateRun(ctx, w.p.Org.ID, w.runs(in.ID)[0].ID); err != nil {
		b.Fatal(err)
	}
	w.dispatch(w.mon)
	b.Logf("%d resources: first collection %s", n, collected.Round(time.Millisecond))

	flip := max(n/100, 1)
	broken := false
	var evaluate, dispatch time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		broken = !broken
		for j := range flip {
			w.hosts.set(fmt.Sprintf("host-%06d", (j*97)%n), sshd(broken))
		}
		w.advance(time.Hour)
		rv, err := w.collect.Run(ctx, w.p, in.ID, model.TriggerSchedule)
		if err != nil || rv.Status != model.RunSucceeded {
			b.Fatalf("run: %v %v", err, rv.Status)
		}
		before := len(hook.received())
		b.StartTimer()
		t0 := time.Now()
		ev, err := w.checks.EvaluateRun(ctx, w.p.Org.ID, rv.ID)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		res, err := w.mon.Dispatch(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		evaluate += t1.Sub(t0)
		dispatch += time.Since(t1)
		if got := len(hook.received()) - before; got == 0 || res.Sent != got || len(ev.Changes) == 0 {
			b.Fatalf("iteration %d: %d changes, %d messages received, %+v", i, len(ev.Changes), got, res)
		}
		b.ReportMetric(float64(len(ev.Changes)), "changes/op")
	}
	b.ReportMetric(float64(evaluate.Milliseconds())/float64(b.N), "evaluate-ms/op")
	b.ReportMetric(float64(dispatch.Milliseconds())/float64(b.N), "dispatch-ms/op")
}
