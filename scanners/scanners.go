// Package scanners runs scanners over the targets in scope and gathers what
// they observe into one posture.Snapshot.
//
// A scanner observes; it never judges. It never returns an error for a
// target it could not observe: it returns an observation whose Missing says
// why (refused, timeout, nxdomain, ...), and the checks turn that into an
// inconclusive verdict. The runner bounds each target's time and the number
// of targets scanned at once, and never lets one scanner's panic sink the
// scan.
//
// The scanner packages (tlsscan, httpscan, dnsscan, wafscan) import only
// posture; cmd/vouch builds them and hands them to a Runner.
package scanners

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// Scanner observes one target at a time.
type Scanner interface {
	// Name is the scanner's short name: tls, http, dns, waf.
	Name() string
	// Accepts reports whether the scanner looks at targets of kind k.
	Accepts(k posture.TargetKind) bool
	// Scan observes t and returns a snapshot fragment holding only its
	// own observations of t. It must return when ctx is done.
	Scan(ctx context.Context, t posture.Target) posture.Snapshot
}

// Runner runs scanners over targets.
type Runner struct {
	Scanners []Scanner
	// Plan, when set, says which (scanner, target) pairs run: only those
	// it plans (checks.Plan), so that nothing no control needs is ever
	// sent. nil runs every scanner on every target it accepts (a probe).
	Plan *posture.Plan
	// Concurrency is how many (scanner, target) pairs run at once; 0 means
	// DefaultConcurrency. Politeness is not its job: every connection to
	// a host holds a slot of the scan's per-host budget (netlimit), so
	// scanners of one host run side by side within it.
	Concurrency int
	// TargetTimeout bounds one scanner on one target; 0 means 60 s.
	TargetTimeout time.Duration
	// Progress, when set, receives one line per finished pair (stderr in
	// the CLI; never stdout).
	Progress io.Writer
	// Sink, when set, receives each pair's fragment as soon as it is
	// done, before it joins the snapshot: the scan's evidence spool
	// writes the raw evidence to disk there and leaves only a reference
	// in the fragment, so memory does not hold every certificate chain
	// and HTTP exchange of a fleet until the end.
	Sink func(part *posture.Snapshot)
	// Events, when set, is told how many pairs run before any starts,
	// then when each starts and finishes (a progress bar's feed). Its
	// methods are called from the scanning goroutines; Finished calls
	// are serialised with the merge.
	Events Events
	Now    func() time.Time
}

// Pair is one scanner on one target.
type Pair struct {
	Scanner string
	Target  posture.Target
}

// Events follows a Run pair by pair.
type Events interface {
	// Planned lists every pair the Run will run, before any starts.
	Planned(pairs []Pair)
	Started(scanner string, t posture.Target)
	Finished(scanner string, t posture.Target, d time.Duration)
}

// DefaultConcurrency is how many (scanner, target) pairs run at once by
// default: enough for a fleet to keep the scan's connection limits busy
// at real-world latency (each pair spends most of its time waiting on
// round trips). Politeness is the limiter's (--per-host, --max-inflight),
// not this; a company's own handful of targets runs all at once.
const DefaultConcurrency = 64

// Run scans every target with every scanner that accepts it (and that the
// Plan, when set, runs on it) and returns the merged, sorted snapshot. The caller fills ID, Tool, Resolver and
// Scope.
func (r *Runner) Run(ctx context.Context, targets []posture.Target) posture.Snapshot {
	now := r.Now
	if now == nil {
		now = time.Now
	}
	conc := r.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	timeout := r.TargetTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	snap := posture.Snapshot{SchemaVersion: posture.SchemaVersion, StartedAt: now().UTC(), Scope: targets}
	type job struct {
		s Scanner
		t posture.Target
	}
	var jobs []job
	for _, t := range targets {
		for _, s := range r.Scanners {
			if s.Accepts(t.Kind) && (r.Plan == nil || r.Plan.Runs(posture.ScannerID(s.Name()), t)) {
				jobs = append(jobs, job{s, t})
			}
		}
	}
	if r.Events != nil {
		pairs := make([]Pair, len(jobs))
		for i, j := range jobs {
			pairs[i] = Pair{j.s.Name(), j.t}
		}
		r.Events.Planned(pairs)
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, conc)
	)
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func(j job) {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			if r.Events != nil {
				r.Events.Started(j.s.Name(), j.t)
			}
			part := r.scanOne(ctx, j.s, j.t, timeout)
			if r.Sink != nil {
				r.Sink(&part)
			}
			mu.Lock()
			snap.Merge(part)
			if r.Progress != nil {
				fmt.Fprintf(r.Progress, "vouch: %-4s %s (%s)\n", j.s.Name(), j.t.Address, time.Since(start).Round(time.Millisecond))
			}
			if r.Events != nil {
				r.Events.Finished(j.s.Name(), j.t, time.Since(start))
			}
			mu.Unlock()
		}(j)
	}
	wg.Wait()
	snap.FinishedAt = now().UTC()
	snap.Sort()
	return snap
}

// scanOne runs one scanner on one target under a deadline, turning a panic
// into an observation that says the scanner failed.
func (r *Runner) scanOne(ctx context.Context, s Scanner, t posture.Target, timeout time.Duration) (out posture.Snapshot) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Each target spends its own budget of connections (--host-budget),
	// whatever address it shares with others.
	ctx = netlimit.WithBudgetKey(ctx, t.String())
	defer func() {
		if p := recover(); p != nil {
			out = Failed(s.Name(), t, time.Now().UTC(), &posture.Missing{
				Reason: posture.ReasonError,
				Detail: fmt.Sprintf("scanner %s panicked: %v\n%s", s.Name(), p, debug.Stack()),
			})
		}
	}()
	return s.Scan(ctx, t)
}

// Failed returns a snapshot fragment holding one observation of t by the
// named scanner that says it could not observe, and why (posture.Failed:
// the table of observation kinds knows where each scanner's go).
func Failed(scanner string, t posture.Target, at time.Time, why *posture.Missing) posture.Snapshot {
	return posture.Failed(posture.ScannerID(scanner), t, at, why)
}
