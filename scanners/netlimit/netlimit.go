// Package netlimit keeps vouch polite: at most N connections open to one
// host at once, whichever scanner opens them.
//
// One *Limiter is made per scan and handed to every scanner; each wraps
// its own dial function with Dial. A connection holds its host's slot
// from the moment it is dialled until it is closed, so "open at once" is
// what the target sees, not what vouch intends. The host is the host part
// of the dialled address: scanners dial IP addresses, so two names of one
// server share its budget.
package netlimit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DefaultPerHost is the per-host limit when none is given (--per-host).
const DefaultPerHost = 8

// DialFunc opens a connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DefaultGlobal is the limit of connections in flight over all hosts
// together when none is given (--max-inflight): a fleet scan keeps
// this many handshakes going while each host sees at most its per-host
// limit.
const DefaultGlobal = 256

// DefaultBudget is how many connections one host is sent in one scan at
// most when none is given (--host-budget): several times what every
// scanner needs of the largest server (a TLS scan of a server offering
// every suite at every version is a few hundred handshakes), so that
// only a scan gone wrong meets it.
const DefaultBudget = 2000

// ErrBudget is the error of an Acquire for a host whose budget of
// connections for the scan is spent.
var ErrBudget = errors.New("the scan's budget of connections to this host is spent")

// Options are a Limiter's limits; a zero field takes its default.
type Options struct {
	// PerHost is how many connections may be open to one host at once.
	PerHost int
	// Global is how many may be open at once over all hosts; <0: no limit.
	Global int
	// Budget is how many one host (or one budget key, WithBudgetKey:
	// one target) may be sent in all, over the scan; <0: no limit.
	Budget int
	// Hosts sets the per-host limit of named hosts (keys as HostOf
	// gives them, or ResolverKey), in place of PerHost. A named host is
	// the scan's own infrastructure, not a target: Budget does not
	// apply to it.
	Hosts map[string]int
}

// Limiter hands out per-host connection slots.
type Limiter struct {
	perHost int
	budget  int
	limits  map[string]int
	global  chan struct{} // nil: no global limit

	mu    sync.Mutex
	hosts map[string]*host
	spent map[string]int // connections sent per budget key (WithBudgetKey, else the host)
}

type budgetKey struct{}

// WithBudgetKey returns ctx whose connections count against the budget
// (Options.Budget) of key rather than of the host they go to: the scan
// runner gives each target its own, so that targets behind one address
// (a CDN's, a hosting provider's) do not spend each other's.
func WithBudgetKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, budgetKey{}, key)
}

// host is one host's slots: how many are held, and who waits for one;
// limit is its per-host limit.
type host struct {
	open    int
	limit   int
	waiting []*waiter
}

// waiter is one Acquire waiting for a slot; ready is closed when it has
// been given one.
type waiter struct {
	priority int
	ready    chan struct{}
}

// New returns a Limiter allowing perHost connections open to one host at
// once; perHost <= 0 means DefaultPerHost.
func New(perHost int) *Limiter {
	return NewWith(Options{PerHost: perHost, Global: -1, Budget: -1})
}

// NewWith returns a Limiter with the limits of o.
func NewWith(o Options) *Limiter {
	if o.PerHost <= 0 {
		o.PerHost = DefaultPerHost
	}
	if o.Global == 0 {
		o.Global = DefaultGlobal
	}
	if o.Budget == 0 {
		o.Budget = DefaultBudget
	}
	l := &Limiter{perHost: o.PerHost, budget: o.Budget, limits: map[string]int{}, hosts: map[string]*host{}, spent: map[string]int{}}
	for h, n := range o.Hosts {
		if n > 0 {
			l.limits[h] = n
		}
	}
	if o.Global > 0 {
		l.global = make(chan struct{}, o.Global)
	}
	return l
}

// Budget returns how many connections one host may be sent in all (<0:
// no limit).
func (l *Limiter) Budget() int { return l.budget }

// PerHost returns the limit.
func (l *Limiter) PerHost() int { return l.perHost }

// PriorityShort is the priority of a scanner's short chains of
// connections (an HTTP fetch and its redirects, a policy fetch): as high
// as the TLS scanner's longest chains, so that they are not kept waiting
// behind every probe of theirs.
const PriorityShort = 2

type priorityKey struct{}

// WithPriority returns ctx with a priority for the slots acquired under
// it: when a host's slots are all held, the next one freed goes to the
// waiter of highest priority, the earliest among equals (0 is the
// default). A scanner gives its longest chains of dependent connections
// the highest, so that the scan ends when its longest chain does.
func WithPriority(ctx context.Context, p int) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

type onSlotKey struct{}

// WithOnSlot returns ctx with f, which Acquire (and so Dial) calls each
// time it has got a slot under that context, before it returns, also
// when there is no Limiter. A caller whose own timeout must not run
// while its connection waits for the budget starts it there.
func WithOnSlot(ctx context.Context, f func()) context.Context {
	return context.WithValue(ctx, onSlotKey{}, f)
}

// Acquire waits for a slot of host (or for ctx to end) and returns the
// function that gives it back; call it exactly once. It serves work that
// is not one net.Conn (a UDP exchange, a batch run by another process).
func (l *Limiter) Acquire(ctx context.Context, hostname string) (release func(), err error) {
	release, err = l.acquire(ctx, hostname)
	if err == nil {
		if f, ok := ctx.Value(onSlotKey{}).(func()); ok && f != nil {
			f()
		}
	}
	return release, err
}

// AcquireHost is Acquire without a slot of the global limit: for a
// caller that holds a host's slots for a long batch run by another
// process (the WAF engine), whose many hosts' slots would otherwise take
// the whole global limit from every other scanner while it waits.
func (l *Limiter) AcquireHost(ctx context.Context, hostname string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	release, _, err = l.acquireHost(ctx, hostname)
	return release, err
}

func (l *Limiter) acquire(ctx context.Context, hostname string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	hostRelease, unspend, err := l.acquireHost(ctx, hostname)
	if err != nil || l.global == nil {
		return hostRelease, err
	}
	// The global slot is taken second, while the host's is held: the
	// host's order (its priorities) decides who goes next to that host,
	// the global limit only how many go anywhere at once.
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		hostRelease()
		unspend() // never connected
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.global
			hostRelease()
		})
	}, nil
}

// acquireHost waits for a slot of hostname alone; unspend gives back
// the budget it spent, for a caller that then does not connect.
func (l *Limiter) acquireHost(ctx context.Context, hostname string) (release, unspend func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	l.mu.Lock()
	h, ok := l.hosts[hostname]
	if !ok {
		h = &host{limit: l.perHost}
		if n, ok := l.limits[hostname]; ok {
			h.limit = n
		}
		l.hosts[hostname] = h
	}
	_, named := l.limits[hostname]
	key := hostname
	if k, ok := ctx.Value(budgetKey{}).(string); ok && k != "" {
		key = k
	}
	counted := !named && l.budget >= 0
	if counted && l.spent[key] >= l.budget {
		l.mu.Unlock()
		return nil, nil, fmt.Errorf("netlimit: %s: %w (%d connections for %s; --host-budget)", hostname, ErrBudget, l.budget, key)
	}
	unspend = func() {}
	if counted {
		l.spent[key]++
		var o sync.Once
		unspend = func() {
			o.Do(func() {
				l.mu.Lock()
				l.spent[key]--
				l.mu.Unlock()
			})
		}
	}
	var once sync.Once
	release = func() { once.Do(func() { l.release(h) }) }
	if h.open < h.limit && len(h.waiting) == 0 {
		h.open++
		l.mu.Unlock()
		return release, unspend, nil
	}
	p, _ := ctx.Value(priorityKey{}).(int)
	w := &waiter{priority: p, ready: make(chan struct{})}
	// Highest priority first, first come first among equals.
	i := len(h.waiting)
	for i > 0 && h.waiting[i-1].priority < p {
		i--
	}
	h.waiting = append(h.waiting, nil)
	copy(h.waiting[i+1:], h.waiting[i:])
	h.waiting[i] = w
	l.mu.Unlock()
	select {
	case <-w.ready:
		return release, unspend, nil
	case <-ctx.Done():
		l.mu.Lock()
		select {
		case <-w.ready:
			// Given a slot as ctx ended: give it on.
			l.mu.Unlock()
			release()
		default:
			for j, o := range h.waiting {
				if o == w {
					h.waiting = append(h.waiting[:j], h.waiting[j+1:]...)
					break
				}
			}
			l.mu.Unlock()
		}
		unspend() // never connected: not spent
		return nil, nil, ctx.Err()
	}
}

// release gives a slot of h back: to the first waiter, or to the pool.
func (l *Limiter) release(h *host) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(h.waiting) > 0 {
		w := h.waiting[0]
		h.waiting = h.waiting[1:]
		close(w.ready) // the slot passes on: open stays the same
		return
	}
	h.open--
}

// Dial wraps d: each connection waits for a slot of its host and gives it
// back when closed (or when the dial fails). A nil Limiter only calls the
// context's WithOnSlot function before each dial.
func (l *Limiter) Dial(d DialFunc) DialFunc {
	if l == nil {
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			if f, ok := ctx.Value(onSlotKey{}).(func()); ok && f != nil {
				f()
			}
			return d(ctx, network, addr)
		}
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		release, err := l.Acquire(ctx, HostOf(addr))
		if err != nil {
			return nil, err
		}
		c, err := d(ctx, network, addr)
		if err != nil {
			release()
			return nil, err
		}
		return &conn{Conn: c, release: release}, nil
	}
}

// Hold returns c holding a slot: Close gives it back with release. It
// serves callers that Acquire a slot themselves, before they dial, so
// that a timeout starts when the slot is held, not while it is awaited.
func Hold(c net.Conn, release func()) net.Conn { return &conn{Conn: c, release: release} }

// HostOf returns the host part of addr, or addr when it has no port: the
// key of a host's budget.
func HostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// ResolverKey is the key of the slots of the resolver at addr: the DNS
// questions of every mail domain go to it, so it has a limit of its own
// (Options.Hosts), apart from the per-host limit of the targets. A
// resolver that is also a target's host is two budgets: its port 53 and
// the target's services.
func ResolverKey(addr string) string { return "resolver " + HostOf(addr) }

type conn struct {
	net.Conn
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// Parallel runs tasks with at most n at once (n <= 0: all at once) and
// waits for all of them. A panic in a task is raised again in the
// caller's goroutine, where the scan runner recovers it as it recovers a
// scanner's own: a panic in a goroutine of its own would end the process.
func Parallel(n int, tasks ...func()) {
	if n <= 0 || n > len(tasks) {
		n = len(tasks)
	}
	sem := make(chan struct{}, max(n, 1))
	var (
		wg       sync.WaitGroup
		once     sync.Once
		panicked any
	)
	for _, task := range tasks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			defer func() {
				if p := recover(); p != nil {
					once.Do(func() { panicked = p })
				}
			}()
			task()
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// SlotTimeout returns ctx with a timeout of d that starts when a slot is
// held under it (WithOnSlot, so when its connection may start) or when
// start is called, whichever comes first: waiting for the per-host
// budget never eats into d. expired reports whether the timeout ended
// the context (its error is then context.Canceled: read expired, not
// ctx.Err()); stop ends it and its timer, and must be called.
func SlotTimeout(ctx context.Context, d time.Duration) (c context.Context, start func(), expired func() bool, stop func()) {
	c, cancel := context.WithCancel(ctx)
	var (
		mu    sync.Mutex
		timer *time.Timer
		done  bool
		fired bool
	)
	start = func() {
		mu.Lock()
		defer mu.Unlock()
		if timer == nil && !done {
			timer = time.AfterFunc(d, func() {
				mu.Lock()
				fired = true
				mu.Unlock()
				cancel()
			})
		}
	}
	expired = func() bool {
		mu.Lock()
		defer mu.Unlock()
		return fired
	}
	stop = func() {
		mu.Lock()
		done = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
	return WithOnSlot(c, start), start, expired, stop
}
