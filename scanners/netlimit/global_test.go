package netlimit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// holdAll acquires n slots of each host at once from its own goroutine,
// holds each for d, and returns the peak number held over all hosts and
// per host.
func holdAll(t *testing.T, l *Limiter, hosts []string, n int, d time.Duration) (peakAll int64, peakHost map[string]int64) {
	t.Helper()
	var (
		all  atomic.Int64
		mu   sync.Mutex
		cur  = map[string]int64{}
		peak = map[string]int64{}
		wg   sync.WaitGroup
	)
	for _, h := range hosts {
		for range n {
			wg.Go(func() {
				rel, err := l.Acquire(context.Background(), h)
				if err != nil {
					t.Error(err)
					return
				}
				if v := all.Add(1); v > peakAll {
					mu.Lock()
					peakAll = max(peakAll, v)
					mu.Unlock()
				}
				mu.Lock()
				cur[h]++
				peak[h] = max(peak[h], cur[h])
				mu.Unlock()
				time.Sleep(d)
				mu.Lock()
				cur[h]--
				mu.Unlock()
				all.Add(-1)
				rel()
			})
		}
	}
	wg.Wait()
	return peakAll, peak
}

// The global limit bounds what is open over all hosts together; each
// host keeps its own limit inside it; a named host has its own.
func TestGlobalAndNamedLimits(t *testing.T) {
	hosts := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", ResolverKey("10.0.0.53:53")}
	l := NewWith(Options{PerHost: 3, Global: 7, Hosts: map[string]int{ResolverKey("10.0.0.53:53"): 5}})
	all, per := holdAll(t, l, hosts, 6, 15*time.Millisecond)
	if all != 7 {
		t.Errorf("peak over all hosts %d, want the global limit 7", all)
	}
	for _, h := range hosts[:4] {
		if per[h] > 3 {
			t.Errorf("%s: %d at once, want at most 3", h, per[h])
		}
	}
	if r := per[hosts[4]]; r > 5 {
		t.Errorf("resolver: %d at once, want at most its own limit 5", r)
	}
	// The named host's own limit, alone: it reaches 5, past PerHost.
	_, per = holdAll(t, NewWith(Options{PerHost: 3, Global: -1, Hosts: map[string]int{hosts[4]: 5}}), hosts[4:], 8, 50*time.Millisecond)
	if r := per[hosts[4]]; r != 5 {
		t.Errorf("resolver alone: %d at once, want its own limit 5", r)
	}
	// No global limit: every host reaches its own.
	all, _ = holdAll(t, New(3), hosts[:4], 6, 15*time.Millisecond)
	if all != 12 {
		t.Errorf("without a global limit, peak %d, want 4×3", all)
	}
}

// A host's budget for the scan: once spent, Acquire fails at once with
// ErrBudget (a wait called off by its context does not spend it); a
// named host (the resolver) has none.
func TestBudget(t *testing.T) {
	l := NewWith(Options{PerHost: 1, Global: -1, Budget: 3, Hosts: map[string]int{"resolver 1.1.1.1": 1}})
	rel, err := l.Acquire(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if _, err := l.Acquire(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting acquire: %v", err)
	}
	cancel()
	rel()
	for i := range 2 {
		r, err := l.Acquire(context.Background(), "a")
		if err != nil {
			t.Fatalf("acquire %d within the budget: %v", i+2, err)
		}
		r()
	}
	if _, err := l.Acquire(context.Background(), "a"); !errors.Is(err, ErrBudget) {
		t.Errorf("fourth acquire: %v, want ErrBudget", err)
	}
	if r, err := l.Acquire(context.Background(), "b"); err != nil {
		t.Errorf("another host: %v", err)
	} else {
		r()
	}
	// Targets behind one address each have their own budget.
	cdn := NewWith(Options{PerHost: 8, Global: 2, Budget: 2})
	for _, tg := range []string{"https://a.example", "https://b.example"} {
		ctx := WithBudgetKey(context.Background(), tg)
		for i := range 2 {
			r, err := cdn.Acquire(ctx, "203.0.113.1")
			if err != nil {
				t.Fatalf("%s, connection %d: %v", tg, i+1, err)
			}
			r()
		}
		if _, err := cdn.Acquire(ctx, "203.0.113.1"); !errors.Is(err, ErrBudget) {
			t.Errorf("%s, third connection: %v, want ErrBudget", tg, err)
		}
	}
	// A wait for the global limit called off spends nothing.
	g := NewWith(Options{PerHost: 8, Global: 1, Budget: 1})
	hold, err := g.Acquire(context.Background(), "x")
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if _, err := g.Acquire(ctx2, "y"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("global wait: %v", err)
	}
	cancel2()
	hold()
	if r, err := g.Acquire(context.Background(), "y"); err != nil {
		t.Errorf("y after a called-off wait: %v, want its budget unspent", err)
	} else {
		r()
	}

	for i := range 10 {
		r, err := l.Acquire(context.Background(), "resolver 1.1.1.1")
		if err != nil {
			t.Fatalf("resolver question %d: %v", i, err)
		}
		r()
	}
}
