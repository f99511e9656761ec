// Package api serves the JSON API under /api/v1. Each handler takes the
// authenticated principal and returns a value to encode or an error; the
// server turns errors into the documented error body. Every route is listed
// once, in internal/server/routes.go, and the OpenAPI document is generated
// from that list.
package api

import (
	"net/http"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
)

// Func is a JSON handler. Return httpx.Created{…} for 201, httpx.NoContent{}
// for 204, or any value for 200.
type Func func(r *http.Request, p model.Principal) (any, error)

// Deps are the services the API uses.
type Deps struct {
	Accounts *account.Service
	Catalog  *catalog.Service
	Evidence *evidence.Service
	Ledger   *ledger.Log
	Collect  *collect.Service
	Checks   *check.Service
	Monitor  *monitor.Service
	Audits   *audit.Service
	Exports  *export.Service
	Now      func() time.Time
}

// Handlers serves the JSON API.
type Handlers struct{ Deps }

// New returns the API handlers.
func New(d Deps) *Handlers { return &Handlers{Deps: d} }

// decode reads the JSON request body into v (bounded, unknown fields refused).
func decode(r *http.Request, v any) error { return httpx.DecodeJSON(r, v) }
