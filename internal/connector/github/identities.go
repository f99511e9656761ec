package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

// SAML identities. GitHub's REST API gives no member's email but the one
// they chose to make public. An organization with SAML single sign-on
// (GitHub Enterprise Cloud) links each member to an identity of its
// identity provider, whose NameID is usually the corporate email; only the
// GraphQL API exposes it (organization.samlIdentityProvider
// .externalIdentities), and only to organization owners (or apps with
// Members: read). go-github has no GraphQL client, so this is one POST to
// the GraphQL endpoint through the same recorded, throttled client.

const srcSAML = "SAML identity (GraphQL organization.samlIdentityProvider.externalIdentities)"

const samlQuery = `query($org: String!, $cursor: String) {
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          samlIdentity { nameId emails { value primary } }
          user { login }
        }
      }
    }
  }
}`

type samlIdentity struct {
	nameID string
	email  string // the primary (else first) email of the identity
}

// samlResult is the organization's SAML identities by lower-case login.
type samlResult struct {
	configured bool
	identities map[string]samlIdentity
	reason     string // non-empty: not read, and why
	calls      []connector.CallRef
}

type samlPage struct {
	Data struct {
		Organization *struct {
			SamlIdentityProvider *struct {
				ExternalIdentities struct {
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
					Nodes []struct {
						SamlIdentity *struct {
							NameID string `json:"nameId"`
							Emails []struct {
								Value   string `json:"value"`
								Primary bool   `json:"primary"`
							} `json:"emails"`
						} `json:"samlIdentity"`
						User *struct {
							Login string `json:"login"`
						} `json:"user"`
					} `json:"nodes"`
				} `json:"externalIdentities"`
			} `json:"samlIdentityProvider"`
		} `json:"organization"`
	} `json:"data"`
	Errors []struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"errors"`
}

// saml reads the SAML identities once per run. Answers that say the
// credentials may not see them, or that the server has no such thing
// (GitHub Enterprise Server), leave them unknown with the reason; only a
// failure of the connection or throttling beyond the bound is an error.
func (c *conn) saml(ctx context.Context) (*samlResult, error) {
	if !c.s.samlIdentities {
		return &samlResult{reason: "saml_identities is off: SAML identities were not read"}, nil
	}
	tctx, calls := connector.Track(ctx)
	res := &samlResult{identities: map[string]samlIdentity{}}
	var cursor *string
	for page := 1; ; page++ {
		if page > maxPages {
			return nil, fmt.Errorf("cannot read the SAML identities of %s: stopped after %d pages", c.s.org, maxPages)
		}
		body, err := json.Marshal(map[string]any{"query": samlQuery, "variables": map[string]any{"org": c.s.org, "cursor": cursor}})
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(tctx, http.MethodPost, c.graphURL, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, raw, err := connector.Do(c.http, req)
		var he *connector.HTTPError
		switch {
		case errors.As(err, &he):
			res.reason = fmt.Sprintf("the GraphQL API answered %d %s%s", he.Status, http.StatusText(he.Status), graphMessage(raw))
			res.calls = calls.Refs()
			return res, nil
		case err != nil:
			return nil, fmt.Errorf("cannot read the SAML identities of %s: %w", c.s.org, err)
		}
		var pg samlPage
		if err := connector.DecodeJSON(resp, raw, &pg); err != nil {
			return nil, err
		}
		if len(pg.Errors) > 0 {
			var msgs []string
			for _, e := range pg.Errors {
				msgs = append(msgs, strings.TrimSpace(e.Type+" "+e.Message))
			}
			res.reason = "the GraphQL API refused: " + strings.Join(msgs, "; ") +
				" (SAML identities are visible to organization owners, and to apps with Members: read, on GitHub Enterprise Cloud)"
			res.calls = calls.Refs()
			return res, nil
		}
		org := pg.Data.Organization
		if org == nil {
			res.reason = "the GraphQL API did not return the organization " + c.s.org
			res.calls = calls.Refs()
			return res, nil
		}
		if org.SamlIdentityProvider == nil {
			res.calls = calls.Refs()
			return res, nil // no SAML single sign-on
		}
		res.configured = true
		ext := org.SamlIdentityProvider.ExternalIdentities
		for _, n := range ext.Nodes {
			if n.User == nil || n.SamlIdentity == nil {
				continue // an identity not (or no longer) linked to an account
			}
			id := samlIdentity{nameID: strings.TrimSpace(n.SamlIdentity.NameID)}
			for i, e := range n.SamlIdentity.Emails {
				if e.Primary || (i == 0 && id.email == "") {
					id.email = e.Value
				}
			}
			res.identities[strings.ToLower(n.User.Login)] = id
		}
		if !ext.PageInfo.HasNextPage || ext.PageInfo.EndCursor == "" {
			break
		}
		if cursor != nil && *cursor == ext.PageInfo.EndCursor {
			return nil, fmt.Errorf("cannot read the SAML identities of %s: the GraphQL pagination loops", c.s.org)
		}
		next := ext.PageInfo.EndCursor
		cursor = &next
	}
	res.calls = calls.Refs()
	return res, nil
}

// graphMessage is GitHub's message in an error body, as ": message", or "".
func graphMessage(raw []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &e) == nil && e.Message != "" {
		return ": " + e.Message
	}
	return ""
}
