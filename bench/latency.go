package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// A latency proxy puts a modelled network between a client and a server on
// loopback: a one-way delay d (RTT 2d), an optional bandwidth cap per
// direction shared by all of its connections, and counters (connections
// accepted, most open at once to the target).
//
// Model, for a connection accepted at t0 (a real client would send its SYN
// at t0):
//   - the target is dialled at t0+d (the SYN arrives);
//   - client→server bytes read at t are delivered at max(t, t0+2d)+d: the
//     client cannot send before its SYN-ACK came back;
//   - server→client bytes read at t are delivered at t+d;
//   - with a cap of r bytes/s, a chunk of n bytes leaves at
//     nextFree = max(nextFree, t)+n/r on its direction's link and is
//     delivered d after it left;
//   - each direction is FIFO (a chunk is never delivered before the one
//     before it), and an EOF travels like data, after the data before it,
//     as a half-close (CloseWrite).
//
// "Open at once to the target" is computed from the scheduled times, not
// from goroutine timing: a connection is the interval [t0+d, end), end
// being the first of the client's FIN delivered to the target and the
// target's own close read by the proxy; two intervals that only touch do
// not overlap.
type latencyProxy struct {
	ln      net.Listener
	backend string
	delay   time.Duration // one way
	rate    float64       // bytes/s per direction; 0: no cap
	up      link          // client→server
	down    link          // server→client

	n       atomic.Int64
	active  atomic.Int64
	mu      sync.Mutex
	spans   []span
	wg      sync.WaitGroup
	connsWG sync.WaitGroup
}

// span is one connection as the target saw it.
type span struct{ open, close time.Time }

// link serialises the bytes of one direction of the proxy's shared link.
type link struct {
	mu       sync.Mutex
	nextFree time.Time
}

// depart returns when n bytes ready at t have left the link.
func (l *link) depart(t time.Time, n int, rate float64) time.Time {
	if rate <= 0 || n == 0 {
		return t
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nextFree.Before(t) {
		l.nextFree = t
	}
	l.nextFree = l.nextFree.Add(time.Duration(float64(n) / rate * float64(time.Second)))
	return l.nextFree
}

// newLatencyProxy listens on 127.0.0.1 and forwards to backend with a
// one-way delay and a bandwidth cap (bytes/s per direction, 0 = none).
func newLatencyProxy(backend string, delay time.Duration, rate float64) (*latencyProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: proxy listen: %w", err)
	}
	p := &latencyProxy{ln: ln, backend: backend, delay: delay, rate: rate}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *latencyProxy) addr() string { return p.ln.Addr().String() }

func (p *latencyProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		t0 := time.Now()
		p.n.Add(1)
		p.active.Add(1)
		p.connsWG.Add(1)
		go func() {
			defer p.connsWG.Done()
			defer p.active.Add(-1)
			if p.delay == 0 && p.rate == 0 {
				p.pipeDirect(c, t0)
			} else {
				p.pipe(c, t0)
			}
		}()
	}
}

// close stops accepting and waits for open connections to end.
func (p *latencyProxy) close() {
	_ = p.ln.Close()
	p.wg.Wait()
	p.connsWG.Wait()
}

// record adds one connection's span.
func (p *latencyProxy) record(open, close time.Time) {
	if close.Before(open) {
		close = open
	}
	p.mu.Lock()
	p.spans = append(p.spans, span{open, close})
	p.mu.Unlock()
}

// waitIdle waits until no connection is open through the proxy (its
// delayed bytes and closes delivered), at most max.
func (p *latencyProxy) waitIdle(max time.Duration) {
	end := time.Now().Add(max)
	for p.active.Load() > 0 && time.Now().Before(end) {
		time.Sleep(5 * time.Millisecond)
	}
}

// reset forgets the counted connections and spans (between runs).
func (p *latencyProxy) reset() {
	p.mu.Lock()
	p.spans = nil
	p.mu.Unlock()
	p.n.Store(0)
}

// conns is how many connections were accepted since the last reset.
func (p *latencyProxy) conns() int64 { return p.n.Load() }

// peak is the most connections open at once to the target since the last
// reset, of those that have ended.
func (p *latencyProxy) peak() int {
	p.mu.Lock()
	spans := append([]span(nil), p.spans...)
	p.mu.Unlock()
	return peakOpen(spans, jitter(p.delay))
}

// jitter is how far apart two events the proxy observes in different
// goroutines may be read out of order (a client's close and its next
// connect): a close up to this much after an open does not overlap it.
// Every modelled connection lasts at least 2d, so this cannot hide a real
// overlap. With d = 0 the times are real and no slack is taken.
func jitter(d time.Duration) time.Duration {
	j := d / 10
	if j > 2*time.Millisecond {
		j = 2 * time.Millisecond
	}
	return j
}

// peakOpen is the largest overlap of half-open intervals [open, close),
// each close moved slack earlier.
func peakOpen(spans []span, slack time.Duration) int {
	type ev struct {
		t time.Time
		d int
	}
	evs := make([]ev, 0, 2*len(spans))
	for _, s := range spans {
		end := s.close.Add(-slack)
		if !end.After(s.open) {
			continue // never open
		}
		evs = append(evs, ev{s.open, +1}, ev{end, -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if !evs[i].t.Equal(evs[j].t) {
			return evs[i].t.Before(evs[j].t)
		}
		return evs[i].d < evs[j].d // a close at T before an open at T
	})
	cur, best := 0, 0
	for _, e := range evs {
		cur += e.d
		if cur > best {
			best = cur
		}
	}
	return best
}

const connDeadline = 3 * time.Minute

// pipeDirect is the d = 0, no-cap path: plain copies, as the counting
// proxy always did, with the span taken from the real times.
func (p *latencyProxy) pipeDirect(c net.Conn, t0 time.Time) {
	defer c.Close()
	b, err := net.DialTimeout("tcp", p.backend, 5*time.Second)
	if err != nil {
		return
	}
	defer b.Close()
	deadline := time.Now().Add(connDeadline)
	_ = c.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	var once sync.Once
	var end time.Time
	ended := func() { once.Do(func() { end = time.Now() }) }
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); ended(); _ = b.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); ended(); _ = c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
	p.record(t0, end)
}

// chunk is bytes (or, with eof, the end of a direction) due at a time.
type chunk struct {
	due  time.Time
	data []byte
	eof  bool
}

func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

// pipe is the modelled path.
func (p *latencyProxy) pipe(c net.Conn, t0 time.Time) {
	defer c.Close()
	d := p.delay
	open := t0.Add(d)
	canSend := t0.Add(2 * d) // the client has its SYN-ACK
	deadline := time.Now().Add(connDeadline)
	_ = c.SetDeadline(deadline)

	up := make(chan chunk, 4096)
	// Read the client from the start: its bytes are scheduled from when
	// they were read, whatever the dial is doing.
	var finUp atomic.Int64 // UnixNano the client's FIN reaches the target; 0 none yet
	go func() {
		defer close(up)
		var last time.Time
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			t := time.Now()
			if t.Before(canSend) {
				t = canSend
			}
			if n > 0 {
				due := p.up.depart(t, n, p.rate).Add(d)
				if due.Before(last) {
					due = last
				}
				last = due
				up <- chunk{due: due, data: append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				due := t.Add(d)
				if due.Before(last) {
					due = last
				}
				finUp.Store(due.UnixNano())
				up <- chunk{due: due, eof: true}
				return
			}
		}
	}()

	sleepUntil(open)
	b, err := net.DialTimeout("tcp", p.backend, 5*time.Second)
	if err != nil {
		_ = c.Close()
		for range up {
		}
		return
	}
	defer b.Close()
	_ = b.SetDeadline(deadline)

	var serverClose time.Time
	done := make(chan struct{}, 2)
	go func() { // client→server writer
		defer func() { done <- struct{}{} }()
		for ch := range up {
			sleepUntil(ch.due)
			if ch.eof {
				_ = b.(*net.TCPConn).CloseWrite()
				continue
			}
			if _, err := b.Write(ch.data); err != nil {
				for range up {
				}
				return
			}
		}
	}()
	go func() { // server→client
		defer func() { done <- struct{}{} }()
		down := make(chan chunk, 4096)
		wdone := make(chan struct{})
		go func() {
			defer close(wdone)
			for ch := range down {
				sleepUntil(ch.due)
				if ch.eof {
					_ = c.(*net.TCPConn).CloseWrite()
					continue
				}
				if _, err := c.Write(ch.data); err != nil {
					for range down {
					}
					return
				}
			}
		}()
		var last time.Time
		buf := make([]byte, 32<<10)
		for {
			n, err := b.Read(buf)
			t := time.Now()
			if n > 0 {
				due := p.down.depart(t, n, p.rate).Add(d)
				if due.Before(last) {
					due = last
				}
				last = due
				down <- chunk{due: due, data: append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					serverClose = t
				}
				due := t.Add(d)
				if due.Before(last) {
					due = last
				}
				down <- chunk{due: due, eof: true}
				close(down)
				<-wdone
				return
			}
		}
	}()
	<-done
	<-done
	end := serverClose
	if fin := finUp.Load(); fin != 0 {
		if f := time.Unix(0, fin); end.IsZero() || f.Before(end) {
			end = f
		}
	}
	if end.IsZero() {
		end = time.Now()
	}
	p.record(open, end)
}
