package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// Format names an output format of Write.
type Format string

const (
	FormatTable    Format = "table"
	FormatJSON     Format = "json"
	FormatSARIF    Format = "sarif"
	FormatJUnit    Format = "junit"
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
	// FormatOSCAL is NIST OSCAL 1.1.2 assessment results (JSON).
	FormatOSCAL Format = "oscal"
)

// formats is every output format, in the order help text shows them:
// adding one is its writer plus one line here (and its golden file).
var formats = []struct {
	f     Format
	doc   string // one line on what it is for; --help is built from it
	write func(io.Writer, *posture.Report, Options) error
}{
	{FormatTable, "the verdict table for a terminal", writeTable},
	{FormatJSON, "the report itself (schema: report/report.schema.json)", func(w io.Writer, r *posture.Report, _ Options) error { return writeJSON(w, r) }},
	{FormatSARIF, "SARIF 2.1.0, for code-scanning uploads", func(w io.Writer, r *posture.Report, _ Options) error { return writeSARIF(w, r) }},
	{FormatJUnit, "JUnit XML: one test case per control and target", func(w io.Writer, r *posture.Report, _ Options) error { return writeJUnit(w, r) }},
	{FormatMarkdown, "for a pull-request comment or a job summary", func(w io.Writer, r *posture.Report, _ Options) error { return writeMarkdown(w, r) }},
	{FormatHTML, "the self-contained gap report", func(w io.Writer, r *posture.Report, _ Options) error { return writeHTML(w, r) }},
	{FormatOSCAL, "NIST OSCAL 1.1.2 assessment results (JSON), for GRC tools", func(w io.Writer, r *posture.Report, _ Options) error { return writeOSCAL(w, r) }},
}

// Doc is one line on what f is for.
func (f Format) Doc() string {
	for _, x := range formats {
		if x.f == f {
			return x.doc
		}
	}
	return ""
}

// FormatNames are the names of Formats, in order.
func FormatNames() []string {
	var out []string
	for _, f := range Formats() {
		out = append(out, string(f))
	}
	return out
}

// Formats lists every format Write knows, in the order help text shows them.
func Formats() []Format {
	out := make([]Format, len(formats))
	for i, x := range formats {
		out[i] = x.f
	}
	return out
}

// ParseFormat parses a format name (case-insensitive). Its error lists the
// valid names.
func ParseFormat(s string) (Format, error) {
	want := strings.ToLower(strings.TrimSpace(s))
	for _, f := range Formats() {
		if string(f) == want {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("report: unknown format %q (want one of %s)", s, strings.Join(names, ", "))
}

// Options changes what Write prints.
type Options struct {
	// Color turns on ANSI colours in the table format (and nowhere else).
	// The command decides: a terminal on stdout and no NO_COLOR.
	Color bool
	// Internal includes controls whose visibility is not public. A gap
	// report is an internal document, so callers usually set it; without
	// it only controls explicitly marked public are written (fail closed)
	// and the summary counts only those.
	Internal bool
}

// Write writes r to w in format f. It never changes r.
func Write(w io.Writer, r *posture.Report, f Format, o Options) error {
	if r == nil {
		return fmt.Errorf("report: nil report")
	}
	c, err := prepare(r, o)
	if err != nil {
		return err
	}
	if f != FormatJSON {
		// Every format but the data itself is read by people: no control
		// character or bidi override of a hostile server reaches them, and
		// a gap without its own remediation shows its rule's.
		cleanStrings(reflect.ValueOf(c))
		fillRemediation(c)
	}
	var write func(io.Writer, *posture.Report, Options) error
	for _, x := range formats {
		if x.f == f {
			write = x.write
		}
	}
	if write == nil {
		_, err := ParseFormat(string(f))
		return err
	}
	var buf bytes.Buffer
	err = write(&buf, c, o)
	if err != nil {
		return fmt.Errorf("report: write %s: %w", f, err)
	}
	// Nothing reaches w unless the whole output was built.
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write %s: %w", f, err)
	}
	return nil
}

// prepare returns a deep copy of r for the writers to work on, without the
// controls o does not let through. The copy goes through JSON: posture
// types round-trip through encoding/json without loss (posture's own test
// enforces it), and the trip also rejects verdicts no writer knows.
func prepare(r *posture.Report, o Options) (*posture.Report, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("report: copy report: %w", err)
	}
	var c posture.Report
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("report: copy report: %w", err)
	}
	if !o.Internal {
		kept := c.Controls[:0]
		for _, cr := range c.Controls {
			if cr.Control.Visibility == posture.Public {
				kept = append(kept, cr)
			}
		}
		c.Controls = kept
		c.Summarize()
	}
	return &c, nil
}

// fillRemediation gives each gap (contradicted or waived finding) without a
// remediation of its own the remediation of its rule.
func fillRemediation(r *posture.Report) {
	for i := range r.Controls {
		for j := range r.Controls[i].Findings {
			f := &r.Controls[i].Findings[j]
			if f.Remediation != "" || (f.Verdict != posture.Contradicted && f.Verdict != posture.Waived) {
				continue
			}
			if rule, ok := r.Rule(f.RuleID); ok {
				f.Remediation = rule.Remediation
			}
		}
	}
}
