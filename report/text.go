package report

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vouchdev/vouch/posture"
)

// label is a verdict as people read it.
func label(v posture.Verdict) string {
	if v == posture.NotApplicable {
		return "not applicable"
	}
	return string(v)
}

// verdictRank orders verdicts as posture.Verdicts lists them (worst first).
func verdictRank(v posture.Verdict) int {
	for i, x := range posture.Verdicts {
		if x == v {
			return i
		}
	}
	return len(posture.Verdicts)
}

// oneLine makes text safe to print on one line of a terminal or a table
// cell: runs of white space become one space, and control characters
// (C0, DEL, C1), bidirectional overrides and invalid UTF-8 — which a hostile
// server could use to move the cursor or reorder what a reader sees —
// become U+FFFD.
func oneLine(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			r = utf8.RuneError
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.IsControl(r), isBidi(r):
			r = utf8.RuneError
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// isBidi reports the Unicode bidirectional embedding, override and isolate
// controls.
func isBidi(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// truncate shortens s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return strings.TrimRight(string(rs[:n-1]), " ") + "…"
}

func day(t time.Time) string {
	if t.IsZero() {
		return "?"
	}
	return t.UTC().Format("2006-01-02")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// onTarget prefixes s with the finding's target, when it has one.
func onTarget(f posture.Finding, s string) string {
	if f.Target == "" {
		return s
	}
	if s == "" {
		return f.Target
	}
	return f.Target + ": " + s
}

// observed says in a few words what a finding saw: the observation, or why
// there was none.
func observed(f posture.Finding) string {
	if f.Verdict == posture.Inconclusive {
		if f.Reason != nil {
			return "could not observe (" + f.Reason.Error() + ")"
		}
		if f.Message != "" {
			return "could not observe: " + f.Message
		}
		return "could not observe"
	}
	switch {
	case f.Observed != "":
		return f.Observed
	case f.Message != "":
		return f.Message
	}
	return string(f.Code)
}

func waiverText(w *posture.Waiver) string {
	s := "waived by " + w.Approver + " until " + day(w.Expires)
	if w.Reason != "" {
		s += ": " + w.Reason
	}
	return s
}

func expiredText(w *posture.Waiver) string {
	return "waiver by " + w.Approver + " expired " + day(w.Expires)
}

func attestedText(a *posture.Attestation) string {
	s := "attested by " + a.By + ", reviewed " + day(a.Reviewed)
	if a.Evidence != "" {
		s += " (evidence: " + a.Evidence + ")"
	}
	return s
}

// detail is the one-line reason for a control's verdict: the first finding
// that carries the verdict, and how many more there are.
func detail(c posture.ControlResult) string {
	if c.Verdict == posture.Attested && c.Control.Attested != nil {
		return attestedText(c.Control.Attested)
	}
	var first *posture.Finding
	n := 0
	for i := range c.Findings {
		if c.Findings[i].Verdict == c.Verdict {
			if first == nil {
				first = &c.Findings[i]
			}
			n++
		}
	}
	if first == nil {
		if c.Verdict == posture.NotApplicable {
			return "nothing in scope to check"
		}
		return ""
	}
	var s string
	switch {
	case c.Verdict == posture.Waived && first.Waiver != nil:
		s = onTarget(*first, waiverText(first.Waiver))
	default:
		s = onTarget(*first, observed(*first))
		if first.WaiverExpired != nil {
			s += " (" + expiredText(first.WaiverExpired) + ")"
		}
	}
	if n > 1 {
		s += fmt.Sprintf(" (+%d more)", n-1)
	}
	return s
}

// counts returns the number of controls per verdict, in posture.Verdicts
// order, counted from the controls themselves.
func counts(r *posture.Report) []verdictCount {
	m := map[posture.Verdict]int{}
	for _, c := range r.Controls {
		m[c.Verdict]++
	}
	out := make([]verdictCount, 0, len(posture.Verdicts))
	for _, v := range posture.Verdicts {
		out = append(out, verdictCount{Verdict: v, N: m[v]})
	}
	return out
}

type verdictCount struct {
	Verdict posture.Verdict
	N       int
}

// gap is one finding of the gap list with its control.
type gap struct {
	Control posture.ControlResult
	Finding posture.Finding
}

// gaps lists contradicted findings, then inconclusive ones; within each,
// higher severity first, then report order.
func gaps(r *posture.Report) []gap {
	var out []gap
	for _, v := range []posture.Verdict{posture.Contradicted, posture.Inconclusive} {
		var part []gap
		for _, c := range r.Controls {
			for _, f := range c.Findings {
				if f.Verdict == v {
					part = append(part, gap{c, f})
				}
			}
		}
		slices.SortStableFunc(part, func(a, b gap) int { return b.Finding.Severity.Rank() - a.Finding.Severity.Rank() })
		out = append(out, part...)
	}
	return out
}

// severityText is a severity for people, "-" when there is none.
func severityText(s posture.Severity) string {
	if s == "" {
		return "-"
	}
	return string(s)
}

// clean makes text safe to show to a person while keeping its lines: CRLF
// becomes LF, and control characters other than LF and TAB, bidirectional
// controls, the non-characters U+FFFE and U+FFFF, and invalid UTF-8 become
// U+FFFD. What is left is also valid XML 1.0 character data.
func clean(s string) string {
	ok := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if unsafeRune(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r != '\n' && r != '\t' && unicode.IsControl(r) || isBidi(r) || r == 0xFFFE || r == 0xFFFF
}

// cleanStrings applies clean to every string inside v (a pointer), map
// keys included. It is used on the writers' own copy of a report.
func cleanStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			cleanStrings(v.Elem())
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(clean(v.String()))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				cleanStrings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			cleanStrings(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k := reflect.New(v.Type().Key()).Elem()
			k.Set(iter.Key())
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(iter.Value())
			cleanStrings(k)
			cleanStrings(e)
			out.SetMapIndex(k, e)
		}
		v.Set(out)
	}
}
