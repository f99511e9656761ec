package aws

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/assurehq/assure/internal/connector"
)

// rootUser is the user column of the root user's row.
const rootUser = "<root_account>"

// reportColumn describes one column of the credential report and what an
// N/A in it means.
type reportColumn struct {
	name string
	kind string // bool, time, string
	na   string // why the report says N/A here
}

func credentialReportColumns() []reportColumn {
	cols := []reportColumn{
		{"user_creation_time", "time", "the report gives no creation time"},
		{"password_enabled", "bool", ""},
		{"password_last_used", "time", "the user has no password"},
		{"password_last_changed", "time", "the user has no password"},
		{"password_next_rotation", "time", "passwords do not expire under the password policy, or the user has no password"},
		{"mfa_active", "bool", ""},
	}
	for _, n := range []string{"1", "2"} {
		p := "access_key_" + n + "_"
		cols = append(cols,
			reportColumn{p + "active", "bool", ""},
			reportColumn{p + "last_rotated", "time", "the user has no access key " + n},
			reportColumn{p + "last_used_date", "time", "access key " + n + " was never used, or the user has no access key " + n},
			reportColumn{p + "last_used_region", "string", ""},
			reportColumn{p + "last_used_service", "string", ""},
		)
	}
	for _, n := range []string{"1", "2"} {
		cols = append(cols,
			reportColumn{"cert_" + n + "_active", "bool", ""},
			reportColumn{"cert_" + n + "_last_rotated", "time", "the user has no signing certificate " + n},
		)
	}
	return cols
}

func listCredentialReport(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return global(ctx, out, func(ctx context.Context) error {
		tctx, calls := connector.Track(ctx)
		content, err := c.credentialReport(tctx)
		if err != nil {
			return err
		}
		rows, err := parseCredentialReport(content)
		if err != nil {
			return err
		}
		// E-mail addresses come from the users' tags, as on aws.iam.user.
		details := c.authDetails(ctx)
		for _, row := range rows {
			user, arn := row["user"], row["arn"]
			if user == "" || arn == "" {
				continue
			}
			a := newAttrs(id.Account)
			a.set("user", user).set("arn", arn).set("is_root", user == rootUser)
			refs := calls.Refs()
			switch {
			case user == rootUser:
				a.unknownf("email", "the root user's e-mail address cannot be read through IAM")
			case details.err != nil:
				a.unknownf("email", "the users' tags could not be read: "+details.err.Error())
			default:
				refs = joinRefs(refs, details.refs)
				u, ok := details.val.users[user]
				var email any
				if ok {
					email = emailTag(u.tags)
				}
				if email == nil {
					a.unknownf("email", "the user has no email tag with an e-mail address")
				} else {
					a.set("email", email)
				}
			}
			for _, col := range credentialReportColumns() {
				reportValue(a, col, row)
			}
			name := user
			if user == rootUser {
				name = "root user"
			}
			if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: name, Scope: Global, Attributes: a.done(), Calls: refs}); err != nil {
				return err
			}
		}
		return nil
	})
}

// reportValue sets one column's field from a row, following the report's
// conventions: true/false, ISO 8601 times, N/A (not applicable),
// no_information (never used, or used before AWS tracked it) and
// not_supported (the root user's password_enabled).
func reportValue(a *attrs, col reportColumn, row map[string]string) {
	v, present := row[col.name]
	if !present {
		a.unknownf(col.name, "the credential report has no "+col.name+" column")
		return
	}
	switch v {
	case "N/A":
		switch col.kind {
		case "bool":
			a.set(col.name, false)
		case "string":
			a.set(col.name, "")
		default:
			a.unknownf(col.name, "the report says N/A: "+col.na)
		}
		return
	case "no_information":
		if col.kind == "string" {
			a.set(col.name, "")
			return
		}
		a.unknownf(col.name, "the report says no_information: never used, or last used before AWS began tracking it")
		return
	case "not_supported":
		a.unknownf(col.name, "the report says not_supported for this user")
		return
	}
	switch col.kind {
	case "bool":
		switch strings.ToLower(v) {
		case "true":
			a.set(col.name, true)
		case "false":
			a.set(col.name, false)
		default:
			a.unknownf(col.name, fmt.Sprintf("the report's %s is %q, not true or false", col.name, v))
		}
	case "time":
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			a.unknownf(col.name, fmt.Sprintf("the report's %s is %q, not an ISO 8601 time", col.name, v))
			return
		}
		a.set(col.name, t.UTC().Format(time.RFC3339))
	default:
		a.set(col.name, v)
	}
}

// credentialReport asks IAM to generate the report until it is complete
// (bounded), then downloads it. The SDK decodes the base64 Content.
func (c *conn) credentialReport(ctx context.Context) ([]byte, error) {
	client := c.iamClient()
	complete := false
	for i := 0; i < c.opts.ReportPolls && !complete; i++ {
		if i > 0 {
			if err := c.opts.Sleep(ctx, c.opts.ReportInterval); err != nil {
				return nil, err
			}
		}
		g, err := client.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{})
		if err != nil {
			return nil, err
		}
		complete = g.State == iamtypes.ReportStateTypeComplete
	}
	if !complete {
		return nil, fmt.Errorf("IAM was still generating the credential report after %d requests %s apart: collect again in a minute",
			c.opts.ReportPolls, c.opts.ReportInterval)
	}
	res, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	if err != nil {
		return nil, err
	}
	if res.ReportFormat != "" && res.ReportFormat != iamtypes.ReportFormatTypeTextCsv {
		return nil, fmt.Errorf("the credential report is %s, not text/csv", res.ReportFormat)
	}
	return res.Content, nil
}

// parseCredentialReport reads the CSV: a header row naming the columns,
// then one row per user.
func parseCredentialReport(content []byte) ([]map[string]string, error) {
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("the credential report is not CSV with a header row: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if len(header) < 2 || header[0] != "user" || header[1] != "arn" {
		return nil, errors.New("the credential report's header does not start with user,arn")
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the credential report is not valid CSV: %w", err)
		}
		row := map[string]string{}
		for i, v := range rec {
			if i < len(header) {
				row[header[i]] = strings.TrimSpace(v)
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}
