// Package awstypes declares the AWS resource types that more than one
// connector emits: the terraform connector reads them from Terraform state,
// the aws connector from the AWS APIs. Both take the declarations from here,
// so a resource type has one name, one description and one set of field
// names whichever connector filled it, and one test definition serves both.
//
// Conventions every emitter follows:
//
//   - ExternalID is the resource's ARN (arn:aws:s3:::bucket for S3), the id
//     both sources can compute, or for what has no ARN the id a function
//     here builds (AccountPublicAccessBlockID); Name is what the AWS console
//     shows.
//   - The attribute convention of docs/connectors.md: every documented
//     top-level field is present; a field the source cannot know is null,
//     and the reserved attribute "unknown" maps its name (or a dotted path
//     inside an object) to the reason. Null never means "not set": an unset
//     string is "", an absent list []. The reserved attribute "sources" maps
//     a field to how it was determined when that differs from the resource
//     itself (a joined resource, a derivation, "default: …").
//   - Field names are the AWS API's names in snake_case (StorageEncrypted →
//     storage_encrypted), shortened only where the API nests them.
package awstypes

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// The reserved attribute names of the unknown/sources convention.
const (
	Unknown = "unknown"
	Sources = "sources"
)

// Type is a shared resource type declaration without its List function:
// each connector adds its own with With.
type Type struct {
	Name        string
	Description string
	Fields      []connector.Field
}

// With returns the declaration as a connector.ResourceType listed by list.
func (t Type) With(list func(ctx context.Context, conn connector.Conn, out connector.Emitter) error) connector.ResourceType {
	return connector.ResourceType{
		Name:        t.Name,
		Description: t.Description,
		Fields:      append([]connector.Field(nil), t.Fields...),
		List:        list,
	}
}

// Types returns every AWS resource type both the terraform and the aws
// connector emit, in documentation order.
func Types() []Type {
	return []Type{S3Bucket(), S3AccountPublicAccessBlock(), RDSInstance(), RDSCluster(), SecurityGroup(), IAMUser(), CloudTrailTrail(),
		KMSKey(), EBSVolume()}
}

// APIOnlyTypes returns the AWS resource types only the aws connector emits
// so far. They are declared here all the same, so that another source
// (Terraform's aws_iam_account_password_policy, aws_ebs_encryption_by_default,
// aws_guardduty_detector, aws_config_configuration_recorder, aws_vpc with
// aws_flow_log, aws_lb_listener) can emit them later under the same names;
// a type moves to Types when it does.
func APIOnlyTypes() []Type {
	return []Type{IAMPasswordPolicy(), IAMAccountSummary(), IAMCredentialReport(), EBSEncryptionByDefault(), VPC(),
		GuardDutyDetector(), ConfigRecorder(), LoadBalancerListener()}
}

// AllTypes returns Types and APIOnlyTypes.
func AllTypes() []Type { return append(Types(), APIOnlyTypes()...) }

// Check verifies that attrs follow the declaration: every documented
// top-level field is present, a null one has its reason in "unknown", no
// undocumented field appears, values have their documented types (objects
// and lists of objects are checked against their dotted sub-fields), and
// every "unknown" entry names a documented field whose value is null.
// Connector tests of both sources use it.
func (t Type) Check(attrs map[string]any) error {
	var doc map[string]any
	raw, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("%s: attributes are not JSON: %w", t.Name, err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	fields := map[string]connector.Field{}
	for _, f := range t.Fields {
		fields[f.Name] = f
	}
	var problems []string
	problems = append(problems, checkObject(fields, "", doc, true)...)
	if u, ok := doc[Unknown]; ok {
		m, ok := u.(map[string]any)
		if !ok {
			problems = append(problems, "unknown is not an object")
		}
		for path, reason := range m {
			if _, ok := fields[path]; !ok {
				problems = append(problems, fmt.Sprintf("unknown names undocumented field %q", path))
				continue
			}
			if s, _ := reason.(string); strings.TrimSpace(s) == "" {
				problems = append(problems, fmt.Sprintf("unknown %q has no reason", path))
			}
			if v, found := lookup(doc, path); found && v != nil {
				problems = append(problems, fmt.Sprintf("%s is marked unknown but has a value", path))
			}
		}
	}
	if s, ok := doc[Sources]; ok {
		m, ok := s.(map[string]any)
		if !ok {
			problems = append(problems, "sources is not an object")
		}
		for path := range m {
			if _, ok := fields[path]; !ok {
				problems = append(problems, fmt.Sprintf("sources names undocumented field %q", path))
			}
		}
	}
	unknown, _ := doc[Unknown].(map[string]any)
	for _, f := range t.Fields {
		if v, present := doc[f.Name]; present && v == nil && !strings.Contains(f.Name, ".") && unknown[f.Name] == nil {
			problems = append(problems, fmt.Sprintf("field %s is null without a reason in unknown", f.Name))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%s: %s", t.Name, strings.Join(problems, "; "))
	}
	return nil
}

// checkObject checks the keys of obj, whose documented fields are those
// named prefix+<key>.
func checkObject(fields map[string]connector.Field, prefix string, obj map[string]any, top bool) []string {
	var problems []string
	for name, f := range fields {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" || strings.Contains(rest, ".") {
			continue
		}
		if _, present := obj[rest]; !present {
			problems = append(problems, fmt.Sprintf("field %s is missing", f.Name))
		}
	}
	for key, v := range obj {
		if top && (key == Unknown || key == Sources) {
			continue
		}
		f, ok := fields[prefix+key]
		if !ok {
			problems = append(problems, fmt.Sprintf("field %s%s is not documented", prefix, key))
			continue
		}
		if v == nil {
			continue
		}
		if !typeMatches(f.Type, v) {
			problems = append(problems, fmt.Sprintf("field %s is %T, documented as %s", f.Name, v, f.Type))
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			if hasChildren(fields, f.Name) {
				problems = append(problems, checkObject(fields, f.Name+".", x, false)...)
			}
		case []any:
			if hasChildren(fields, f.Name) {
				for _, item := range x {
					m, ok := item.(map[string]any)
					if !ok {
						problems = append(problems, fmt.Sprintf("field %s holds a %T, not an object", f.Name, item))
						continue
					}
					problems = append(problems, checkObject(fields, f.Name+".", m, false)...)
				}
			}
		}
	}
	return problems
}

func hasChildren(fields map[string]connector.Field, name string) bool {
	for n := range fields {
		if strings.HasPrefix(n, name+".") {
			return true
		}
	}
	return false
}

func typeMatches(typ string, v any) bool {
	switch typ {
	case "string":
		_, ok := v.(string)
		return ok
	case "time":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := time.Parse(time.RFC3339, s)
		return err == nil
	case "bool":
		_, ok := v.(bool)
		return ok
	case "int":
		n, ok := v.(float64)
		return ok && n == float64(int64(n))
	case "number":
		_, ok := v.(float64)
		return ok
	case "list":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

// lookup finds a dotted path in a decoded document.
func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Fields shared by several types.
var (
	fieldARN       = connector.Field{Name: "arn", Type: "string", Description: "Amazon Resource Name; also the resource's external id."}
	fieldAccountID = connector.Field{Name: "account_id", Type: "string", Description: "AWS account that owns the resource (12 digits)."}
	fieldRegion    = connector.Field{Name: "region", Type: "string", Description: "AWS Region the resource lives in, e.g. eu-west-1."}
	fieldTags      = connector.Field{Name: "tags", Type: "object", Description: "Resource tags, key → value."}
	fieldTFAddress = connector.Field{Name: "terraform_address", Type: "string", Description: "Address of the resource in Terraform state " +
		"(module path, type, name and instance key) when it was read from Terraform state; empty from the aws connector."}
)

func fields(fs ...connector.Field) []connector.Field { return fs }
