package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/vouchdev/vouch/posture"
)

// DriftKind says how one gap moved between two reports.
type DriftKind string

const (
	// DriftRegressed: a contradicted finding the old report did not have as
	// a contradiction (it was verified, waived, attested, inconclusive, or
	// absent).
	DriftRegressed DriftKind = "regressed"
	// DriftFixed: contradicted before, and the target now verifies.
	DriftFixed DriftKind = "fixed"
	// DriftStillFailing: contradicted in both reports.
	DriftStillFailing DriftKind = "still_failing"
	// DriftUnobserved: contradicted before, and now could not be observed
	// or was not judged at all (the target left the scope). Not a fix:
	// nothing shows that the gap closed.
	DriftUnobserved DriftKind = "unobserved"
	// DriftWaived: contradicted before, waived now.
	DriftWaived DriftKind = "waived"
)

// DriftItem is one (control, target, issue code) whose state is compared.
type DriftItem struct {
	Kind      DriftKind        `json:"kind"`
	ControlID string           `json:"control_id"`
	Target    string           `json:"target,omitempty"`
	Code      string           `json:"code,omitempty"`
	Severity  posture.Severity `json:"severity,omitempty"`
	// Was and Now are the verdicts of the item in the old and new report;
	// Was is empty when the old report had nothing for the control.
	Was      posture.Verdict `json:"was,omitempty"`
	Now      posture.Verdict `json:"now"`
	Observed string          `json:"observed,omitempty"`
}

// DriftControl is a control present in only one of the two reports.
type DriftControl struct {
	ID      string          `json:"id"`
	Section string          `json:"section,omitempty"`
	Verdict posture.Verdict `json:"verdict"`
}

// Drift is what changed between two reports of the same declaration. Every
// list is sorted by control, target and code.
type Drift struct {
	OldScanID string `json:"old_scan_id,omitempty"`
	NewScanID string `json:"new_scan_id,omitempty"`

	Regressed    []DriftItem `json:"regressed"`
	Fixed        []DriftItem `json:"fixed"`
	StillFailing []DriftItem `json:"still_failing"`
	// Unobserved and Waived were contradicted in the old report and are
	// neither fixed nor failing in the new one.
	Unobserved []DriftItem `json:"unobserved"`
	Waived     []DriftItem `json:"waived"`

	NewControls     []DriftControl `json:"new_controls"`
	RemovedControls []DriftControl `json:"removed_controls"`
}

// HasRegression reports whether any gap is new in the new report: what
// --fail-on-regression fails on.
func (d Drift) HasRegression() bool { return len(d.Regressed) > 0 }

// RegressedAtLeast returns the regressions whose severity is at least min.
func (d Drift) RegressedAtLeast(min posture.Severity) []DriftItem {
	var out []DriftItem
	for _, it := range d.Regressed {
		if it.Severity.Rank() >= min.Rank() {
			out = append(out, it)
		}
	}
	return out
}

// driftKey identifies a gap across reports, as the SARIF fingerprint does.
type driftKey struct{ control, target, code string }

// indexed is one report seen by (control, target, code) and (control,
// target).
type indexed struct {
	controls map[string]posture.ControlResult
	keys     map[driftKey]posture.Finding // worst finding per key
	targets  map[[2]string][]posture.Verdict
	// verified is the first verified finding per (control, target).
	verified map[[2]string]posture.Finding
}

func index(r *posture.Report) indexed {
	x := indexed{controls: map[string]posture.ControlResult{}, keys: map[driftKey]posture.Finding{}, targets: map[[2]string][]posture.Verdict{}, verified: map[[2]string]posture.Finding{}}
	if r == nil {
		return x
	}
	for _, c := range r.Controls {
		x.controls[c.Control.ID] = c
		for _, f := range c.Findings {
			k := driftKey{c.Control.ID, f.Target, string(f.Code)}
			if old, ok := x.keys[k]; !ok || posture.Combine(old.Verdict, f.Verdict) != old.Verdict {
				x.keys[k] = f
			}
			t := [2]string{c.Control.ID, f.Target}
			x.targets[t] = append(x.targets[t], f.Verdict)
			if _, ok := x.verified[t]; !ok && f.Verdict == posture.Verified {
				x.verified[t] = f
			}
		}
	}
	return x
}

// state is the verdict of (control, target, code) in x: the finding's own
// verdict, else the combined verdict of the control on that target, else
// the control's verdict, else "" (the control is not in the report).
func (x indexed) state(k driftKey) posture.Verdict {
	if f, ok := x.keys[k]; ok {
		return f.Verdict
	}
	if vs, ok := x.targets[[2]string{k.control, k.target}]; ok {
		return posture.Combine(vs...)
	}
	if c, ok := x.controls[k.control]; ok {
		return c.Verdict
	}
	return ""
}

// Diff compares two reports gap by gap, keyed by control, target and issue
// code. It reads both reports whole (visibility does not matter) and never
// changes them.
func Diff(old, new *posture.Report) Drift {
	var d Drift
	if old != nil {
		d.OldScanID = old.ScanID
	}
	if new != nil {
		d.NewScanID = new.ScanID
	}
	o, n := index(old), index(new)

	for k, f := range n.keys {
		if f.Verdict != posture.Contradicted {
			continue
		}
		it := item(k, f)
		if of, ok := o.keys[k]; ok && of.Verdict == posture.Contradicted {
			it.Kind, it.Was = DriftStillFailing, posture.Contradicted
			d.StillFailing = append(d.StillFailing, it)
		} else {
			// A code that did not fail before is a new gap, even on a
			// target that failed before with another code.
			it.Kind, it.Was = DriftRegressed, o.state(k)
			d.Regressed = append(d.Regressed, it)
		}
	}
	for k, f := range o.keys {
		if f.Verdict != posture.Contradicted {
			continue
		}
		if _, ok := n.controls[k.control]; !ok {
			continue // removed: listed as a removed control
		}
		now := n.state(k)
		it := item(k, f)
		it.Was, it.Now, it.Observed = posture.Contradicted, now, ""
		if nf, ok := n.keys[k]; ok {
			it.Severity, it.Observed = cmp.Or(nf.Severity, it.Severity), nf.Observed
		}
		if _, seen := n.targets[[2]string{k.control, k.target}]; !seen {
			// The target was not judged at all (it left the scope, or the
			// control no longer looks at it): nothing shows a fix.
			it.Kind, it.Now = DriftUnobserved, posture.NotApplicable
			d.Unobserved = append(d.Unobserved, it)
			continue
		}
		switch now {
		case posture.Contradicted:
			if nf, ok := n.keys[k]; ok && nf.Verdict == posture.Contradicted {
				continue // still failing: listed above
			}
			// Another code fails on this target; this one is gone.
			it.Kind = DriftFixed
			d.Fixed = append(d.Fixed, it)
		case posture.Verified, posture.NotApplicable, posture.Attested:
			it.Kind = DriftFixed
			if vf, ok := n.verified[[2]string{k.control, k.target}]; ok && it.Observed == "" {
				it.Observed = vf.Observed
			}
			d.Fixed = append(d.Fixed, it)
		case posture.Waived:
			it.Kind = DriftWaived
			d.Waived = append(d.Waived, it)
		default: // inconclusive
			it.Kind = DriftUnobserved
			d.Unobserved = append(d.Unobserved, it)
		}
	}
	for id, c := range n.controls {
		if _, ok := o.controls[id]; !ok {
			d.NewControls = append(d.NewControls, DriftControl{ID: id, Section: c.Control.Section, Verdict: c.Verdict})
		}
	}
	for id, c := range o.controls {
		if _, ok := n.controls[id]; !ok {
			d.RemovedControls = append(d.RemovedControls, DriftControl{ID: id, Section: c.Control.Section, Verdict: c.Verdict})
		}
	}
	for _, l := range []*[]DriftItem{&d.Regressed, &d.Fixed, &d.StillFailing, &d.Unobserved, &d.Waived} {
		if *l == nil {
			*l = []DriftItem{}
		}
		slices.SortFunc(*l, func(a, b DriftItem) int {
			return cmp.Or(strings.Compare(a.ControlID, b.ControlID), strings.Compare(a.Target, b.Target), strings.Compare(a.Code, b.Code))
		})
	}
	for _, l := range []*[]DriftControl{&d.NewControls, &d.RemovedControls} {
		if *l == nil {
			*l = []DriftControl{}
		}
		slices.SortFunc(*l, func(a, b DriftControl) int { return strings.Compare(a.ID, b.ID) })
	}
	return d
}

func item(k driftKey, f posture.Finding) DriftItem {
	return DriftItem{ControlID: k.control, Target: k.target, Code: k.code, Severity: f.Severity, Now: f.Verdict, Observed: f.Observed}
}

// WriteDiff writes d as a table, JSON or Markdown. Text that came from a
// server is made safe as in Write.
func WriteDiff(w io.Writer, d Drift, f Format) error {
	var buf bytes.Buffer
	var err error
	switch f {
	case FormatJSON:
		var b []byte
		b, err = marshalIndent(d)
		buf.Write(b)
	case FormatTable:
		err = writeDiffTable(&buf, d)
	case FormatMarkdown:
		writeDiffMarkdown(&buf, d)
	default:
		return fmt.Errorf("report: diff: format %q not supported (want table, json or markdown)", f)
	}
	if err != nil {
		return fmt.Errorf("report: diff %s: %w", f, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: diff %s: %w", f, err)
	}
	return nil
}

// driftRows lists every item in the order people read them: regressions
// first.
func driftRows(d Drift) []DriftItem {
	var out []DriftItem
	for _, l := range [][]DriftItem{d.Regressed, d.StillFailing, d.Unobserved, d.Waived, d.Fixed} {
		out = append(out, l...)
	}
	return out
}

func driftSummary(d Drift) string {
	return fmt.Sprintf("%d regressed, %d still failing, %d unobserved, %d waived, %d fixed; %d new controls, %d removed",
		len(d.Regressed), len(d.StillFailing), len(d.Unobserved), len(d.Waived), len(d.Fixed), len(d.NewControls), len(d.RemovedControls))
}

func verdictOrDash(v posture.Verdict) string {
	if v == "" {
		return "-"
	}
	return label(v)
}

func writeDiffTable(w io.Writer, d Drift) error {
	var b strings.Builder
	fmt.Fprintf(&b, "drift %s -> %s\n\n", cell(d.OldScanID, 64), cell(d.NewScanID, 64))
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANGE\tSEVERITY\tCONTROL\tTARGET\tCODE\tWAS\tNOW")
	for _, it := range driftRows(d) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Kind, severityText(it.Severity), cell(it.ControlID, 40),
			cell(it.Target, 60), cell(it.Code, 60), verdictOrDash(it.Was), label(it.Now))
	}
	for _, c := range d.NewControls {
		fmt.Fprintf(tw, "new_control\t-\t%s\t-\t-\t-\t%s\n", cell(c.ID, 40), label(c.Verdict))
	}
	for _, c := range d.RemovedControls {
		fmt.Fprintf(tw, "removed_control\t-\t%s\t-\t-\t%s\t-\n", cell(c.ID, 40), label(c.Verdict))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteByte('\n')
	b.WriteString(driftSummary(d) + "\n")
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func writeDiffMarkdown(b *bytes.Buffer, d Drift) {
	fmt.Fprintf(b, "## vouch drift: %s → %s\n\n", mdCode(d.OldScanID), mdCode(d.NewScanID))
	sum := driftSummary(d)
	if d.HasRegression() {
		sum = "**" + sum + "**"
	}
	b.WriteString(sum + "\n\n")
	section := func(title string, items []DriftItem) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(b, "### %s (%d)\n\n", title, len(items))
		b.WriteString("| Severity | Control | Target | Code | Was | Now | Observed |\n|---|---|---|---|---|---|---|\n")
		for _, it := range items {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", md(severityText(it.Severity)), mdCode(it.ControlID),
				mdDash(it.Target), mdCode(it.Code), verdictOrDash(it.Was), label(it.Now), mdDash(it.Observed))
		}
		b.WriteString("\n")
	}
	section("Regressed", d.Regressed)
	section("Still failing", d.StillFailing)
	section("Could not observe now", d.Unobserved)
	section("Waived now", d.Waived)
	section("Fixed", d.Fixed)
	controls := func(title string, cs []DriftControl) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(b, "### %s (%d)\n\n| Control | Section | Verdict |\n|---|---|---|\n", title, len(cs))
		for _, c := range cs {
			fmt.Fprintf(b, "| %s | %s | %s |\n", mdCode(c.ID), mdDash(c.Section), label(c.Verdict))
		}
		b.WriteString("\n")
	}
	controls("New controls", d.NewControls)
	controls("Removed controls", d.RemovedControls)
}
