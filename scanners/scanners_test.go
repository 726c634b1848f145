package scanners

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// recorder is a scanner that records the targets it was asked to scan.
type recorder struct {
	name string
	kind posture.TargetKind
	mu   sync.Mutex
	seen []string
}

func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Accepts(k posture.TargetKind) bool { return k == r.kind }
func (r *recorder) Scan(_ context.Context, t posture.Target) posture.Snapshot {
	r.mu.Lock()
	r.seen = append(r.seen, t.Address)
	r.mu.Unlock()
	return Failed(r.name, t, time.Now(), &posture.Missing{Reason: posture.ReasonNotScanned})
}

// With a plan, the runner runs exactly the planned (scanner, target)
// pairs; without one, every scanner on every target it accepts.
func TestRunnerPlan(t *testing.T) {
	a := posture.Target{Kind: posture.TargetWeb, Address: "https://a.example"}
	b := posture.Target{Kind: posture.TargetWeb, Address: "https://b.example"}
	m := posture.Target{Kind: posture.TargetMail, Address: "m.example"}
	plan := &posture.Plan{Targets: []posture.TargetPlan{
		{Target: a, Scanners: []posture.ScannerPlan{{Scanner: posture.ScannerTLS}, {Scanner: posture.ScannerWAF}}},
		{Target: b, Scanners: []posture.ScannerPlan{{Scanner: posture.ScannerTLS}}},
		// planned, but not a kind the scanner accepts: still not run
		{Target: m, Scanners: []posture.ScannerPlan{{Scanner: posture.ScannerHTTP}}},
	}}
	for _, tc := range []struct {
		name string
		plan *posture.Plan
		want map[string][]string
	}{
		{"planned", plan, map[string][]string{"tls": {a.Address, b.Address}, "waf": {a.Address}, "http": nil, "dns": nil}},
		{"no plan", nil, map[string][]string{"tls": {a.Address, b.Address}, "waf": {a.Address, b.Address}, "http": {a.Address, b.Address}, "dns": {m.Address}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := []*recorder{{name: "tls", kind: posture.TargetWeb}, {name: "http", kind: posture.TargetWeb}, {name: "dns", kind: posture.TargetMail}, {name: "waf", kind: posture.TargetWeb}}
			var scs []Scanner
			for _, r := range rs {
				scs = append(scs, r)
			}
			(&Runner{Scanners: scs, Plan: tc.plan}).Run(context.Background(), []posture.Target{a, b, m})
			for _, r := range rs {
				slices.Sort(r.seen)
				if !slices.Equal(r.seen, tc.want[r.name]) {
					t.Errorf("%s scanned %v, want %v", r.name, r.seen, tc.want[r.name])
				}
			}
		})
	}
}
