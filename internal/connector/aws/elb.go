package aws

import (
	"context"
	"errors"
	"strconv"
	"strings"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/assurehq/assure/internal/connector"
)

// OutdatedProtocols are the protocols a TLS security policy must not allow
// for tls_policy_outdated to be false: anything older than TLS 1.2.
var OutdatedProtocols = []string{"SSLv3", "TLSv1", "TLSv1.1"}

// listListeners lists each Region's Application, Network and Gateway Load
// Balancers and their listeners, with the TLS versions of each listener's
// security policy (DescribeSSLPolicies, once per policy and Region).
func listListeners(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.elbClient(region)
		policies := map[string]*sslPolicy{}
		p := elb.NewDescribeLoadBalancersPaginator(client, &elb.DescribeLoadBalancersInput{}, func(o *elb.DescribeLoadBalancersPaginatorOptions) {
			o.StopOnDuplicateToken = true
		})
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("elasticloadbalancing:DescribeLoadBalancers")
			}
			pctx, lbCalls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, lb := range page.LoadBalancers {
				lp := elb.NewDescribeListenersPaginator(client, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn},
					func(o *elb.DescribeListenersPaginatorOptions) { o.StopOnDuplicateToken = true })
				for m := 0; lp.HasMorePages(); m++ {
					if m >= maxPages {
						return errTooManyPages("elasticloadbalancing:DescribeListeners")
					}
					lctx, calls := connector.Track(ctx)
					lpage, err := lp.NextPage(lctx)
					if err != nil {
						return err
					}
					for _, l := range lpage.Listeners {
						tctx, policyCalls := connector.Track(ctx)
						a := newAttrs(id.Account)
						a.set("arn", str(l.ListenerArn)).set("region", region)
						a.set("load_balancer_arn", str(lb.LoadBalancerArn)).set("load_balancer_name", str(lb.LoadBalancerName))
						a.set("load_balancer_type", string(lb.Type)).set("scheme", string(lb.Scheme))
						a.set("port", num(l.Port)).set("protocol", string(l.Protocol))
						a.set("encrypted", l.Protocol == elbtypes.ProtocolEnumHttps || l.Protocol == elbtypes.ProtocolEnumTls)
						var types []string
						redirect := false
						for _, act := range l.DefaultActions {
							types = append(types, string(act.Type))
							if act.Type == elbtypes.ActionTypeEnumRedirect && act.RedirectConfig != nil &&
								strings.EqualFold(str(act.RedirectConfig.Protocol), "HTTPS") {
								redirect = true
							}
						}
						a.set("default_action_types", sorted(types)).set("redirects_to_https", redirect)
						var certs []string
						for _, ct := range l.Certificates {
							certs = append(certs, str(ct.CertificateArn))
						}
						a.set("certificate_arns", sorted(certs))
						name := str(l.SslPolicy)
						a.set("ssl_policy", name)
						var refs []connector.CallRef
						if name == "" {
							a.set("ssl_protocols", []string{}).set("tls_policy_outdated", false)
							a.source("tls_policy_outdated", "the listener has no TLS security policy")
						} else {
							pol := policies[name]
							if pol == nil {
								pol = describePolicy(tctx, client, name)
								pol.refs = policyCalls.Refs()
								policies[name] = pol
							}
							refs = pol.refs
							if pol.err != nil {
								why := explain(pol.err, region)
								a.unknownf("ssl_protocols", why)
								a.unknownf("tls_policy_outdated", why)
							} else {
								a.set("ssl_protocols", pol.protocols)
								old := outdated(pol.protocols)
								a.set("tls_policy_outdated", len(old) > 0)
								if len(old) > 0 {
									a.source("tls_policy_outdated", name+" allows "+strings.Join(old, ", "))
								}
							}
						}
						if err := emit(ctx, out, connector.Resource{ExternalID: str(l.ListenerArn),
							Name: str(lb.LoadBalancerName) + ":" + strconv.FormatInt(num(l.Port), 10), Scope: region, Attributes: a.done(),
							Calls: joinRefs(lbCalls.Refs(), calls.Refs(), refs)}); err != nil {
							return err
						}
					}
				}
			}
		}
		return nil
	})
}

// sslPolicy is one security policy's protocols, read once per Region.
type sslPolicy struct {
	protocols []string
	err       error
	refs      []connector.CallRef
}

func describePolicy(ctx context.Context, client *elb.Client, name string) *sslPolicy {
	res, err := client.DescribeSSLPolicies(ctx, &elb.DescribeSSLPoliciesInput{Names: []string{name}})
	if err != nil {
		return &sslPolicy{err: err}
	}
	for _, p := range res.SslPolicies {
		if str(p.Name) == name {
			return &sslPolicy{protocols: sorted(p.SslProtocols)}
		}
	}
	return &sslPolicy{err: errors.New("DescribeSSLPolicies does not know the policy " + name)}
}

// outdated returns the protocols of a policy older than TLS 1.2.
func outdated(protocols []string) []string {
	var old []string
	for _, p := range protocols {
		for _, o := range OutdatedProtocols {
			if p == o {
				old = append(old, p)
			}
		}
	}
	return old
}
