package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/vouchdev/vouch/internal/dnstest"
)

// echoServer echoes every connection until EOF, then closes it.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func startProxy(t *testing.T, backend string, d time.Duration, rate float64) *latencyProxy {
	t.Helper()
	p, err := newLatencyProxy(backend, d, rate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	return p
}

// roundTrip connects, writes msg, reads the same number of bytes back.
func roundTrip(t *testing.T, addr string, msg []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo: got %q, want %q", got, msg)
	}
	return c
}

// closeAndWait half-closes c and waits for the server's EOF.
func closeAndWait(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.(*net.TCPConn).CloseWrite()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.Copy(io.Discard, c); err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestLatencyConnectWriteRead(t *testing.T) {
	const d = 25 * time.Millisecond
	p := startProxy(t, echoServer(t), d, 0)
	start := time.Now()
	c := roundTrip(t, p.addr(), []byte("hello"))
	took := time.Since(start)
	c.Close()
	// connect (one RTT) + request/reply (one RTT) = 4 one-way delays.
	if took < 4*d || took > 4*d+30*time.Millisecond {
		t.Errorf("connect+write+read took %v, want 4d = %v (+ < 30ms)", took, 4*d)
	}
	if p.conns() != 1 {
		t.Errorf("conns = %d, want 1", p.conns())
	}
}

func TestLatencyZeroDelayIsDirect(t *testing.T) {
	p := startProxy(t, echoServer(t), 0, 0)
	start := time.Now()
	for i := 0; i < 5; i++ {
		closeAndWait(t, roundTrip(t, p.addr(), []byte("x")))
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("5 round trips at d = 0 took %v", took)
	}
	p.waitIdle(time.Second)
	if p.conns() != 5 || p.peak() != 1 {
		t.Errorf("conns = %d, peak = %d, want 5 and 1", p.conns(), p.peak())
	}
}

func TestLatencyFIFO(t *testing.T) {
	p := startProxy(t, echoServer(t), 5*time.Millisecond, 0)
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var want bytes.Buffer
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&want, "%d,", i)
	}
	go func() {
		// Many small writes, some of them before the modelled handshake
		// has completed, each of them its own chunk.
		for _, b := range want.Bytes() {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
		}
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("reordered or lost: got %d bytes, want %d", len(got), want.Len())
	}
}

func TestLatencyPeak(t *testing.T) {
	const d = 10 * time.Millisecond
	const k = 6
	p := startProxy(t, echoServer(t), d, 0)

	// K held open together.
	var cs []net.Conn
	for i := 0; i < k; i++ {
		cs = append(cs, roundTrip(t, p.addr(), []byte("a")))
	}
	for _, c := range cs {
		closeAndWait(t, c)
	}
	p.waitIdle(time.Second)
	if got := p.peak(); got != k {
		t.Errorf("peak with %d open together = %d, want %d", k, got, k)
	}
	if p.conns() != k {
		t.Errorf("conns = %d, want %d", p.conns(), k)
	}

	// K one after another: connect, exchange, close, connect again.
	p.reset()
	for i := 0; i < k; i++ {
		c := roundTrip(t, p.addr(), []byte("b"))
		c.Close()
	}
	p.waitIdle(time.Second)
	if got := p.peak(); got != 1 {
		t.Errorf("peak of %d sequential connections = %d, want 1", k, got)
	}
	if p.conns() != k {
		t.Errorf("conns after reset = %d, want %d", p.conns(), k)
	}
}

func TestPeakOpenHalfOpen(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	spans := []span{{at(0), at(10)}, {at(10), at(20)}, {at(5), at(15)}, {at(30), at(30)}}
	if got := peakOpen(spans, 0); got != 2 {
		t.Errorf("peak = %d, want 2 (a close at T comes before an open at T)", got)
	}
	if got := peakOpen(append(spans, span{at(9), at(11)}), 0); got != 3 {
		t.Errorf("peak = %d, want 3", got)
	}
	// A close read 1 ms after the next open, within the slack.
	if got := peakOpen([]span{{at(0), at(11)}, {at(10), at(20)}}, 2*time.Millisecond); got != 1 {
		t.Errorf("peak with slack = %d, want 1", got)
	}
}

func TestLatencyBandwidth(t *testing.T) {
	const rate = 1 << 20 // 1 MB/s
	p := startProxy(t, echoServer(t), 0, rate)
	c, err := net.Dial("tcp", p.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := bytes.Repeat([]byte("z"), 100<<10)
	start := time.Now()
	go func() { _, _ = c.Write(msg); _ = c.(*net.TCPConn).CloseWrite() }()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if len(got) != len(msg) {
		t.Fatalf("got %d bytes, want %d", len(got), len(msg))
	}
	// 100 KiB each way at 1 MiB/s: ~98 ms up; the echo pipelines down
	// behind it on its own link, so the whole is ~100 ms, not less.
	if want := time.Duration(float64(len(msg)) / rate * float64(time.Second)); took < want {
		t.Errorf("100 KiB at 1 MiB/s took %v, want ≥ %v", took, want)
	}
	if took > time.Second {
		t.Errorf("100 KiB at 1 MiB/s took %v", took)
	}
}

func TestParseFlags(t *testing.T) {
	rtts, err := parseRTTs("0, 20ms,50ms")
	if err != nil || len(rtts) != 3 || rtts[0] != 0 || rtts[1] != 20*time.Millisecond || rtts[2] != 50*time.Millisecond {
		t.Errorf("parseRTTs = %v, %v", rtts, err)
	}
	if _, err := parseRTTs("50"); err == nil {
		t.Error("parseRTTs(50) without a unit: no error")
	}
	for in, want := range map[string]float64{"": 0, "10MB": 10e6, "512KiB": 512 * 1024, "100000": 1e5, "1.5MB/s": 1.5e6} {
		if got, err := parseBandwidth(in); err != nil || got != want {
			t.Errorf("parseBandwidth(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseBandwidth("fast"); err == nil {
		t.Error("parseBandwidth(fast): no error")
	}
}

func TestFloor(t *testing.T) {
	// 68 connections, 8 at once: 9 rounds of 2 RTT.
	if got := floor(68, 8, 50*time.Millisecond); got != 900*time.Millisecond {
		t.Errorf("floor(68, 8, 50ms) = %v, want 900ms", got)
	}
	if got := floor(64, 8, 50*time.Millisecond); got != 800*time.Millisecond {
		t.Errorf("floor(64, 8, 50ms) = %v, want 800ms", got)
	}
}

func TestLongestChain(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	qs := []dnsQuery{
		{at(0), at(10)}, {at(0), at(10)}, // two at once
		{at(10), at(20)},      // after both
		{at(15), at(25)},      // before the third's answer
		{at(25), time.Time{}}, // after the fourth; never answered
	}
	if got := longestChain(qs); got != 3 {
		t.Errorf("longestChain = %d, want 3", got)
	}
}

func TestUDPDelay(t *testing.T) {
	srv, err := dnstest.Start("bench.test", "www IN A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const d = 20 * time.Millisecond
	u := newUDPDelay(pc, srv.Addr, d)
	defer u.close()
	c := new(dns.Client)
	for i := 0; i < 2; i++ {
		m := new(dns.Msg)
		m.SetQuestion("www.bench.test.", dns.TypeA)
		start := time.Now()
		r, _, err := c.Exchange(m, pc.LocalAddr().String())
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Answer) != 1 {
			t.Fatalf("answer %v", r.Answer)
		}
		if took < 2*d || took > 2*d+30*time.Millisecond {
			t.Errorf("query took %v, want 2d = %v", took, 2*d)
		}
	}
	if u.queries.Load() != 2 || u.chain() != 2 {
		t.Errorf("queries = %d, chain = %d; want 2 and 2", u.queries.Load(), u.chain())
	}
}

// A pool spreads the connections open at once over its servers: one each
// while there are free ones.
func TestLatencyPool(t *testing.T) {
	var pool []string
	for range 3 {
		pool = append(pool, echoServer(t))
	}
	p := startProxy(t, pool[0], 5*time.Millisecond, 0)
	p.pool = pool
	var conns []net.Conn
	for range 3 {
		conns = append(conns, roundTrip(t, p.addr(), []byte("x")))
	}
	p.mu.Lock()
	for _, b := range pool {
		if p.busy[b] != 1 {
			t.Errorf("backend %s has %d connections, want 1 (%v)", b, p.busy[b], p.busy)
		}
	}
	p.mu.Unlock()
	for _, c := range conns {
		closeAndWait(t, c)
	}
}
