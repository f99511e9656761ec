// Package builtin lists the connectors built into Assure. Adding a
// connector is one package under internal/connector and one line here; the
// registry built from this list at start refuses duplicates and
// contradictions (connector.NewRegistry).
package builtin

import (
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/aws"
	"github.com/assurehq/assure/internal/connector/github"
	"github.com/assurehq/assure/internal/connector/googleworkspace"
	"github.com/assurehq/assure/internal/connector/host"
	"github.com/assurehq/assure/internal/connector/hrcsv"
	"github.com/assurehq/assure/internal/connector/okta"
	"github.com/assurehq/assure/internal/connector/postgres"
	"github.com/assurehq/assure/internal/connector/terraform"
)

// Registrations returns the built-in connectors, in the order the
// Integrations page offers them.
func Registrations() []connector.Registration {
	return []connector.Registration{
		host.Registration(),
		terraform.Registration(),
		postgres.Registration(),
		googleworkspace.Registration(),
		github.Registration(),
		okta.Registration(),
		aws.Registration(),
		hrcsv.Registration(),
	}
}

// Registry builds and validates the registry of built-in connectors.
func Registry() (*connector.Registry, error) {
	return connector.NewRegistry(Registrations()...)
}
