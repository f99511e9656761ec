// Package aws is the aws connector: it reads an AWS account's security
// settings through the official SDK (aws-sdk-go-v2) — IAM (password policy,
// account summary, credential report, users), S3, CloudTrail, RDS, EC2
// (security groups, EBS, VPC flow logs), KMS, GuardDuty, AWS Config and
// Elastic Load Balancing — and emits them as the shared aws.* resource
// types of package awstypes, the same names and fields the terraform
// connector uses.
//
// Credentials come from the SDK's standard chain (environment, shared
// config and profiles, SSO, web identity, container and instance roles), or
// from access keys in the integration's sealed configuration, optionally
// followed by an assumed role with an external id. The SDK's standard
// environment and shared config are honoured as they are, AWS_ENDPOINT_URL
// and AWS_ENDPOINT_URL_<SERVICE> included, so the connector can be pointed
// at any AWS-compatible endpoint (or a test replay) without code changes.
//
// Every API call goes through the Runtime's HTTP client, which records it,
// rate-limits it and retries it; the SDK's own retryer is off so retries are
// not doubled, and AWS's throttling errors (which arrive as 400s the generic
// client would not retry) are recognized by the connector's ThrottleFunc.
package aws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// Options change how the connector waits (tests). The zero value is the
// real behaviour.
type Options struct {
	// Sleep waits between polls of the credential report (honours ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// ReportPolls bounds how often GenerateCredentialReport is asked before
	// giving up on a report still being generated (15), ReportInterval the
	// wait between asks (2s).
	ReportPolls    int
	ReportInterval time.Duration
}

// Registration returns the aws connector.
func Registration() connector.Registration { return New(Options{}) }

// New returns the connector with injected waiting.
func New(o Options) connector.Registration {
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.ReportPolls <= 0 {
		o.ReportPolls = 15
	}
	if o.ReportInterval <= 0 {
		o.ReportInterval = 2 * time.Second
	}
	return connector.Registration{
		ID:       "aws",
		Name:     "Amazon Web Services",
		Category: connector.CategoryCloud,
		Description: "Reads an AWS account's security settings through the AWS APIs: IAM users, password policy, root " +
			"account and credential report; S3 buckets; CloudTrail; RDS; security groups, EBS and VPC flow logs; KMS keys; " +
			"GuardDuty; AWS Config; load balancer listeners.",
		Fields: []connector.ConfigField{
			{Name: "regions", Label: "Regions", Type: connector.FieldList,
				Help: "Regions to collect, comma- or newline-separated (eu-west-1, us-east-1). Empty or \"all\": every " +
					"Region enabled for the account (EC2 DescribeRegions)."},
			{Name: "profile", Label: "Profile", Type: connector.FieldString,
				Help: "A named profile of the shared config and credentials files (~/.aws/config, ~/.aws/credentials) of the " +
					"user running Assure: access keys, IAM Identity Center (SSO: run aws sso login first), credential_process " +
					"or a role chain. Empty: the SDK's default chain (AWS_* environment variables, AWS_PROFILE, web identity, " +
					"ECS task role, EC2 instance role)."},
			{Name: "access_key_id", Label: "Access key id", Type: connector.FieldString,
				Help: "Access key id of an IAM user, with the secret access key. Prefer a role: an instance role, a profile, or " +
					"a role assumed below. Not together with a profile."},
			{Name: "secret_access_key", Label: "Secret access key", Type: connector.FieldString, Secret: true,
				Help: "Secret access key belonging to the access key id."},
			{Name: "role_arn", Label: "Role to assume", Type: connector.FieldString,
				Help: "ARN of a role to assume with the credentials above (arn:aws:iam::111122223333:role/assure-audit), " +
					"e.g. a read-only audit role in the account to collect."},
			{Name: "external_id", Label: "External id", Type: connector.FieldString,
				Help: "External id the role's trust policy requires (sts:ExternalId condition). Only with a role."},
			{Name: "role_session_name", Label: "Role session name", Type: connector.FieldString, Default: "assure",
				Help: "Session name of the assumed role, as CloudTrail shows it."},
			{Name: "home_region", Label: "Home Region", Type: connector.FieldString,
				Help: "Region for account-wide calls (STS, IAM, S3 ListBuckets, DescribeRegions). Empty: the SDK's region " +
					"(AWS_REGION, the profile's region), else the first Region listed, else us-east-1. Set it for GovCloud or China."},
			{Name: "endpoint_url", Label: "Endpoint URL", Type: connector.FieldURL,
				Help: "Send every request to this endpoint instead of AWS's (an AWS-compatible service). Usually empty: the " +
					"SDK's AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> variables and endpoint_url settings of the shared " +
					"config are honoured as they are."},
			{Name: "s3_use_path_style", Label: "S3 path-style addressing", Type: connector.FieldBool,
				Help: "Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint>; most S3-compatible endpoints need it."},
		},
		HTTP: connector.HTTPPolicy{RateLimit: 10, Throttle: Throttled},
		Open: func(ctx context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
			return open(ctx, cfg, rt, o)
		},
		Resources: []connector.ResourceType{
			awstypes.IAMPasswordPolicy().With(connector.As(listPasswordPolicy)),
			awstypes.IAMAccountSummary().With(connector.As(listAccountSummary)),
			awstypes.IAMCredentialReport().With(connector.As(listCredentialReport)),
			awstypes.IAMUser().With(connector.As(listUsers)),
			awstypes.S3AccountPublicAccessBlock().With(connector.As(listAccountPublicAccessBlock)),
			awstypes.S3Bucket().With(connector.As(listBuckets)),
			awstypes.CloudTrailTrail().With(connector.As(listTrails)),
			awstypes.RDSInstance().With(connector.As(listDBInstances)),
			awstypes.RDSCluster().With(connector.As(listDBClusters)),
			awstypes.SecurityGroup().With(connector.As(listSecurityGroups)),
			awstypes.EBSEncryptionByDefault().With(connector.As(listEBSEncryptionByDefault)),
			awstypes.EBSVolume().With(connector.As(listVolumes)),
			awstypes.VPC().With(connector.As(listVPCs)),
			awstypes.KMSKey().With(connector.As(listKMSKeys)),
			awstypes.GuardDutyDetector().With(connector.As(listGuardDuty)),
			awstypes.ConfigRecorder().With(connector.As(listConfigRecorders)),
			awstypes.LoadBalancerListener().With(connector.As(listListeners)),
		},
	}
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/.+$`)
)

// conn is one integration's AWS access for one run or probe. What every
// listing needs (who we are, which Regions, the IAM authorization details)
// is read once, on first use, and shared.
type conn struct {
	rt        connector.Runtime
	opts      Options
	cfg       aws.Config // for service clients: the Runtime's client, no SDK retries
	home      string
	want      []string // Regions asked for; nil means every enabled Region
	pathStyle bool

	mu      sync.Mutex
	ident   *identity
	regions *onceResult[[]string]
	details *onceResult[*authDetails]
}

// identity is what GetCallerIdentity says.
type identity struct {
	Account   string
	ARN       string
	Partition string
	refs      []connector.CallRef
}

// onceResult is a value read once per run, with the calls it came from.
type onceResult[T any] struct {
	val  T
	err  error
	refs []connector.CallRef
}

func open(ctx context.Context, cfg connector.Config, rt connector.Runtime, o Options) (connector.Conn, error) {
	c := &conn{rt: rt, opts: o}
	if regions := cfg.List("regions"); !slicesContain(regions, "all") {
		seen := map[string]bool{}
		for _, r := range regions {
			r = strings.ToLower(r)
			if !regionPattern.MatchString(r) {
				return nil, fmt.Errorf("regions: %q is not a Region name (e.g. eu-west-1), nor \"all\"", r)
			}
			if !seen[r] {
				seen[r] = true
				c.want = append(c.want, r)
			}
		}
	}
	profile, keyID, secret := cfg.String("profile"), cfg.String("access_key_id"), cfg.String("secret_access_key")
	if (keyID == "") != (secret == "") {
		return nil, errors.New("give both the access key id and the secret access key, or neither")
	}
	if keyID != "" && profile != "" {
		return nil, errors.New("give either access keys or a profile, not both")
	}
	roleARN, externalID := cfg.String("role_arn"), cfg.String("external_id")
	if roleARN != "" && !roleARNPattern.MatchString(roleARN) {
		return nil, fmt.Errorf("role_arn: %q is not an IAM role ARN (arn:aws:iam::111122223333:role/name)", roleARN)
	}
	if externalID != "" && roleARN == "" {
		return nil, errors.New("an external id is only used to assume a role: give the role ARN too")
	}
	home := strings.ToLower(cfg.String("home_region"))
	if home != "" && !regionPattern.MatchString(home) {
		return nil, fmt.Errorf("home_region: %q is not a Region name (e.g. us-east-1)", home)
	}
	endpoint := cfg.String("endpoint_url")
	if endpoint != "" {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("endpoint_url: %q is not an http:// or https:// URL", endpoint)
		}
		if u.User != nil {
			return nil, errors.New("endpoint_url: credentials do not belong in the URL")
		}
	}
	var err error
	if c.pathStyle, err = cfg.Bool("s3_use_path_style"); err != nil {
		return nil, err
	}

	// The credential providers the SDK builds here keep the HTTP client they
	// are given: a client that records each credentials call without its
	// body, which holds secret keys.
	load := []func(*config.LoadOptions) error{config.WithHTTPClient(&credentialsClient{rt: rt, next: awshttp.NewBuildableClient()})}
	if profile != "" {
		load = append(load, config.WithSharedConfigProfile(profile))
	}
	if keyID != "" {
		load = append(load, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, "")))
	}
	if home != "" {
		load = append(load, config.WithRegion(home))
	}
	base, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the AWS configuration (environment and shared config files): %w", err)
	}
	switch {
	case home != "":
	case base.Region != "":
		home = base.Region
	case len(c.want) > 0:
		home = c.want[0]
	default:
		home = "us-east-1"
	}
	base.Region = home
	if endpoint != "" {
		base.BaseEndpoint = aws.String(endpoint)
	}
	if roleARN != "" {
		session := cfg.String("role_session_name")
		if session == "" {
			session = "assure"
		}
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = session
			if externalID != "" {
				o.ExternalID = aws.String(externalID)
			}
		})
		base.Credentials = aws.NewCredentialsCache(provider)
	}
	c.cfg = base.Copy()
	c.cfg.HTTPClient = replayableClient{c: rt.HTTPClient()}
	c.cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	c.home = home
	return c, nil
}

func slicesContain(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Close implements connector.Conn.
func (c *conn) Close() error { return nil }

// Probe proves the credentials (sts GetCallerIdentity) and the main
// permission (iam GetAccountSummary, which every listing's policy
// includes), and logs which account and principal it reached.
func (c *conn) Probe(ctx context.Context) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	if _, err := c.iamClient().GetAccountSummary(ctx, nil); err != nil {
		return fmt.Errorf("signed in to account %s as %s, but: %s", id.Account, id.ARN, explain(err, "global"))
	}
	c.rt.Log().Info("aws: connected", "account", id.Account, "principal", id.ARN, "home_region", c.home)
	return nil
}

// identity asks STS who the credentials are, once per run.
func (c *conn) identity(ctx context.Context) (*identity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ident != nil {
		return c.ident, nil
	}
	tctx, calls := connector.Track(ctx)
	out, err := sts.NewFromConfig(c.cfg).GetCallerIdentity(tctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, explainCredentials(err)
	}
	arn := aws.ToString(out.Arn)
	id := &identity{Account: aws.ToString(out.Account), ARN: arn, Partition: "aws", refs: calls.Refs()}
	if p := strings.SplitN(arn, ":", 3); len(p) == 3 && p[0] == "arn" && p[1] != "" {
		id.Partition = p[1]
	}
	if id.Account == "" {
		return nil, errors.New("STS GetCallerIdentity answered without an account id")
	}
	c.ident = id
	return id, nil
}

// replayableClient hands requests to the Runtime's client with a body it
// can send again: the SDK's streams cannot be rewound, and the Runtime only
// retries (throttling, 5xx) a request whose body it can replay.
type replayableClient struct{ c *http.Client }

func (r replayableClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	}
	return r.c.Do(req)
}

// credentialsClient is the HTTP client of the SDK's credential providers
// (STS AssumeRole, IAM Identity Center, instance and container roles).
// Their answers hold secret keys, so it records each call — method, host,
// path, status, timing — with its body withheld.
type credentialsClient struct {
	rt   connector.Runtime
	next aws.HTTPClient
}

// WithheldBody is what provenance keeps instead of a credentials response.
const WithheldBody = "(body not stored: a credentials response holds secret keys)"

func (c *credentialsClient) Do(req *http.Request) (*http.Response, error) {
	start := c.rt.Now()
	resp, err := c.next.Do(req)
	o := connector.Observation{Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, StartedAt: start,
		Duration: c.rt.Now().Sub(start), ContentType: "text/plain; charset=utf-8"}
	if err != nil {
		return nil, err
	}
	o.Status = resp.StatusCode
	if _, rerr := c.rt.Record(req.Context(), o, []byte(WithheldBody)); rerr != nil {
		resp.Body.Close()
		return nil, rerr
	}
	return resp, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
