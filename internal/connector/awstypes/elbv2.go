package awstypes

import "github.com/assurehq/assure/internal/connector"

// LoadBalancerListener is aws.elbv2.listener: a listener of an Application,
// Network or Gateway Load Balancer (DescribeLoadBalancers,
// DescribeListeners, DescribeSSLPolicies).
func LoadBalancerListener() Type {
	return Type{
		Name: "aws.elbv2.listener",
		Description: "A load balancer listener: the protocol and port it accepts, whether traffic is encrypted, and the " +
			"TLS versions its security policy allows.",
		Fields: fields(
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "load_balancer_arn", Type: "string", Description: "LoadBalancerArn of the load balancer the listener belongs to."},
			connector.Field{Name: "load_balancer_name", Type: "string", Description: "LoadBalancerName."},
			connector.Field{Name: "load_balancer_type", Type: "string", Description: "Type: application, network or gateway."},
			connector.Field{Name: "scheme", Type: "string", Description: "Scheme: internet-facing or internal."},
			connector.Field{Name: "port", Type: "int", Description: "Port the listener accepts connections on."},
			connector.Field{Name: "protocol", Type: "string", Description: "Protocol: HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, GENEVE, QUIC, TCP_QUIC."},
			connector.Field{Name: "encrypted", Type: "bool", Description: "Derived: the protocol terminates TLS (HTTPS or TLS)."},
			connector.Field{Name: "redirects_to_https", Type: "bool", Description: "Derived: the default action redirects to HTTPS (a plain HTTP listener that only redirects)."},
			connector.Field{Name: "default_action_types", Type: "list", Description: "DefaultActions types: forward, redirect, fixed-response, authenticate-oidc, …"},
			connector.Field{Name: "ssl_policy", Type: "string", Description: "SslPolicy: the security policy naming the TLS versions and ciphers; empty without TLS."},
			connector.Field{Name: "ssl_protocols", Type: "list", Description: "DescribeSSLPolicies SslProtocols of that policy (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3), sorted."},
			connector.Field{Name: "tls_policy_outdated", Type: "bool", Description: "Derived: the policy still allows SSLv3, TLS 1.0 or TLS 1.1 (anything older than TLS 1.2). False without TLS."},
			connector.Field{Name: "certificate_arns", Type: "list", Description: "Certificates: ARNs of the listener's default certificates, sorted."},
			fieldTFAddress,
		),
	}
}
