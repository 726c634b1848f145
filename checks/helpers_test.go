package checks

import (
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

func web(addr string) posture.Target  { return posture.Target{Kind: posture.TargetWeb, Address: addr} }
func mail(addr string) posture.Target { return posture.Target{Kind: posture.TargetMail, Address: addr} }

// obs is an observation header with one piece of evidence.
func obs(t posture.Target, scanner, source, evidence string) posture.Observation {
	return posture.Observation{
		Target: t, Scanner: scanner, Source: source, ObservedAt: t0,
		Evidence: []posture.Evidence{{ID: evidence, Kind: posture.EvidenceText, Data: "raw"}},
	}
}

// failed is an observation the scanner could not make.
func failed(o posture.Observation, r posture.Reason) posture.Observation {
	o.Missing = &posture.Missing{Reason: r, Detail: "test"}
	return o
}

func miss(r posture.Reason) *posture.Missing { return &posture.Missing{Reason: r, Detail: "test"} }

// runKind runs one registered check directly and checks the invariants
// every finding of an observation must keep.
func runKind(t *testing.T, kind string, params map[string]string, snap *posture.Snapshot) []posture.Finding {
	t.Helper()
	c, ok := Lookup(kind)
	if !ok {
		t.Fatalf("checks: %s is not registered", kind)
	}
	args, errs := parseArgs(c.Rule, params, c.Validate)
	if len(errs) > 0 {
		t.Fatalf("checks: %s %v: %v", kind, params, errs)
	}
	in := Input{
		Control:  posture.Control{ID: "ctl", Verify: &posture.Verify{Kind: kind, Params: params}},
		Args:     args,
		Snapshot: snap,
		Now:      t0,
	}
	fs := c.Run(in)
	for _, f := range fs {
		assertQuotes(t, f)
	}
	return fs
}

// assertQuotes checks that a finding quotes its evidence and that its
// verdict, code and reason agree.
func assertQuotes(t *testing.T, f posture.Finding) {
	t.Helper()
	if f.Expected == "" || f.Observed == "" || f.ObservedAt.IsZero() || f.Message == "" {
		t.Errorf("checks: finding does not quote what was expected/observed/when: %+v", f)
	}
	if len(f.Evidence) == 0 {
		t.Errorf("checks: finding has no evidence ids: %+v", f)
	}
	switch f.Verdict {
	case posture.Verified:
		if f.Code != "" || f.Reason != nil {
			t.Errorf("checks: verified finding with code %q / reason %v", f.Code, f.Reason)
		}
	case posture.Contradicted:
		if f.Code == "" || f.Reason != nil {
			t.Errorf("checks: contradicted finding with code %q / reason %v", f.Code, f.Reason)
		}
	case posture.Inconclusive:
		if f.Reason == nil || f.Reason.Reason == "" {
			t.Errorf("checks: inconclusive finding without a reason: %+v", f)
		}
	default:
		t.Errorf("checks: a check returned verdict %q", f.Verdict)
	}
}

// row is one expectation of a table test: the verdict and issue code of
// the single finding a one-observation snapshot gives.
type row struct {
	verdict posture.Verdict
	code    posture.Code
}

func expectOne(t *testing.T, fs []posture.Finding, want row) posture.Finding {
	t.Helper()
	if len(fs) != 1 {
		t.Fatalf("checks: got %d findings, want 1: %+v", len(fs), fs)
	}
	f := fs[0]
	if f.Verdict != want.verdict || f.Code != want.code {
		t.Fatalf("checks: got %s/%q, want %s/%q\n  observed: %s\n  message:  %s", f.Verdict, f.Code, want.verdict, want.code, f.Observed, f.Message)
	}
	return f
}
