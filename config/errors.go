package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a trust.yaml, with the file, the line (0 when
// unknown) and the path of the field, such as controls[3].verify.kind
// (list indexes count from 0). Its text reads
//
//	trust.yaml:12: controls[3].verify.kind: unknown check "tls.minversion" (did you mean "tls.min_version"?)
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(cmp.Or(e.File, "trust.yaml"))
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a trust.yaml, in line order. Validation
// collects them all rather than stopping at the first. errors.As finds each
// *Error in it.
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems as errors, for errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted returns es ordered by line (file-level problems first), keeping
// the order of problems found on the same line.
func (es Errors) sorted() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	return es
}

// err returns es as an error, or nil when there is no problem (never a
// typed nil).
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	return es.sorted()
}
