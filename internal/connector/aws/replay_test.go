package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The replay: an httptest server that answers each AWS operation the
// connector calls with a response from testdata/replay, shaped as the AWS
// API documents it for the service's protocol:
//
//   - Query (IAM, STS, RDS, Elastic Load Balancing) and EC2 Query: a form
//     POST with Action and Version, answered with XML;
//   - REST-XML (S3, S3 Control): the operation is the method, path and
//     query (?encryption, ?versioning, …);
//   - JSON 1.1 (KMS, CloudTrail, AWS Config): X-Amz-Target names the
//     operation;
//   - REST-JSON (GuardDuty): the path (/detector, /detector/{id}).
//
// The service and Region come from the request's SigV4 credential scope, so
// one endpoint (AWS_ENDPOINT_URL) serves them all; a request not signed
// with the test access key is refused. Files live under
// testdata/replay/<service>/[<region>/]<Operation>[@<selector>][.<status>].<ext>:
// the selector is the page token, or the user, bucket, key, detector, load
// balancer or policy the request names; the Region directory wins over the
// service directory; the status defaults to 200.

const (
	testAccessKey    = "AKIAIOSFODNN7EXAMPLE"
	assumedAccessKey = "ASIAIOSFODNN7EXAMPLE" // testdata/replay-assumed/sts/AssumeRole.xml
	testSecretKey    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testAccount      = "111122223333"
)

// call is one operation the replay answered.
type call struct {
	Service, Region, Operation, Selector string
	Key                                  string     // the access key id that signed the request
	Params                               url.Values // the form of a Query request
	Status                               int
}

type replay struct {
	t     testing.TB
	srv   *httptest.Server
	roots []string // searched in order: overlays, then testdata/replay

	mu    sync.Mutex
	calls []call
	// hook, when set, may answer a request itself (return true).
	hook func(w http.ResponseWriter, c call) bool
	// anyKey accepts requests signed with any key (a test that shares its
	// credentials with another server).
	anyKey bool
}

// newReplay starts the replay; overlays (directories under testdata) are
// searched before testdata/replay, to vary a scenario.
func newReplay(t testing.TB, overlays ...string) *replay {
	r := &replay{t: t}
	for _, o := range overlays {
		r.roots = append(r.roots, filepath.Join("testdata", o))
	}
	r.roots = append(r.roots, filepath.Join("testdata", "replay"))
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the endpoint to put in AWS_ENDPOINT_URL.
func (r *replay) URL() string { return r.srv.URL }

// transport dials the replay whatever the host: S3 Control puts the
// account id in front of the endpoint's host ({account}.127.0.0.1), which
// no resolver knows.
func (r *replay) transport() *http.Transport {
	addr := r.srv.Listener.Addr().String()
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

// setHook installs (or, with nil, removes) a function that may answer a
// request itself, returning true when it did.
func (r *replay) setHook(h func(w http.ResponseWriter, c call) bool) {
	r.mu.Lock()
	r.hook = h
	r.mu.Unlock()
}

func (r *replay) Calls() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

// count returns how many calls of an operation were made.
func (r *replay) count(service, op string) int {
	n := 0
	for _, c := range r.Calls() {
		if c.Service == service && c.Operation == op {
			n++
		}
	}
	return n
}

var credentialScope = regexp.MustCompile(`Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request`)

// queryVersions are the API versions of the Query services.
var queryVersions = map[string]string{"iam": "2010-05-08", "sts": "2011-06-15", "ec2": "2016-11-15", "rds": "2014-10-31",
	"elasticloadbalancing": "2015-12-01"}

func (r *replay) serve(w http.ResponseWriter, req *http.Request) {
	m := credentialScope.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil || (m[1] != testAccessKey && m[1] != assumedAccessKey && !r.anyKey) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>0</RequestId></ErrorResponse>`)
		return
	}
	c := call{Service: m[3], Region: m[2], Key: m[1]}
	body, _ := io.ReadAll(req.Body)
	var ext string
	switch {
	case queryVersions[c.Service] != "":
		form, err := url.ParseQuery(string(body))
		if err != nil || req.Method != http.MethodPost {
			r.t.Errorf("replay: %s request is not a form POST", c.Service)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.Operation, c.Params = form.Get("Action"), form
		if v := form.Get("Version"); v != queryVersions[c.Service] {
			r.t.Errorf("replay: %s %s sent Version %q, want %q", c.Service, c.Operation, v, queryVersions[c.Service])
		}
		c.Selector = firstOf(form, "Marker", "NextToken", "UserName", "AccessKeyId", "LoadBalancerArn", "Names.member.1")
		ext = "xml"
	case c.Service == "s3" && strings.HasPrefix(req.URL.Path, "/v20180820/"):
		c.Service = "s3control"
		if req.URL.Path == "/v20180820/configuration/publicAccessBlock" && req.Method == http.MethodGet {
			c.Operation = "GetPublicAccessBlock"
		}
		if got := req.Header.Get("X-Amz-Account-Id"); got != testAccount {
			r.t.Errorf("replay: s3control call for account %q", got)
		}
		ext = "xml"
	case c.Service == "s3":
		c.Operation, c.Selector = s3Operation(req)
		ext = "xml"
	case req.Header.Get("X-Amz-Target") != "":
		_, op, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
		c.Operation = op
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		for _, k := range []string{"Marker", "NextToken", "KeyId", "Name"} {
			if s, ok := in[k].(string); ok && s != "" {
				c.Selector = s
				break
			}
		}
		if ids, ok := in["ResourceIdList"].([]any); ok && len(ids) > 0 {
			c.Selector, _ = ids[0].(string)
		}
		ext = "json"
	case c.Service == "guardduty":
		switch {
		case req.URL.Path == "/detector":
			c.Operation, c.Selector = "ListDetectors", req.URL.Query().Get("nextToken")
		case strings.HasPrefix(req.URL.Path, "/detector/"):
			c.Operation, c.Selector = "GetDetector", strings.TrimPrefix(req.URL.Path, "/detector/")
		}
		ext = "json"
	}
	c.Selector = selectorName(c.Selector)
	if c.Operation == "" {
		r.t.Errorf("replay: cannot tell the operation of %s %s (%s)", req.Method, req.URL, c.Service)
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	r.mu.Lock()
	hook := r.hook
	r.mu.Unlock()
	if hook != nil && hook(w, c) {
		r.record(c, -1)
		return
	}
	path, status := r.find(c, ext)
	if path == "" {
		r.t.Errorf("replay: no response for %s %s in %s (selector %q)", c.Service, c.Operation, c.Region, c.Selector)
		w.WriteHeader(http.StatusNotImplemented)
		return
	}
	out, err := os.ReadFile(path)
	if err != nil {
		r.t.Error(err)
		return
	}
	r.record(c, status)
	writeAWS(w, c.Service, status, out)
}

func (r *replay) record(c call, status int) {
	c.Status = status
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

// writeAWS answers with the content type and error header the service's
// protocol uses.
func writeAWS(w http.ResponseWriter, service string, status int, body []byte) {
	switch service {
	case "kms", "cloudtrail", "config":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	case "guardduty":
		w.Header().Set("Content-Type", "application/json")
		if status >= 300 {
			var e struct {
				Type string `json:"__type"`
			}
			if json.Unmarshal(body, &e) == nil && e.Type != "" {
				w.Header().Set("X-Amzn-Errortype", e.Type)
			}
		}
	case "s3", "s3control":
		w.Header().Set("Content-Type", "application/xml")
	default:
		w.Header().Set("Content-Type", "text/xml")
	}
	w.Header().Set("X-Amzn-Requestid", "8f7e6d5c-4b3a-4921-8f0e-1d2c3b4a5f6e")
	w.WriteHeader(status)
	w.Write(body)
}

func firstOf(form url.Values, keys ...string) string {
	for _, k := range keys {
		if v := form.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// selectorName makes an ARN or name usable in a file name: the part after
// the last colon, with slashes as underscores.
func selectorName(s string) string {
	if i := strings.LastIndex(s, ":"); i >= 0 {
		s = s[i+1:]
	}
	return strings.ReplaceAll(s, "/", "_")
}

// s3Operation names a path-style S3 request: GET / is ListBuckets, GET
// /{bucket}?{subresource} the bucket operations.
func s3Operation(req *http.Request) (op, bucket string) {
	bucket = strings.Trim(req.URL.Path, "/")
	q := req.URL.Query()
	if bucket == "" {
		return "ListBuckets", q.Get("continuation-token")
	}
	for sub, name := range map[string]string{"encryption": "GetBucketEncryption", "publicAccessBlock": "GetPublicAccessBlock",
		"versioning": "GetBucketVersioning", "logging": "GetBucketLogging", "policyStatus": "GetBucketPolicyStatus",
		"object-lock": "GetObjectLockConfiguration", "tagging": "GetBucketTagging", "location": "GetBucketLocation"} {
		if _, ok := q[sub]; ok {
			return name, bucket
		}
	}
	return "", bucket
}

var replayName = regexp.MustCompile(`^([A-Za-z]+)(?:@([^.]+))?(?:\.(\d{3}))?\.(xml|json)$`)

// find picks the response file for a call: Region directory first, then
// the service directory; a file for the call's selector before the
// operation's general one.
func (r *replay) find(c call, ext string) (string, int) {
	var dirs []string
	for _, root := range r.roots {
		dirs = append(dirs, filepath.Join(root, c.Service, c.Region), filepath.Join(root, c.Service))
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		var general string
		generalStatus := 200
		for _, e := range entries {
			m := replayName.FindStringSubmatch(e.Name())
			if m == nil || m[1] != c.Operation || m[4] != ext {
				continue
			}
			status := 200
			if m[3] != "" {
				status, _ = strconv.Atoi(m[3])
			}
			switch {
			case m[2] != "" && m[2] == c.Selector:
				return filepath.Join(dir, e.Name()), status
			case m[2] == "":
				general, generalStatus = filepath.Join(dir, e.Name()), status
			}
		}
		if general != "" {
			return general, generalStatus
		}
	}
	return "", 0
}

// operationsCalled lists "service:Operation" of every call, sorted and
// unique.
func (r *replay) operationsCalled() []string {
	set := map[string]bool{}
	for _, c := range r.Calls() {
		set[c.Service+":"+c.Operation] = true
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
