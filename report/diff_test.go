package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// driftPair returns fixture() and a later report of the same declaration in
// which every kind of drift happens once.
func driftPair() (old, new *posture.Report) {
	old, new = fixture(), fixture()
	new.ScanID = "20261124T090000Z-4d5e6f"
	byID := func(id string) *posture.ControlResult {
		for i := range new.Controls {
			if new.Controls[i].Control.ID == id {
				return &new.Controls[i]
			}
		}
		panic(id)
	}
	// tls-modern: tls10 still enabled on app, and now tls11 too (a new code
	// on a target that already failed).
	tm := byID("tls-modern")
	tm.Findings = append(tm.Findings, posture.Finding{ControlID: "tls-modern", RuleID: "tls.min_version", Target: "https://app.acme.example",
		Verdict: posture.Contradicted, Severity: posture.SeverityHigh, Code: "tls.protocol.tls11_enabled", Observed: "TLSv1.1 offered"})
	// hsts: the waiver on legacy expired.
	h := byID("hsts")
	h.Findings[1].Verdict, h.Findings[1].WaiverExpired, h.Findings[1].Waiver = posture.Contradicted, h.Findings[1].Waiver, nil
	h.Verdict = posture.Contradicted
	// dmarc: verified before, p=none now.
	dm := byID("dmarc")
	dm.Verdict = posture.Contradicted
	dm.Findings[0].Verdict, dm.Findings[0].Code, dm.Findings[0].Observed = posture.Contradicted, "email.dmarc.policy_none", "v=DMARC1; p=none"
	// waf: fixed.
	w := byID("waf")
	w.Verdict = posture.Verified
	w.Findings[0].Verdict, w.Findings[0].Code, w.Findings[0].Observed = posture.Verified, "", "blocked with 403"
	// csp-admin: could not observe now.
	c := byID("csp-admin")
	c.Verdict = posture.Inconclusive
	c.Findings[0].Verdict, c.Findings[0].Code, c.Findings[0].Reason = posture.Inconclusive, "http.unreachable", &posture.Missing{Reason: posture.ReasonTimeout}
	// at-rest removed, mta-sts added and failing.
	new.Controls = slices.DeleteFunc(new.Controls, func(c posture.ControlResult) bool { return c.Control.ID == "at-rest" })
	new.Controls = append(new.Controls, posture.ControlResult{
		Control: posture.Control{ID: "mta-sts", Section: "Email security", Visibility: posture.Public, Statement: "Mail is delivered over TLS (MTA-STS enforce)."},
		Verdict: posture.Contradicted, Severity: posture.SeverityMedium,
		Findings: []posture.Finding{{ControlID: "mta-sts", Target: "acme.example", Verdict: posture.Contradicted, Severity: posture.SeverityMedium,
			Code: "email.mta_sts.missing", Observed: "no _mta-sts TXT record"}},
	})
	new.Summarize()
	return old, new
}

type driftRow struct {
	kind                  DriftKind
	control, target, code string
	was, now              posture.Verdict
}

func rowsOf(d Drift) []driftRow {
	var out []driftRow
	for _, it := range driftRows(d) {
		out = append(out, driftRow{it.Kind, it.ControlID, it.Target, it.Code, it.Was, it.Now})
	}
	return out
}

func TestDiff(t *testing.T) {
	old, new := driftPair()
	d := Diff(old, new)
	app, api, legacy := "https://app.acme.example", "https://api.acme.example", "https://legacy.acme.example"
	want := []driftRow{
		{DriftRegressed, "dmarc", "acme.example", "email.dmarc.policy_none", posture.Verified, posture.Contradicted},
		{DriftRegressed, "hsts", legacy, "http.hsts.missing", posture.Waived, posture.Contradicted},
		{DriftRegressed, "mta-sts", "acme.example", "email.mta_sts.missing", "", posture.Contradicted},
		{DriftRegressed, "tls-modern", app, "tls.protocol.tls11_enabled", posture.Contradicted, posture.Contradicted},
		{DriftStillFailing, "tls-modern", app, "tls.protocol.tls10_enabled", posture.Contradicted, posture.Contradicted},
		{DriftUnobserved, "csp-admin", api, "http.csp.missing", posture.Contradicted, posture.Inconclusive},
		{DriftFixed, "waf", app, "waf.absent", posture.Contradicted, posture.Verified},
	}
	if got := rowsOf(d); !reflect.DeepEqual(got, want) {
		t.Errorf("drift rows:\n got  %v\n want %v", got, want)
	}
	if len(d.Waived) != 0 {
		t.Errorf("waived %v, want none", d.Waived)
	}
	if got := []DriftControl{{ID: "mta-sts", Section: "Email security", Verdict: posture.Contradicted}}; !reflect.DeepEqual(d.NewControls, got) {
		t.Errorf("new controls %v", d.NewControls)
	}
	if got := []DriftControl{{ID: "at-rest", Section: "Encryption at rest", Verdict: posture.Attested}}; !reflect.DeepEqual(d.RemovedControls, got) {
		t.Errorf("removed controls %v", d.RemovedControls)
	}
	if !d.HasRegression() || d.OldScanID != old.ScanID || d.NewScanID != new.ScanID {
		t.Errorf("HasRegression %v, ids %s %s", d.HasRegression(), d.OldScanID, d.NewScanID)
	}
	if got := d.RegressedAtLeast(posture.SeverityHigh); len(got) != 2 || got[0].ControlID != "dmarc" || got[1].ControlID != "tls-modern" {
		t.Errorf("RegressedAtLeast(high) = %v", got)
	}

	// Going back: what regressed is fixed, a waiver put back is waived.
	back := Diff(new, old)
	want = []driftRow{
		{DriftStillFailing, "tls-modern", app, "tls.protocol.tls10_enabled", posture.Contradicted, posture.Contradicted},
		{DriftRegressed, "csp-admin", api, "http.csp.missing", posture.Inconclusive, posture.Contradicted},
		{DriftRegressed, "waf", app, "waf.absent", posture.Verified, posture.Contradicted},
		{DriftWaived, "hsts", legacy, "http.hsts.missing", posture.Contradicted, posture.Waived},
		{DriftFixed, "dmarc", "acme.example", "email.dmarc.policy_none", posture.Contradicted, posture.Verified},
		{DriftFixed, "tls-modern", app, "tls.protocol.tls11_enabled", posture.Contradicted, posture.Contradicted},
	}
	slices.SortStableFunc(want, func(a, b driftRow) int { return kindOrder(a.kind) - kindOrder(b.kind) })
	if got := rowsOf(back); !reflect.DeepEqual(got, want) {
		t.Errorf("reverse drift rows:\n got  %v\n want %v", got, want)
	}

	// The same report twice: nothing moved but what still fails.
	same := Diff(fixture(), fixture())
	if same.HasRegression() || len(same.Fixed)+len(same.NewControls)+len(same.RemovedControls)+len(same.Unobserved)+len(same.Waived) != 0 || len(same.StillFailing) != 3 {
		t.Errorf("Diff of a report with itself: %+v", same)
	}
	// Against nothing (first run with --baseline of an empty report) every
	// gap is a regression and every control new.
	first := Diff(&posture.Report{}, fixture())
	if len(first.Regressed) != 3 || len(first.NewControls) != 8 || len(first.StillFailing) != 0 {
		t.Errorf("Diff against an empty report: %d regressed, %d new controls", len(first.Regressed), len(first.NewControls))
	}
	if nilDiff := Diff(nil, nil); nilDiff.HasRegression() {
		t.Error("Diff(nil, nil) regressed")
	}
}

func kindOrder(k DriftKind) int {
	return slices.Index([]DriftKind{DriftRegressed, DriftStillFailing, DriftUnobserved, DriftWaived, DriftFixed}, k)
}

func TestDiffDoesNotMutate(t *testing.T) {
	old, new := driftPair()
	o2, n2 := driftPair()
	d := Diff(old, new)
	for _, f := range []Format{FormatTable, FormatJSON, FormatMarkdown} {
		if err := WriteDiff(&bytes.Buffer{}, d, f); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(old, o2) || !reflect.DeepEqual(new, n2) {
		t.Error("Diff changed its inputs")
	}
}

func TestWriteDiffGolden(t *testing.T) {
	old, new := driftPair()
	// Hostile observed text stays in the JSON and is made safe elsewhere.
	for i := range new.Controls {
		if new.Controls[i].Control.ID == "dmarc" {
			new.Controls[i].Findings[0].Observed = "p=none | " + xss + " \x1b[2J\u202e"
		}
	}
	d := Diff(old, new)
	for f, ext := range map[Format]string{FormatTable: "txt", FormatJSON: "json", FormatMarkdown: "md"} {
		t.Run(string(f), func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteDiff(&b, d, f); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			golden(t, "drift."+ext, out)
			if f != FormatJSON && (strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, '\u202e') || strings.Contains(out, "<script")) {
				t.Errorf("%s: hostile text reached the output", f)
			}
		})
	}
	var back Drift
	var b bytes.Buffer
	if err := WriteDiff(&b, d, FormatJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || !reflect.DeepEqual(back, d) {
		t.Errorf("drift JSON does not read back: %v", err)
	}
	if err := WriteDiff(&bytes.Buffer{}, d, FormatSARIF); err == nil {
		t.Error("WriteDiff accepted sarif")
	}
}

// TestDiffTargetGone: a failing target that the new report does not judge
// at all is not fixed.
func TestDiffTargetGone(t *testing.T) {
	old, new := fixture(), fixture()
	for i := range new.Controls {
		if new.Controls[i].Control.ID == "waf" {
			new.Controls[i].Verdict = posture.Verified
			new.Controls[i].Findings[0].Target = "https://www.acme.example"
			new.Controls[i].Findings[0].Verdict, new.Controls[i].Findings[0].Code = posture.Verified, ""
		}
	}
	d := Diff(old, new)
	want := []driftRow{
		{DriftStillFailing, "csp-admin", "https://api.acme.example", "http.csp.missing", posture.Contradicted, posture.Contradicted},
		{DriftStillFailing, "tls-modern", "https://app.acme.example", "tls.protocol.tls10_enabled", posture.Contradicted, posture.Contradicted},
		{DriftUnobserved, "waf", "https://app.acme.example", "waf.absent", posture.Contradicted, posture.NotApplicable},
	}
	if got := rowsOf(d); !reflect.DeepEqual(got, want) {
		t.Errorf("drift rows:\n got  %v\n want %v", got, want)
	}
}

// A baseline written before a code was renamed still matches: read back,
// the old code is the code it became, so the same gap is still failing,
// not "fixed" under its old name and "regressed" under its new one.
func TestDiffBaselineWithRenamedCode(t *testing.T) {
	var from, to posture.Code
	for f, t := range posture.Aliases() {
		from, to = f, t
		break
	}
	if from == "" {
		t.Fatal("no alias to test with")
	}
	mk := func(code posture.Code) *posture.Report {
		r := &posture.Report{SchemaVersion: posture.SchemaVersion, ScanID: "s-" + string(code), Controls: []posture.ControlResult{{
			Control: posture.Control{ID: "dkim"}, Verdict: posture.Contradicted, Severity: posture.SeverityMedium,
			Findings: []posture.Finding{{ControlID: "dkim", Target: "acme.example", Verdict: posture.Contradicted,
				Severity: posture.SeverityMedium, Code: code}},
		}}}
		r.Summarize()
		return r
	}
	// The old report is what an older vouch wrote: its JSON spells the
	// old code.
	b, err := json.Marshal(mk(from))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(string(from))) {
		t.Fatalf("the baseline does not spell %s: %s", from, b)
	}
	old, err := ReadReport(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(old, mk(to))
	if got := rowsOf(d); len(got) != 1 || got[0].kind != DriftStillFailing || got[0].code != string(to) {
		t.Errorf("drift of a renamed code: %v, want one still_failing %s", got, to)
	}
}
