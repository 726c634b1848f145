package tlsscan

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// latencyDialer dials as if the server were a round trip away: the
// connect waits one round trip, and the first read after a write waits
// until a round trip after that write (the request's way there and the
// answer's way back). It counts the connections and the most open at once
// (from the dial to Close), as the target would see them.
type latencyDialer struct {
	rtt time.Duration

	mu                sync.Mutex
	open, peak, total int
	d                 net.Dialer
}

func (l *latencyDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	select {
	case <-time.After(l.rtt):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c, err := l.d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.total++
	l.peak = max(l.peak, l.open)
	l.mu.Unlock()
	return &latencyConn{Conn: c, l: l}, nil
}

func (l *latencyDialer) counts() (total, peak int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.peak
}

type latencyConn struct {
	net.Conn
	l *latencyDialer

	mu      sync.Mutex
	written time.Time // the last write not yet answered
	closed  bool
}

func (c *latencyConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	if c.written.IsZero() {
		c.written = time.Now()
	}
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *latencyConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	w := c.written
	c.written = time.Time{}
	c.mu.Unlock()
	if !w.IsZero() {
		time.Sleep(time.Until(w.Add(c.l.rtt)))
	}
	return c.Conn.Read(b)
}

func (c *latencyConn) Close() error {
	c.mu.Lock()
	first := !c.closed
	c.closed = true
	c.mu.Unlock()
	if first {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	}
	return c.Conn.Close()
}

// latencyScanner returns a Scanner whose connections go through d and a
// per-host budget of perHost.
func latencyScanner(ca *pki.CA, d *latencyDialer, perHost int) *Scanner {
	lim := netlimit.New(perHost)
	s := New(Options{RootCAs: ca.Pool(), Timeout: 5 * time.Second, Limiter: lim})
	s.dialTCP = d.dial
	return s
}

// The per-host budget holds for a whole scan, every kind of hello and the
// full handshake included, and it is what limits the scan: with a budget
// of 3 the server never sees more than 3 connections at once, with 16 it
// sees more; and both scans find the same.
func TestPerHostBudgetHoldsForWholeScan(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	addr := startOpenSSL(t, leaf, "-cipher", "DEFAULT:@SECLEVEL=0")
	scan := func(perHost int) (posture.TLSObservation, int, int) {
		d := &latencyDialer{rtt: 2 * time.Millisecond}
		o := scanOne(t, latencyScanner(ca, d, perHost), addr)
		total, peak := d.counts()
		return o, total, peak
	}
	small, total, peak := scan(3)
	if peak > 3 {
		t.Errorf("--per-host 3: %d connections open at once", peak)
	}
	if total != small.Probes {
		t.Errorf("--per-host 3: dialled %d connections, Probes says %d", total, small.Probes)
	}
	large, _, peak16 := scan(16)
	if peak16 <= 3 {
		t.Errorf("--per-host 16: at most %d open at once: the budget of 3 is not what limited the first scan", peak16)
	}
	if a, b := suitesOf(small), suitesOf(large); !slices.Equal(a, b) {
		t.Errorf("suites differ with the budget:\n3:  %v\n16: %v", a, b)
	}
	t.Logf("per-host 3: %d connections, peak %d; per-host 16: peak %d", total, peak, peak16)
}

func suitesOf(o posture.TLSObservation) []string {
	var out []string
	for _, p := range o.Suites {
		for _, s := range p.Accepted {
			out = append(out, p.Protocol+" "+s)
		}
	}
	for _, g := range o.Groups {
		for _, s := range g.Accepted {
			out = append(out, g.Protocol+" group "+s)
		}
	}
	return out
}

// BenchmarkScanLatency scans the TLS 1.0-1.3 server of bench/main.go as if
// it were 50 ms away (go test -bench ScanLatency -run '^$'
// ./scanners/tlsscan/): it reports the scan's length in round trips, its
// connections, the most open at once, and the floor ceil(C/P)×2 in round
// trips for P = the per-host budget.
func BenchmarkScanLatency(b *testing.B) {
	ca := newCA(b)
	leaf := issue(b, ca, pki.LeafOptions{RSABits: 2048})
	addr := startOpenSSL(b, leaf, "-cipher", "DEFAULT:@SECLEVEL=0")
	const rtt = 50 * time.Millisecond
	for _, perHost := range []int{8, 16} {
		b.Run(map[int]string{8: "per-host-8", 16: "per-host-16"}[perHost], func(b *testing.B) {
			var rounds, conns, peak, floor float64
			for b.Loop() {
				d := &latencyDialer{rtt: rtt}
				start := time.Now()
				scanOne(b, latencyScanner(ca, d, perHost), addr)
				rounds += float64(time.Since(start)) / float64(rtt)
				c, p := d.counts()
				conns += float64(c)
				peak = max(peak, float64(p))
				floor += float64(2 * ((c + perHost - 1) / perHost))
			}
			n := float64(b.N)
			b.ReportMetric(rounds/n, "RTTs/op")
			b.ReportMetric(floor/n, "floor-RTTs/op")
			b.ReportMetric(conns/n, "conns/op")
			b.ReportMetric(peak, "peak-open")
		})
	}
}
