package aws

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Permissions are the IAM actions the connector uses, sorted: the
// least-privilege policy of docs/connectors/aws.md lists exactly these
// (a test checks it, and that every operation the replay sees is one).
var Permissions = sortedActions()

// s3Actions maps S3 and S3 Control operations to the IAM actions that
// allow them, whose names differ.
var s3Actions = map[string]string{
	"ListBuckets":                "s3:ListAllMyBuckets",
	"GetBucketLocation":          "s3:GetBucketLocation",
	"GetBucketEncryption":        "s3:GetEncryptionConfiguration",
	"GetPublicAccessBlock":       "s3:GetBucketPublicAccessBlock",
	"GetBucketVersioning":        "s3:GetBucketVersioning",
	"GetBucketLogging":           "s3:GetBucketLogging",
	"GetBucketPolicyStatus":      "s3:GetBucketPolicyStatus",
	"GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
	"GetBucketTagging":           "s3:GetBucketTagging",
}

// operations lists, per SDK service id, the operations the connector calls
// (STS GetCallerIdentity needs no permission and is left out).
var operations = map[string][]string{
	"IAM": {"GetAccountPasswordPolicy", "GetAccountSummary", "GenerateCredentialReport", "GetCredentialReport", "ListUsers",
		"GetAccountAuthorizationDetails", "GetLoginProfile", "ListMFADevices", "ListAccessKeys", "GetAccessKeyLastUsed"},
	"S3":         {"ListBuckets", "GetBucketLocation", "GetBucketEncryption", "GetPublicAccessBlock", "GetBucketVersioning", "GetBucketLogging", "GetBucketPolicyStatus", "GetObjectLockConfiguration", "GetBucketTagging"},
	"S3 Control": {"GetPublicAccessBlock"},
	"CloudTrail": {"DescribeTrails", "GetTrailStatus", "ListTags"},
	"RDS":        {"DescribeDBInstances", "DescribeDBClusters"},
	"EC2": {"DescribeRegions", "DescribeSecurityGroups", "GetEbsEncryptionByDefault", "GetEbsDefaultKmsKeyId", "DescribeVolumes",
		"DescribeVpcs", "DescribeFlowLogs"},
	"KMS":                       {"ListKeys", "DescribeKey", "GetKeyRotationStatus", "ListResourceTags"},
	"GuardDuty":                 {"ListDetectors", "GetDetector"},
	"Config Service":            {"DescribeConfigurationRecorders", "DescribeConfigurationRecorderStatus"},
	"Elastic Load Balancing v2": {"DescribeLoadBalancers", "DescribeListeners", "DescribeSSLPolicies"},
}

var servicePrefix = map[string]string{
	"IAM": "iam", "S3": "s3", "S3 Control": "s3", "CloudTrail": "cloudtrail", "RDS": "rds", "EC2": "ec2", "KMS": "kms",
	"GuardDuty": "guardduty", "Config Service": "config", "Elastic Load Balancing v2": "elasticloadbalancing", "STS": "sts",
}

// Action returns the IAM action that allows an SDK operation ("IAM",
// "ListUsers" → iam:ListUsers).
func Action(serviceID, operation string) string {
	if serviceID == "S3 Control" && operation == "GetPublicAccessBlock" {
		return "s3:GetAccountPublicAccessBlock"
	}
	if serviceID == "S3" {
		if a, ok := s3Actions[operation]; ok {
			return a
		}
	}
	p, ok := servicePrefix[serviceID]
	if !ok {
		p = strings.ToLower(strings.ReplaceAll(serviceID, " ", ""))
	}
	return p + ":" + operation
}

func sortedActions() []string {
	set := map[string]bool{}
	for svc, ops := range operations {
		for _, op := range ops {
			set[Action(svc, op)] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// apiError is what an AWS error says, found in the SDK's error chain.
type apiError struct {
	service, operation string
	code, message      string
	status             int
}

func inspect(err error) apiError {
	var a apiError
	var op *smithy.OperationError
	if errors.As(err, &op) {
		a.service, a.operation = op.ServiceID, op.OperationName
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		a.code, a.message = api.ErrorCode(), api.ErrorMessage()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		a.status = re.HTTPStatusCode()
	}
	return a
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true, "AuthorizationError": true,
	"Forbidden": true, "UnauthorizedAccess": true, "AllAccessDisabled": true,
}

// ThrottleCodes are the error codes AWS services answer when a caller is
// throttled (the SDK's own list of throttling codes).
var ThrottleCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true, "RequestThrottledException": true,
	"TooManyRequestsException": true, "ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true, "RequestThrottled": true,
	"SlowDown": true, "PriorRequestNotComplete": true, "EC2ThrottledException": true,
}

// credentialCodes mean the credentials themselves are wrong, whatever the
// call.
var credentialCodes = map[string]string{
	"InvalidClientTokenId":        "AWS does not know the access key id: check access_key_id (or the profile's keys); a key of a Region that is not enabled is refused the same way",
	"InvalidAccessKeyId":          "AWS does not know the access key id: check access_key_id (or the profile's keys)",
	"SignatureDoesNotMatch":       "the secret access key does not match the access key id: check secret_access_key (or the profile's keys)",
	"ExpiredToken":                "the session token has expired: renew it (for IAM Identity Center: aws sso login --profile <profile>)",
	"ExpiredTokenException":       "the session token has expired: renew it (for IAM Identity Center: aws sso login --profile <profile>)",
	"RequestExpired":              "AWS refused a request signed too long ago: check the clock of the machine running Assure",
	"UnrecognizedClientException": "AWS does not recognize the credentials: check the access key id and secret (or the profile)",
}

func isDenied(a apiError) bool {
	if deniedCodes[a.code] {
		return true
	}
	return a.status == http.StatusForbidden && credentialCodes[a.code] == "" && a.code != ""
}

func isThrottled(a apiError) bool { return ThrottleCodes[a.code] }

// explain turns an SDK error into words an operator can act on: which
// action is missing, or that AWS kept throttling, or what else failed and
// where.
func explain(err error, scope string) string {
	a := inspect(err)
	where := ""
	if scope != "" && scope != "global" {
		where = " in " + scope
	}
	action := ""
	if a.service != "" {
		action = Action(a.service, a.operation)
	}
	aws := ""
	if a.code != "" {
		aws = fmt.Sprintf(" (AWS said %s: %s)", a.code, strings.TrimSpace(a.message))
	}
	switch {
	case credentialCodes[a.code] != "":
		return credentialCodes[a.code] + aws
	case isDenied(a) && action != "":
		return fmt.Sprintf("access denied: the credentials lack %s%s; grant it (docs/connectors/aws.md lists the policy)%s", action, where, aws)
	case isDenied(a):
		return "access denied" + where + aws
	case isThrottled(a):
		return fmt.Sprintf("AWS kept throttling %s%s through Assure's retries: collect again later or lower the integration's rate limit%s", action, where, aws)
	case action != "" && a.code != "":
		return fmt.Sprintf("%s%s failed%s", action, where, aws)
	case action != "":
		return fmt.Sprintf("%s%s failed: %s", action, where, cleanSDKError(err))
	}
	return cleanSDKError(err)
}

// cleanSDKError shortens the SDK's "operation error X: Y, https response
// error StatusCode: …, RequestID: …, api error …" without losing the cause.
func cleanSDKError(err error) string {
	s := err.Error()
	if i := strings.Index(s, "api error "); i >= 0 {
		return s[i+len("api error "):]
	}
	return s
}

// explainCredentials explains why STS GetCallerIdentity (the first call of
// every run) failed: no credentials, wrong ones, or a role that cannot be
// assumed.
func explainCredentials(err error) error {
	// A failed AssumeRole is wrapped inside the failed call.
	var role *smithy.OperationError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*smithy.OperationError); ok && op.ServiceID == "STS" && op.OperationName == "AssumeRole" {
			role = op
		}
	}
	if role != nil {
		a := inspect(role.Err)
		if isDenied(a) || a.code == "AccessDenied" {
			return fmt.Errorf("cannot assume role_arn: the role's trust policy must allow the base credentials to call sts:AssumeRole "+
				"(and, with an external id, require exactly the one configured) (AWS said %s: %s)", a.code, a.message)
		}
		if msg := credentialCodes[a.code]; msg != "" {
			return fmt.Errorf("cannot assume role_arn with the base credentials: %s (AWS said %s: %s)", msg, a.code, a.message)
		}
		return fmt.Errorf("cannot assume role_arn: %s", cleanSDKError(role.Err))
	}
	msg := err.Error()
	if strings.Contains(msg, "get identity:") || strings.Contains(msg, "failed to retrieve credentials") {
		return fmt.Errorf("no usable AWS credentials: give access keys, a profile, or run Assure where the SDK's default chain finds "+
			"credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or task role): %s", credentialCause(msg))
	}
	a := inspect(err)
	if m := credentialCodes[a.code]; m != "" {
		return fmt.Errorf("%s (AWS said %s: %s)", m, a.code, a.message)
	}
	return fmt.Errorf("sts:GetCallerIdentity failed: %s", explain(err, ""))
}

// credentialCause keeps the SDK's reason after its operation preamble.
func credentialCause(msg string) string {
	if i := strings.Index(msg, "get identity: "); i >= 0 {
		return msg[i+len("get identity: "):]
	}
	return msg
}

// throttleWait is how long Assure waits after AWS answers with a
// throttling error: AWS sends no Retry-After, and the Runtime makes up to
// five attempts, so a throttled call is retried for about ten seconds.
const throttleWait = 2 * time.Second

var (
	xmlCode  = regexp.MustCompile(`<Code>([^<]{1,128})</Code>`)
	jsonType = regexp.MustCompile(`"(?:__type|code)"\s*:\s*"([^"]{1,256})"`)
)

// Throttled is the connector's HTTPPolicy.Throttle: it recognizes AWS's
// throttling errors (Throttling, ThrottlingException, RequestLimitExceeded,
// SlowDown, …), which Query and JSON services answer with status 400 that
// the Runtime would not otherwise retry, so they are waited out within the
// Runtime's bound and then reported.
func Throttled(resp *http.Response, now time.Time) (time.Time, bool) {
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusTooManyRequests, http.StatusServiceUnavailable:
	default:
		return time.Time{}, false
	}
	code := responseErrorCode(resp)
	if !ThrottleCodes[code] {
		return time.Time{}, false
	}
	return now.Add(throttleWait - time.Second), true // the Runtime adds a second
}

// responseErrorCode reads the AWS error code of an error response: the
// x-amzn-ErrorType header (JSON and REST-JSON services), else <Code> (Query,
// EC2 and REST-XML services) or __type (JSON) in the body, which it puts
// back for the caller.
func responseErrorCode(resp *http.Response) string {
	if h := resp.Header.Get("X-Amzn-Errortype"); h != "" {
		code, _, _ := strings.Cut(h, ":")
		return code
	}
	if resp.Body == nil {
		return ""
	}
	body, err := io.ReadAll(resp.Body) // already in memory, bounded by the Runtime
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	if m := xmlCode.FindSubmatch(body); m != nil {
		return strings.TrimSpace(string(m[1]))
	}
	if m := jsonType.FindSubmatch(body); m != nil {
		code := string(m[1])
		if i := strings.LastIndex(code, "#"); i >= 0 {
			code = code[i+1:]
		}
		code, _, _ = strings.Cut(code, ":")
		return code
	}
	return ""
}
