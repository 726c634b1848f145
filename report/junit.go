package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// JUnit XML as CI systems read it (the Ant/Surefire schema): suites of test
// cases, each passing, failing, or skipped. encoding/xml escapes text and
// attributes and replaces characters XML 1.0 cannot carry with U+FFFD.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr,omitempty"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

// Bodies are CDATA so that multi-line text stays readable in the file;
// encoding/xml splits any "]]>" inside. The writers' copy of the report
// has been through clean, so no character XML forbids is left.
type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

func systemOut(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Text: s}
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, r *posture.Report) error {
	out := junitSuites{Name: "vouch"}
	if !r.ScanStarted.IsZero() && r.ScanFinished.After(r.ScanStarted) {
		out.Time = fmt.Sprintf("%.3f", r.ScanFinished.Sub(r.ScanStarted).Seconds())
	}
	var props []junitProperty
	if r.ScanID != "" {
		props = append(props, junitProperty{"scan_id", r.ScanID})
	}
	if r.Tool.Version != "" {
		props = append(props, junitProperty{"vouch_version", r.Tool.Version})
	}
	for _, section := range r.Sections() {
		s := junitSuite{Name: section, Properties: props}
		if !r.GeneratedAt.IsZero() {
			s.Timestamp = r.GeneratedAt.UTC().Format(time.RFC3339)
		}
		for _, c := range r.Controls {
			if c.Control.Section != section {
				continue
			}
			for _, tc := range junitCases(c) {
				s.Tests++
				switch {
				case tc.Failure != nil:
					s.Failures++
				case tc.Skipped != nil:
					s.Skipped++
				}
				s.Cases = append(s.Cases, tc)
			}
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	b, err := xml.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// junitCases makes one test case per target of a control (findings of one
// control on one target fold into one case, the worst verdict winning), or
// one case for a control without findings.
func junitCases(c posture.ControlResult) []junitCase {
	section := c.Control.Section
	if len(c.Findings) == 0 {
		tc := junitCase{Name: c.Control.ID, Classname: section}
		switch c.Verdict {
		case posture.Contradicted:
			tc.Failure = &junitFailure{Message: "contradicted", Type: ruleID(c, posture.Finding{})}
		case posture.Inconclusive:
			tc.Skipped = &junitSkipped{Message: "inconclusive"}
		case posture.NotApplicable:
			tc.Skipped = &junitSkipped{Message: "not applicable: nothing in scope to check"}
		case posture.Attested:
			if c.Control.Attested != nil {
				tc.SystemOut = systemOut(attestedText(c.Control.Attested))
			}
		}
		return []junitCase{tc}
	}

	var targets []string
	byTarget := map[string][]posture.Finding{}
	for _, f := range c.Findings {
		if _, ok := byTarget[f.Target]; !ok {
			targets = append(targets, f.Target)
		}
		byTarget[f.Target] = append(byTarget[f.Target], f)
	}
	var out []junitCase
	for _, t := range targets {
		fs := byTarget[t]
		name := c.Control.ID
		if t != "" {
			name += " (" + t + ")"
		}
		tc := junitCase{Name: name, Classname: section}
		vs := make([]posture.Verdict, len(fs))
		for i, f := range fs {
			vs[i] = f.Verdict
		}
		var notes []string
		switch posture.Combine(vs...) {
		case posture.Contradicted:
			tc.Failure = junitFailureOf(c, fs)
		case posture.Inconclusive:
			for _, f := range fs {
				if f.Verdict == posture.Inconclusive {
					tc.Skipped = &junitSkipped{Message: observed(f)}
					break
				}
			}
		case posture.NotApplicable:
			tc.Skipped = &junitSkipped{Message: "not applicable"}
		}
		for _, f := range fs {
			switch {
			case f.Verdict == posture.Waived && f.Waiver != nil:
				notes = append(notes, waiverText(f.Waiver))
			case f.Verdict == posture.Attested && c.Control.Attested != nil:
				notes = append(notes, attestedText(c.Control.Attested))
			}
		}
		tc.SystemOut = systemOut(strings.Join(notes, "\n"))
		out = append(out, tc)
	}
	return out
}

func junitFailureOf(c posture.ControlResult, fs []posture.Finding) *junitFailure {
	var fail *junitFailure
	var body []string
	for _, f := range fs {
		if f.Verdict != posture.Contradicted {
			continue
		}
		if fail == nil {
			typ := string(f.Code)
			if typ == "" {
				typ = ruleID(c, f)
			}
			msg := f.Message
			if msg == "" {
				msg = "observed " + observed(f)
			}
			fail = &junitFailure{Message: msg, Type: typ}
		}
		var lines []string
		add := func(k, v string) {
			if v != "" {
				lines = append(lines, k+": "+v)
			}
		}
		add("code", string(f.Code))
		add("severity", string(f.Severity))
		add("expected", f.Expected)
		add("observed", observed(f))
		add("remediation", f.Remediation)
		add("evidence", strings.Join(f.Evidence, ", "))
		if f.WaiverExpired != nil {
			add("waiver", expiredText(f.WaiverExpired))
		}
		body = append(body, strings.Join(lines, "\n"))
	}
	fail.Body = strings.Join(body, "\n\n")
	return fail
}
