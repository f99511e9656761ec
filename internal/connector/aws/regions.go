package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3control"

	"github.com/assurehq/assure/internal/connector"
)

// Global is the scope of account-wide resources (IAM, the S3 account
// public access block): a failure there fails scope "global".
const Global = "global"

// Service clients. Each is cheap to build (no network); the configuration
// carries the Runtime's HTTP client and the endpoint settings of the
// environment, shared config and integration.
func (c *conn) iamClient() *iam.Client { return iam.NewFromConfig(c.cfg) }

func (c *conn) ec2Client(region string) *ec2.Client {
	return ec2.NewFromConfig(c.cfg, func(o *ec2.Options) { o.Region = region })
}

func (c *conn) s3Client(region string) *s3.Client {
	return s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		o.Region = region
		if c.pathStyle {
			o.UsePathStyle = true
		}
	})
}

func (c *conn) s3controlClient() *s3control.Client { return s3control.NewFromConfig(c.cfg) }

func (c *conn) rdsClient(region string) *rds.Client {
	return rds.NewFromConfig(c.cfg, func(o *rds.Options) { o.Region = region })
}

func (c *conn) kmsClient(region string) *kms.Client {
	return kms.NewFromConfig(c.cfg, func(o *kms.Options) { o.Region = region })
}

func (c *conn) cloudtrailClient(region string) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(c.cfg, func(o *cloudtrail.Options) { o.Region = region })
}

func (c *conn) guarddutyClient(region string) *guardduty.Client {
	return guardduty.NewFromConfig(c.cfg, func(o *guardduty.Options) { o.Region = region })
}

func (c *conn) configClient(region string) *configservice.Client {
	return configservice.NewFromConfig(c.cfg, func(o *configservice.Options) { o.Region = region })
}

func (c *conn) elbClient(region string) *elasticloadbalancingv2.Client {
	return elasticloadbalancingv2.NewFromConfig(c.cfg, func(o *elasticloadbalancingv2.Options) { o.Region = region })
}

// regionList returns the Regions to collect: the configured ones, or every
// Region enabled for the account (DescribeRegions without AllRegions
// leaves out opt-in Regions that are not enabled), read once per run.
func (c *conn) regionList(ctx context.Context) ([]string, error) {
	if c.want != nil {
		return c.want, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.regions == nil {
		r := &onceResult[[]string]{}
		tctx, calls := connector.Track(ctx)
		out, err := c.ec2Client(c.home).DescribeRegions(tctx, &ec2.DescribeRegionsInput{})
		r.refs = calls.Refs()
		if err != nil {
			r.err = fmt.Errorf("cannot list the account's enabled Regions: %s; or list the Regions to collect in the integration's regions field", explain(err, c.home))
		} else {
			for _, reg := range out.Regions {
				if n := aws.ToString(reg.RegionName); n != "" {
					r.val = append(r.val, n)
				}
			}
			sort.Strings(r.val)
			if len(r.val) == 0 {
				r.err = errors.New("EC2 DescribeRegions answered no Region: list the Regions to collect in the integration's regions field")
			}
		}
		c.regions = r
	}
	return c.regions.val, c.regions.err
}

// eachRegion runs fn for every Region to collect. A Region that fails
// (access denied, throttled past the bound, unreachable) fails only its own
// scope; the listing fails as a whole only when every Region failed.
func (c *conn) eachRegion(ctx context.Context, out connector.Emitter, fn func(ctx context.Context, region string) error) error {
	regions, err := c.regionList(ctx)
	if err != nil {
		return err
	}
	var failed []string
	for _, region := range regions {
		if err := fn(ctx, region); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var emitErr *emitError
			if errors.As(err, &emitErr) {
				return emitErr.err
			}
			msg := explain(err, region)
			out.FailScope(region, errors.New(msg))
			failed = append(failed, region+": "+msg)
		}
	}
	if len(failed) > 0 && len(failed) == len(regions) {
		return fmt.Errorf("every Region failed: %s", strings.Join(failed, "; "))
	}
	return nil
}

// global runs fn for an account-wide listing: a failure fails scope
// "global".
func global(ctx context.Context, out connector.Emitter, fn func(ctx context.Context) error) error {
	if err := fn(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var emitErr *emitError
		if errors.As(err, &emitErr) {
			return emitErr.err
		}
		msg := explain(err, Global)
		out.FailScope(Global, errors.New(msg))
		return nil
	}
	return nil
}

// emitError carries an Emitter failure (the store refused a resource) past
// the per-scope handling: it fails the listing, not a scope.
type emitError struct{ err error }

func (e *emitError) Error() string { return e.err.Error() }
func (e *emitError) Unwrap() error { return e.err }

// emit sends one resource, wrapping a failure as an emitError.
func emit(ctx context.Context, out connector.Emitter, r connector.Resource) error {
	if err := out.Emit(ctx, r); err != nil {
		return &emitError{err}
	}
	return nil
}

// maxPages bounds every paginated listing: an API that keeps answering
// with another page stops the listing with an error instead of looping.
const maxPages = 1000

func errTooManyPages(action string) error {
	return fmt.Errorf("stopped %s after %d pages: the listing is longer than the page bound, or the API keeps answering with another page", action, maxPages)
}
