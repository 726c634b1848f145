package wafscan

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// fakeResolver answers from a map and fails for names not in it.
type fakeResolver map[string][]string

func (r fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ips, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, ip := range ips {
		out = append(out, net.IPAddr{IP: net.ParseIP(ip)})
	}
	return out, nil
}

func (fakeResolver) LookupMX(context.Context, string) ([]*net.MX, error) {
	return nil, errors.New("no MX")
}

// free counts the free slots of host by taking them all, then gives them
// back.
func free(l *netlimit.Limiter, host string) int {
	var rels []func()
	defer func() {
		for _, r := range rels {
			r()
		}
	}()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		r, err := l.Acquire(ctx, host)
		cancel()
		if err != nil {
			return len(rels)
		}
		rels = append(rels, r)
	}
}

// probeEngine records, while it runs, the job and the free slots of some
// hosts.
type probeEngine struct {
	l     *netlimit.Limiter
	hosts []string
	delay time.Duration

	mu    sync.Mutex
	jobs  []Job
	freeN map[string]int
}

func (e *probeEngine) Run(ctx context.Context, job Job) (Result, error) {
	e.mu.Lock()
	e.jobs = append(e.jobs, job)
	e.freeN = map[string]int{}
	for _, h := range e.hosts {
		e.freeN[h] = free(e.l, h)
	}
	e.mu.Unlock()
	select {
	case <-time.After(e.delay):
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	var res Result
	for _, t := range job.Targets {
		res.Events = append(res.Events, Event{Target: t.URL, Kind: KindProbe, TemplateID: "vouch-waf-probe", Matched: true, Matcher: "passed"})
	}
	return res, nil
}

// While the engine runs, its share of --per-host (half) is held for every
// address of its targets: IP literals as written, names as they resolve;
// the job carries the share; afterwards every slot is free again.
func TestEngineHoldsItsShare(t *testing.T) {
	l := netlimit.New(8)
	hosts := []string{"127.0.0.1", "::1", "192.0.2.1", "192.0.2.2", "2001:db8::1", "198.51.100.7"}
	e := &probeEngine{l: l, hosts: hosts}
	res := fakeResolver{"shop.example": {"192.0.2.1", "192.0.2.2", "2001:db8::1"}}
	targets := []posture.Target{target("https://127.0.0.1:8443/"), target("https://[::1]/x"), target("https://shop.example/"), target("https://gone.example/")}
	s := New(Options{Engine: e, Targets: targets, Limiter: l, Resolver: res})
	for _, tg := range targets {
		snap := s.Scan(context.Background(), tg)
		if obs := snap.WAF[0]; obs.Missing != nil {
			t.Fatalf("%s: %+v", tg.Address, obs.Missing)
		}
	}
	if len(e.jobs) != 1 || e.jobs[0].PerHost != 4 {
		t.Fatalf("jobs %+v, want one with PerHost 4", e.jobs)
	}
	want := map[string]int{"127.0.0.1": 4, "::1": 4, "192.0.2.1": 4, "192.0.2.2": 4, "2001:db8::1": 4, "198.51.100.7": 8}
	for h, n := range want {
		if e.freeN[h] != n {
			t.Errorf("while the engine ran, %s had %d free slots, want %d", h, e.freeN[h], n)
		}
	}
	for _, h := range hosts {
		if n := free(l, h); n != 8 {
			t.Errorf("after the run, %s has %d free slots, want 8", h, n)
		}
	}
}

// With PerHost 1 the share is the whole budget: the engine waits for the
// other scanners' connections to close, and gives up with the scan's
// deadline, holding nothing.
func TestEngineWaitsForSlots(t *testing.T) {
	l := netlimit.New(1)
	e := &probeEngine{l: l}
	busy, err := l.Acquire(context.Background(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tg := target("https://127.0.0.1/")
	s := New(Options{Engine: e, Limiter: l})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	obs := s.Scan(ctx, tg).WAF[0]
	if obs.Missing == nil || !strings.Contains(obs.Missing.Detail, "--per-host") {
		t.Errorf("observation %+v, want it missing for want of a slot", obs.Missing)
	}
	if len(e.jobs) != 0 {
		t.Errorf("the engine ran without its slots: %+v", e.jobs)
	}
	busy()
	if n := free(l, "127.0.0.1"); n != 1 {
		t.Errorf("%d free slots after the wait, want 1", n)
	}
	// Once the slot is free the engine runs, with PerHost 1.
	obs = s.Scan(context.Background(), tg).WAF[0]
	if obs.Missing != nil || len(e.jobs) != 1 || e.jobs[0].PerHost != 1 {
		t.Errorf("observation %+v, jobs %+v", obs.Missing, e.jobs)
	}
}

// Two engine runs that need the whole budget of the same two hosts, named
// in opposite orders, do not wait on each other for ever: one takes all
// its slots, then the other.
func TestEngineRunsDoNotDeadlock(t *testing.T) {
	l := netlimit.New(1)
	a, b := target("https://127.0.0.1/"), target("https://127.0.0.2/")
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan string, 20)
	for i := range 10 {
		targets := []posture.Target{a, b}
		if i%2 == 1 {
			targets = []posture.Target{b, a}
		}
		s := New(Options{Engine: &probeEngine{l: l, delay: 5 * time.Millisecond}, Targets: targets, Limiter: l})
		wg.Go(func() {
			for _, tg := range targets {
				if m := s.Scan(ctx, tg).WAF[0].Missing; m != nil {
					errs <- tg.Address + ": " + m.Detail
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
