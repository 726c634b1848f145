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
	"net"
	"sync"
)

// DefaultPerHost is the per-host limit when none is given (--per-host).
const DefaultPerHost = 8

// DialFunc opens a connection, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// Limiter hands out per-host connection slots.
type Limiter struct {
	perHost int

	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// New returns a Limiter allowing perHost connections open to one host at
// once; perHost <= 0 means DefaultPerHost.
func New(perHost int) *Limiter {
	if perHost <= 0 {
		perHost = DefaultPerHost
	}
	return &Limiter{perHost: perHost, hosts: map[string]chan struct{}{}}
}

// PerHost returns the limit.
func (l *Limiter) PerHost() int { return l.perHost }

func (l *Limiter) slots(host string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.hosts[host]
	if !ok {
		c = make(chan struct{}, l.perHost)
		l.hosts[host] = c
	}
	return c
}

// Acquire waits for a slot of host (or for ctx to end) and returns the
// function that gives it back; call it exactly once. It serves work that
// is not one net.Conn (a UDP exchange, a batch run by another process).
func (l *Limiter) Acquire(ctx context.Context, host string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	c := l.slots(host)
	select {
	case c <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-c }) }, nil
}

// Dial wraps d: each connection waits for a slot of its host and gives it
// back when closed (or when the dial fails). A nil Limiter returns d.
func (l *Limiter) Dial(d DialFunc) DialFunc {
	if l == nil {
		return d
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		release, err := l.Acquire(ctx, host)
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
