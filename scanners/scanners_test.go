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

// eventLog records the Events a Run reports.
type eventLog struct {
	mu       sync.Mutex
	planned  int
	started  []string
	finished []string
	inFlight int
	maxIn    int
}

func (e *eventLog) Planned(p []Pair) { e.mu.Lock(); e.planned = len(p); e.mu.Unlock() }
func (e *eventLog) Started(s string, t posture.Target) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.planned == 0 {
		e.started = append(e.started, "before Planned")
	}
	e.started = append(e.started, s+" "+t.Address)
	e.inFlight++
	e.maxIn = max(e.maxIn, e.inFlight)
}
func (e *eventLog) Finished(s string, t posture.Target, _ time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.finished = append(e.finished, s+" "+t.Address)
	e.inFlight--
}

// Events hear the number of pairs first, then each pair start and finish.
func TestRunnerEvents(t *testing.T) {
	a := posture.Target{Kind: posture.TargetWeb, Address: "https://a.example"}
	b := posture.Target{Kind: posture.TargetWeb, Address: "https://b.example"}
	m := posture.Target{Kind: posture.TargetMail, Address: "m.example"}
	scs := []Scanner{&recorder{name: "tls", kind: posture.TargetWeb}, &recorder{name: "dns", kind: posture.TargetMail}}
	ev := &eventLog{}
	(&Runner{Scanners: scs, Events: ev, Concurrency: 2}).Run(context.Background(), []posture.Target{a, b, m})
	want := []string{"dns m.example", "tls https://a.example", "tls https://b.example"}
	slices.Sort(ev.started)
	slices.Sort(ev.finished)
	if ev.planned != 3 || !slices.Equal(ev.started, want) || !slices.Equal(ev.finished, want) {
		t.Errorf("planned %d, started %v, finished %v; want 3, %v twice", ev.planned, ev.started, ev.finished, want)
	}
	if ev.inFlight != 0 || ev.maxIn > 2 {
		t.Errorf("in flight at the end %d, at most %d; want 0, ≤2", ev.inFlight, ev.maxIn)
	}
}
