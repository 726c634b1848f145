package netlimit

import (
	"context"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 40 dials to a real listener race for a limit of 3: the connections open
// at once (counted from the underlying dial to the underlying Close, the
// server only sees a close later) never exceed 3, and every dial gets
// through.
func TestDialKeepsPerHostLimit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var open, peak atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 1)
				c.Read(buf) // until the client closes
				c.Close()
			}()
		}
	}()
	l := New(3)
	var d net.Dialer
	counted := func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		n := open.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		return &countedConn{Conn: c, open: &open}, nil
	}
	dial := l.Dial(counted)
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				t.Error(err)
				return
			}
			time.Sleep(5 * time.Millisecond)
			c.Close()
			c.Close() // a second Close gives back nothing more
			ok.Add(1)
		}()
	}
	wg.Wait()
	if ok.Load() != 40 {
		t.Fatalf("%d of 40 dials succeeded", ok.Load())
	}
	if p := peak.Load(); p > 3 || p < 1 {
		t.Fatalf("peak open connections = %d, want 1..3", p)
	}
}

// A dial waiting for a slot ends with the context, and a failed dial gives
// its slot back.
func TestDialWaitEndsWithContext(t *testing.T) {
	l := New(1)
	release, err := l.Acquire(context.Background(), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	fail := func(context.Context, string, string) (net.Conn, error) { return nil, &net.OpError{Op: "dial"} }
	if _, err := l.Dial(fail)(ctx, "tcp", "127.0.0.1:1"); err != context.DeadlineExceeded {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	release()
	if _, err := l.Dial(fail)(context.Background(), "tcp", "127.0.0.1:1"); err == nil {
		t.Fatal("want the dial's own error")
	}
	// The failed dial gave its slot back: one more can be taken at once.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	r, err := l.Acquire(ctx2, "127.0.0.1")
	if err != nil {
		t.Fatalf("slot not given back: %v", err)
	}
	r()
}

type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// Parallel keeps to n at once, runs every task, and hands a task's panic
// to the caller.
func TestParallel(t *testing.T) {
	var running, peak, done atomic.Int64
	tasks := make([]func(), 20)
	for i := range tasks {
		tasks[i] = func() {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(2 * time.Millisecond)
			running.Add(-1)
			done.Add(1)
		}
	}
	Parallel(3, tasks...)
	if done.Load() != 20 || peak.Load() > 3 {
		t.Fatalf("done %d, peak %d; want 20 and at most 3", done.Load(), peak.Load())
	}
	defer func() {
		if p := recover(); p != "boom" {
			t.Fatalf("recovered %v, want the task's panic", p)
		}
	}()
	Parallel(0, func() {}, func() { panic("boom") })
	t.Fatal("Parallel returned after a task panicked")
}

// A freed slot goes to the waiter of highest priority, the earliest among
// equals; a waiter whose context ends leaves the queue without a slot.
func TestPriority(t *testing.T) {
	l := New(1)
	bg := context.Background()
	hold, err := l.Acquire(bg, "h")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	gone, cancel := context.WithCancel(bg)
	queued := 0
	start := func(name string, ctx context.Context) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			release, err := l.Acquire(ctx, "h")
			if err != nil {
				mu.Lock()
				order = append(order, name+" gave up")
				mu.Unlock()
				return
			}
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			release()
		}()
		// Let it queue before the next one.
		for {
			l.mu.Lock()
			n := len(l.hosts["h"].waiting)
			l.mu.Unlock()
			if n > 0 && n == queued+1 {
				queued++
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	start("low1", bg)
	start("cancelled", WithPriority(gone, 5))
	start("high", WithPriority(bg, 2))
	start("low2", bg)
	start("high2", WithPriority(bg, 2))
	cancel()
	for {
		l.mu.Lock()
		n := len(l.hosts["h"].waiting)
		l.mu.Unlock()
		if n == 4 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	hold()
	wg.Wait()
	want := []string{"cancelled gave up", "high", "high2", "low1", "low2"}
	if !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if h := l.hosts["h"]; h.open != 0 || len(h.waiting) != 0 {
		t.Errorf("after all: %d open, %d waiting", h.open, len(h.waiting))
	}
}

// SlotTimeout's clock starts when the slot is held, not while it is
// awaited, and expired says the timeout (not the caller) ended it.
func TestSlotTimeout(t *testing.T) {
	l := New(1)
	hold, _ := l.Acquire(context.Background(), "h")
	const d = 50 * time.Millisecond
	ctx, _, expired, stop := SlotTimeout(context.Background(), d)
	defer stop()
	time.AfterFunc(3*d, hold)
	start := time.Now()
	release, err := l.Acquire(ctx, "h")
	if err != nil {
		t.Fatalf("the wait for the slot was timed out: %v after %s", err, time.Since(start))
	}
	defer release()
	if expired() || ctx.Err() != nil {
		t.Fatal("expired at the moment the slot was given")
	}
	<-ctx.Done()
	if took := time.Since(start); took < 4*d || !expired() {
		t.Errorf("ended after %s (expired %v), want about %s after the start of the wait", took, expired(), 4*d)
	}

	// stop ends it without expiring; a late start does nothing.
	ctx2, start2, expired2, stop2 := SlotTimeout(context.Background(), d)
	stop2()
	start2()
	time.Sleep(2 * d)
	if ctx2.Err() == nil || expired2() {
		t.Errorf("after stop: err %v expired %v", ctx2.Err(), expired2())
	}
}
