package okta

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// oktaTime turns an Okta timestamp ("2014-04-15T18:10:06.000Z") into RFC
// 3339 in UTC; Okta's null (never happened) is "".
func oktaTime(v *string) (string, error) {
	if v == nil || *v == "" {
		return "", nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return "", fmt.Errorf("Okta answered %q, which is not a time", *v)
	}
	return t.UTC().Format(time.RFC3339), nil
}

// setTime sets a time field, or marks it unknown when Okta's value is not
// a time.
func setTime(f *connector.Facts, field string, v *string) {
	s, err := oktaTime(v)
	if err != nil {
		f.Unknown(field, err.Error())
		return
	}
	f.Set(field, s, "")
}

// sortedSet returns the distinct values, sorted; never nil.
func sortedSet(values []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, v := range values {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// strs returns list, or an empty list for nil (null means unknown).
func strs(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// refs joins call references, dropping repeats.
func refs(lists ...[]connector.CallRef) []connector.CallRef {
	var out []connector.CallRef
	seen := map[int64]bool{}
	for _, l := range lists {
		for _, r := range l {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	return out
}

// result is one per-object lookup (a user's factors or roles).
type result[T any] struct {
	v    T
	refs []connector.CallRef
	err  error // only a 404: the object went away during the run
}

// lookupAll calls fetch for each id, c.concurrency at a time, within the
// integration's rate limit. The first error other than a 404 stops new
// calls (the quota, permission or outage it reveals would fail them all)
// and is returned; ids never called have no result. Each call is tracked
// on its own, so ctx must not carry a connector.Track: tracks are not
// shared across goroutines.
func lookupAll[T any](ctx context.Context, c *client, ids []string, fetch func(ctx context.Context, id string) (T, error)) (map[string]*result[T], error) {
	out := make(map[string]*result[T], len(ids))
	var (
		mu   sync.Mutex
		stop error
		wg   sync.WaitGroup
	)
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return stop != nil
	}
	jobs := make(chan string)
	for range c.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				if stopped() {
					continue // handed over before the stop was seen
				}
				tctx, calls := connector.Track(ctx)
				v, err := fetch(tctx, id)
				mu.Lock()
				switch {
				case err == nil || notFound(err):
					out[id] = &result[T]{v: v, refs: calls.Refs(), err: err}
				case stop == nil:
					stop = err
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, id := range ids {
		if stopped() {
			break
		}
		select {
		case jobs <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if stop == nil && ctx.Err() != nil {
		stop = ctx.Err()
	}
	return out, stop
}
