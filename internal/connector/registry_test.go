package connector

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func reg(id string, types ...ResourceType) Registration {
	return Registration{ID: id, Name: strings.ToUpper(id), Category: CategoryOther, Description: "test",
		Open:      func(context.Context, Config, Runtime) (Conn, error) { return nil, nil },
		Resources: types}
}

func typ(name string, fields ...Field) ResourceType {
	return ResourceType{Name: name, Description: "d", Fields: fields,
		List: func(context.Context, Conn, Emitter) error { return nil }}
}

func TestRegistry(t *testing.T) {
	bucketA := typ("aws.s3.bucket", Field{Name: "name", Type: "string"}, Field{Name: "versioning", Type: "bool"})
	bucketB := typ("aws.s3.bucket", Field{Name: "name", Type: "string"}, Field{Name: "region", Type: "string"})
	r, err := NewRegistry(reg("aws", bucketA), reg("terraform", bucketB, typ("terraform.resource", Field{Name: "address", Type: "string"})))
	if err != nil {
		t.Fatalf("a shared type with agreeing fields: %v", err)
	}
	if _, ok := r.Get("aws"); !ok {
		t.Fatal("aws not found")
	}
	if _, ok := r.Get("gcp"); ok {
		t.Fatal("unknown id found")
	}
	ti, ok := r.Type("aws.s3.bucket")
	if !ok || len(ti.Fields) != 3 || strings.Join(ti.Connectors, ",") != "aws,terraform" {
		t.Fatalf("shared type: %+v", ti)
	}
	if got := strings.Join(r.TypeNames(), ","); got != "aws.s3.bucket,terraform.resource" {
		t.Fatalf("type names: %s", got)
	}
	if all := r.All(); len(all) != 2 || all[0].ID != "aws" {
		t.Fatalf("order: %v", all)
	}

	noName := reg("nameless", typ("x.y", Field{Name: "a", Type: "string"}))
	noName.Name = " "
	for name, tc := range map[string]struct {
		regs []Registration
		want string
	}{
		"duplicate id":      {[]Registration{reg("host", typ("host.a", Field{Name: "a", Type: "string"})), reg("host", typ("host.b", Field{Name: "a", Type: "string"}))}, `connector id "host" is registered twice`},
		"missing name":      {[]Registration{noName}, "has no display name"},
		"type twice in one": {[]Registration{reg("host", typ("host.a", Field{Name: "a", Type: "string"}), typ("host.a", Field{Name: "a", Type: "string"}))}, "declared twice"},
		"fields disagree": {[]Registration{reg("aws", bucketA), reg("terraform", typ("aws.s3.bucket", Field{Name: "versioning", Type: "string"}))},
			`field "versioning" is bool in connector aws but string in connector terraform`},
		"bad id": {[]Registration{reg("Host!", typ("host.a", Field{Name: "a", Type: "string"}))}, "must be 2–32 lower-case"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := NewRegistry(tc.regs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFactsAndConvention(t *testing.T) {
	rt := typ("host.sshd", Field{Name: "permit_root_login", Type: "string"}, Field{Name: "password_authentication", Type: "bool"},
		Field{Name: "caveats", Type: "list"}, Field{Name: "caveats.x", Type: "string"})
	f := NewFacts().
		Set("permit_root_login", "no", "command sshd -T").
		Unknown("password_authentication", "sshd -T failed").
		Set("caveats", []string{}, "")
	attrs := f.Attributes()
	if err := CheckConvention(rt, attrs); err != nil {
		t.Fatal(err)
	}
	if attrs["password_authentication"] != nil || attrs[AttrUnknown].(map[string]any)["password_authentication"] != "sshd -T failed" ||
		attrs[AttrSources].(map[string]any)["permit_root_login"] != "command sshd -T" {
		t.Fatalf("attributes: %v", attrs)
	}
	// Setting a field later clears its reason.
	f.Set("password_authentication", false, "file /etc/ssh/sshd_config")
	if _, ok := f.Attributes()[AttrUnknown]; ok {
		t.Fatal("the reason stayed after the value was found")
	}
	for name, bad := range map[string]map[string]any{
		"missing":     {"permit_root_login": "no", "caveats": []string{}},
		"null":        {"permit_root_login": nil, "password_authentication": true, "caveats": []string{}},
		"value+cause": {"permit_root_login": "no", "password_authentication": true, "caveats": []string{}, "unknown": map[string]any{"permit_root_login": "x"}},
	} {
		if err := CheckConvention(rt, bad); err == nil {
			t.Errorf("%s: accepted %v", name, bad)
		}
	}
}

func TestNextLink(t *testing.T) {
	for in, want := range map[string]string{
		`<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"`: "https://api.github.com/x?page=2",
		`<https://a/x?after=abc>; rel="self", <https://a/x?after=def>; rel="next"`:                     "https://a/x?after=def",
		`<https://a/x?page=1>; rel="prev first"`:                                                       "",
		`garbage`:                                                                                      "",
		`</relative?page=3>; REL=next`:                                                                 "/relative?page=3",
	} {
		h := http.Header{"Link": {in}}
		if got := NextLink(h); got != want {
			t.Errorf("NextLink(%q) = %q, want %q", in, got, want)
		}
	}
	if got := WithQuery("https://a/x?limit=2", "after", "c 1"); got != "https://a/x?after=c+1&limit=2" {
		t.Errorf("WithQuery: %s", got)
	}
}

func TestPager(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the pager followed a link to another host")
	}))
	defer other.Close()
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get("Authorization") != "Bearer t" {
			t.Error("the header was not sent on every page")
		}
		switch r.URL.Query().Get("page") {
		case "", "1":
			w.Header().Set("Link", `</items?page=2>; rel="next"`)
			w.Write([]byte(`[1,2]`))
		case "2":
			w.Header().Set("Link", `</items?page=3>; rel="next"`)
			w.Write([]byte(`[3]`))
		case "3":
			w.Write([]byte(`[4]`))
		case "loop":
			w.Header().Set("Link", `</items?page=loop>; rel="next"`)
			w.Write([]byte(`[]`))
		case "away":
			w.Header().Set("Link", `<`+other.URL+`/items?page=2>; rel="next"`)
			w.Write([]byte(`[]`))
		case "bad":
			w.Write([]byte(`{not json`))
		case "500":
			w.WriteHeader(500)
		}
	}))
	defer srv.Close()
	p := Pager{Client: srv.Client(), Header: http.Header{"Authorization": {"Bearer t"}}}
	var all []int
	read := func(pg Page) (string, error) {
		var items []int
		if err := DecodeJSON(pg.Response, pg.Body, &items); err != nil {
			return "", err
		}
		all = append(all, items...)
		return NextLink(pg.Response.Header), nil
	}
	ctx := context.Background()
	if err := p.Each(ctx, srv.URL+"/items", read); err != nil || len(all) != 4 || hits != 3 {
		t.Fatalf("three pages: %v %v (%d requests)", all, err, hits)
	}
	if err := p.Each(ctx, srv.URL+"/items?page=loop", read); err == nil || !strings.Contains(err.Error(), "loops") {
		t.Fatalf("loop: %v", err)
	}
	if err := p.Each(ctx, srv.URL+"/items?page=away", read); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("cross-host: %v", err)
	}
	if err := p.Each(ctx, srv.URL+"/items?page=bad", read); err == nil || !strings.Contains(err.Error(), "not the JSON expected") || !strings.Contains(err.Error(), "/items") {
		t.Fatalf("malformed JSON: %v", err)
	}
	if err := p.Each(ctx, srv.URL+"/items?page=500", read); err == nil || !strings.Contains(err.Error(), "answered 500") {
		t.Fatalf("500: %v", err)
	}
	hits = 0
	bounded := Pager{Client: srv.Client(), Header: p.Header, MaxPages: 2}
	if err := bounded.Each(ctx, srv.URL+"/items", read); err == nil || !strings.Contains(err.Error(), "stopped after 2 pages") || hits != 2 {
		t.Fatalf("page bound: %v after %d requests", err, hits)
	}
}

func TestRateLimitReset(t *testing.T) {
	th := RateLimitReset("X-RateLimit-Remaining", "X-RateLimit-Reset")
	now := time.Unix(1000, 0)
	resp := &http.Response{StatusCode: 403, Header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1060"}}}
	if until, ok := th(resp, now); !ok || !until.Equal(time.Unix(1060, 0)) {
		t.Fatalf("throttled: %v %v", until, ok)
	}
	resp.Header.Set("X-RateLimit-Remaining", "12")
	if _, ok := th(resp, now); ok {
		t.Fatal("quota left but throttled")
	}
	resp.Header.Set("X-RateLimit-Remaining", "0")
	resp.StatusCode = 200
	if _, ok := th(resp, now); ok {
		t.Fatal("a successful answer is not throttling")
	}
}
