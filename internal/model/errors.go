// Package model holds Assure's nouns as plain types with their own rules
// (validation, permissions). It imports nothing from the project: the store,
// the services and the handlers all speak in these types.
package model

import (
	"errors"
	"fmt"
)

// Sentinel errors that every layer wraps with %w and that the HTTP and CLI
// layers turn into status codes and exit messages.
var (
	// ErrNotFound: the thing does not exist in the caller's organization.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the thing already exists or the change contradicts state.
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller's role does not allow the action.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: no valid credentials.
	ErrUnauthenticated = errors.New("not signed in")
)

// ValidationError says which input is wrong and how to fix it.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Problem
	}
	return fmt.Sprintf("%s: %s", e.Field, e.Problem)
}

// Invalid builds a *ValidationError.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// IsValidation reports whether err is (or wraps) a *ValidationError.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}
