package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
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
	// pool, when set, replaces backend: each connection goes to the
	// address of the pool with the fewest connections of the proxy's
	// open (the first of those), as a server with many workers would
	// take it.
	pool []string
	busy map[string]int

	n      atomic.Int64
	active atomic.Int64
	mu     sync.Mutex
	spans  []span
	// watching are the open connections finsBefore looks at (under mu).
	watching map[*watched]bool
	wg       sync.WaitGroup
	connsWG  sync.WaitGroup
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
	return latencyProxyOn(ln, backend, delay, rate), nil
}

// latencyProxyOn is newLatencyProxy on a listener of the caller's.
func latencyProxyOn(ln net.Listener, backend string, delay time.Duration, rate float64) *latencyProxy {
	p := &latencyProxy{ln: ln, backend: backend, delay: delay, rate: rate}
	p.wg.Add(1)
	go p.serve()
	return p
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
		p.finsBefore(t0)
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

// serverPool is how many s_server processes serve the latency runs: at
// least the most connections a tool opens at once (vouch --per-host 16).
const serverPool = 16

// pick returns the backend for a new connection, and the function that
// says it has ended.
func (p *latencyProxy) pick() (string, func()) {
	if len(p.pool) == 0 {
		return p.backend, func() {}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy == nil {
		p.busy = map[string]int{}
	}
	best := p.pool[0]
	for _, b := range p.pool[1:] {
		if p.busy[b] < p.busy[best] {
			best = b
		}
	}
	p.busy[best]++
	return best, func() {
		p.mu.Lock()
		p.busy[best]--
		p.mu.Unlock()
	}
}

// watched is a connection whose client close the accept loop looks for.
type watched struct {
	c     *net.TCPConn
	finAt atomic.Int64 // UnixNano of an accept that found its FIN already in; 0 none
}

// watch registers c until the returned func is called.
func (p *latencyProxy) watch(c net.Conn) (*watched, func()) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return &watched{}, func() {}
	}
	w := &watched{c: tc}
	p.mu.Lock()
	if p.watching == nil {
		p.watching = map[*watched]bool{}
	}
	p.watching[w] = true
	p.mu.Unlock()
	return w, func() {
		p.mu.Lock()
		delete(p.watching, w)
		p.mu.Unlock()
	}
}

// finsBefore marks every open connection whose client's FIN is already
// in the kernel at t, a new connection's accept: the close came first,
// even when the goroutine that reads it has not run yet (a busy 2-core
// machine can delay it by milliseconds). Without it a client that closes
// one connection and then opens the next could be counted with both open.
func (p *latencyProxy) finsBefore(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for w := range p.watching {
		if w.finAt.Load() != 0 {
			continue
		}
		rc, err := w.c.SyscallConn()
		if err != nil {
			continue
		}
		_ = rc.Control(func(fd uintptr) {
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
			if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0 {
				w.finAt.Store(t.UnixNano())
			}
		})
	}
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
	backend, release := p.pick()
	defer release()
	b, err := net.DialTimeout("tcp", backend, 5*time.Second)
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
	w, unwatch := p.watch(c)
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
	backend, release := p.pick()
	defer release()
	b, err := net.DialTimeout("tcp", backend, 5*time.Second)
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
	unwatch()
	if fa := w.finAt.Load(); fa != 0 {
		// An accept found this client's FIN in before its reader did: it
		// reaches the target d after it was sent, at the latest.
		f := time.Unix(0, fa)
		if f.Before(canSend) {
			f = canSend
		}
		if fin := f.Add(d).UnixNano(); finUp.Load() == 0 || fin < finUp.Load() {
			finUp.Store(fin)
		}
	}
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

// ---- The latency phase: the TLS comparison through the latency proxy ----

// latencyRow is one tool's median at one RTT.
type latencyRow struct {
	Tool    string
	PerHost int // vouch's --per-host; 0 for the other tools
	Runs    int
	Res     result
}

// latencyRun is everything measured at one RTT.
type latencyRun struct {
	RTT time.Duration
	// Model is the server: modelPool or modelSingle.
	Model string
	Rows  []latencyRow
	Full  *fullScanResult // nil when not run or failed
	// FullErr is why the full scan row is missing.
	FullErr string
}

type latencyResults struct {
	server string
	runs   []latencyRun
}

// latencyServer is the s_server configuration the latency runs scan.
const latencyServer = "TLS 1.0-1.3"

func nonZero(rtts []time.Duration) []time.Duration {
	var out []time.Duration
	for _, r := range rtts {
		if r > 0 {
			out = append(out, r)
		}
	}
	return out
}

// parseRTTs reads "0,20ms,50ms": Go durations, a plain 0 allowed.
func parseRTTs(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bench: -rtt %q: want a comma list of durations like 0,20ms,50ms", s)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: -rtt %q: no round-trip time", s)
	}
	return out, nil
}

var bwRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([kKmMgG]?)(i?)[bB]?(?:/s)?$`)

// parseBandwidth reads "10MB" (10^7 bytes/s), "512KiB", "1e6"-free plain
// numbers of bytes/s; "" is no cap.
func parseBandwidth(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	m := bwRe.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bench: -bw %q: want bytes per second like 10MB, 512KiB or 100000", s)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	base := 1000.0
	if m[3] == "i" {
		base = 1024
	}
	switch strings.ToUpper(m[2]) {
	case "K":
		v *= base
	case "M":
		v *= base * base
	case "G":
		v *= base * base * base
	}
	if v <= 0 {
		return 0, fmt.Errorf("bench: -bw %q: must be positive", s)
	}
	return v, nil
}

func fmtBandwidth(bw float64) string {
	switch {
	case bw == 0:
		return "none"
	case bw >= 1e6:
		return fmt.Sprintf("%.3g MB/s", bw/1e6)
	case bw >= 1e3:
		return fmt.Sprintf("%.3g kB/s", bw/1e3)
	}
	return fmt.Sprintf("%.0f B/s", bw)
}

// latencyPhase runs the tools against the TLS 1.0-1.3 server through a
// latency proxy at every non-zero RTT, then the full scan.
func latencyPhase(ctx context.Context, o options, tools []*tool, dir, cert, key string) (*latencyResults, error) {
	var srv server
	for _, s := range servers {
		if s.Name == latencyServer {
			srv = s
		}
	}
	// openssl s_server serves one connection at a time, and a connection
	// holds it until the client's close arrives: through the proxy each
	// would cost the server a round trip, which a real server (many
	// workers, many connections at once) does not pay. So the server is
	// a pool of identical s_server processes, one per connection the
	// most parallel tool may open, and the proxy gives each connection a
	// free one.
	var backends []string
	for range serverPool {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		backend := fmt.Sprintf("127.0.0.1:%d", port)
		args := append([]string{"s_server", "-accept", backend, "-cert", cert, "-key", key, "-www", "-quiet"}, srv.Args...)
		cmd := exec.Command("openssl", args...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("bench: s_server: %w", err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		if err := waitListening(backend); err != nil {
			return nil, err
		}
		backends = append(backends, backend)
	}

	vouchBin := tools[0].Bin
	type entry struct {
		name    string
		perHost int
		runs    int
		t       *tool
	}
	var list []entry
	for _, t := range tools {
		switch {
		case t.Name == "vouch":
			list = append(list,
				entry{"vouch", 8, 5, &tool{Name: "vouch", Run: runVouch(vouchBin), Avail: true}},
				entry{"vouch --per-host 16", 16, 5, &tool{Name: "vouch --per-host 16", Run: runVouch(vouchBin, "--per-host", "16"), Avail: true}})
		case strings.HasPrefix(t.Name, "testssl"):
			list = append(list, entry{t.Name, 0, 1, t})
		default:
			list = append(list, entry{t.Name, 0, o.latRuns, t})
		}
	}

	lr := &latencyResults{server: latencyServer}
	models := []string{modelPool, modelSingle}
	if o.skipSingle {
		models = models[:1]
	}
	for _, rtt := range nonZero(o.rtts) {
		for _, model := range models {
			px, err := newLatencyProxy(backends[0], rtt/2, o.bw)
			if err != nil {
				return nil, err
			}
			if model == modelPool {
				px.pool = backends
			}
			run := latencyRun{RTT: rtt, Model: model}
			for _, e := range list {
				if o.fullOnly {
					break
				}
				row := latencyRow{Tool: e.name, PerHost: e.perHost, Runs: e.runs}
				if !e.t.Avail {
					row.Res = result{Skipped: true}
					run.Rows = append(run.Rows, row)
					continue
				}
				var rs []result
				for i := 0; i < e.runs; i++ {
					r := measure(ctx, px, e.t.Run, dir, 10*time.Second)
					fmt.Fprintf(os.Stderr, "rtt %-6v %-6s %-22s run %d: %8.2fs %5d conns peak %3d %s\n",
						rtt, model, e.name, i+1, r.Wall.Seconds(), r.Conns, r.Peak, r.Err)
					rs = append(rs, r)
				}
				row.Res = median(rs)
				run.Rows = append(run.Rows, row)
			}
			px.close()
			if fullScanHook != nil && !o.skipFull && model == modelPool {
				run.Full, err = fullScanHook(ctx, o, vouchBin, dir, rtt)
				if err != nil {
					run.FullErr = err.Error()
					fmt.Fprintln(os.Stderr, "full scan:", err)
				}
			}
			lr.runs = append(lr.runs, run)
		}
	}
	return lr, nil
}

// The two servers of the latency runs: a pool of identical s_server
// processes, each connection to a free one (a server that serves many
// connections at once, as real ones do), and one s_server alone (the
// setup of the first measurement), which serves one connection at
// a time: each then holds it from its hello's arrival to its close's, a
// round trip, so a scan of C connections cannot take less than C round
// trips whatever its parallelism.
const (
	modelPool   = "pool"
	modelSingle = "single"
)

// fullScanHook runs the full `vouch scan` row at one RTT (fullscan.go).
var fullScanHook func(ctx context.Context, o options, vouchBin, dir string, rtt time.Duration) (*fullScanResult, error)

// floor is the least wall time of a scan of c connections with at most p
// open at once: ceil(c/p) rounds of two round trips (connect, hello).
func floor(c int64, p int, rtt time.Duration) time.Duration {
	if p <= 0 || c <= 0 {
		return 0
	}
	rounds := (c + int64(p) - 1) / int64(p)
	return time.Duration(rounds) * 2 * rtt
}

func (r latencyRun) row(tool string) (latencyRow, bool) {
	for _, x := range r.Rows {
		if x.Tool == tool {
			return x, !x.Res.Skipped && x.Res.Err == "" && x.Res.Wall > 0
		}
	}
	return latencyRow{}, false
}

func renderLatencyOnlyHeader(tools []*tool) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# Benchmarks: vouch's TLS scan vs sslscan, nmap and testssl.sh\n\n")
	p("Generated by `go run ./bench` on %s, %d CPU cores (%s/%s), %s, with `-skip-loopback`: the loopback\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("comparison (RTT 0) was not run; only the latency runs below.\n\n")
	p("Versions: sslscan `%s`; nmap `%s`; testssl.sh `%s`; openssl `%s`.\n\n",
		version("sslscan", "--version"), version("nmap", "--version"), testsslVersion(tools), version("openssl", "version"))
	return b.String()
}

// check is one goal line.
func check(ok bool, text string) string {
	mark := "✗"
	if ok {
		mark = "✓"
	}
	return fmt.Sprintf("- %s %s\n", mark, text)
}

func renderLatency(lr *latencyResults, loop map[string]map[string]result, o options) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("\n## Over real-world latency\n\n")
	p("On loopback a round trip costs microseconds, so the loopback tables measure CPU and process start-up, not\n")
	p("what a scan of a real server costs. Here every tool scans the **%s** server through the latency proxy of\n", lr.server)
	p("`bench/latency.go` (RTTs: %s; bandwidth cap per direction: %s). Its model, for a connection accepted at t0:\n",
		fmtRTTs(o.rtts), fmtBandwidth(o.bw))
	p("the proxy dials the server at t0+d (d = RTT/2, the SYN's arrival); client bytes read at t reach the server at\n")
	p("max(t, t0+2d)+d (the client may send only once its SYN-ACK is back), server bytes read at t reach the client\n")
	p("at t+d; each direction is FIFO and a close travels like data (half-close). So a connect plus one request and\n")
	p("its answer costs 2 RTT, as on a real network. A bandwidth cap serialises each direction's bytes on one link\n")
	p("shared by all connections. **conns** is what the proxy accepted; **peak** the most connections open at once\n")
	p("to the server, computed from the modelled times (each connection is [SYN arrival, first FIN arrival)).\n")
	p("Every tool scans two servers of the same configuration: **%d s_server**, a pool of %d identical `openssl s_server`\n", serverPool, serverPool)
	p("processes behind the proxy, each connection given to a free one (a server that answers many connections at\n")
	p("once, as real ones do); and **one s_server** alone, as in the issue's first measurement (see below the goals).\n\n")
	p("Commands (ADDR = proxy address): `vouch probe tls https://ADDR --json` (default `--per-host` 8) and\n")
	p("`vouch --per-host 16 probe tls https://ADDR --json` (median of 5); `sslscan --no-colour --xml=F ADDR` and\n")
	p("`nmap -Pn -n -p PORT --script ssl-enum-ciphers -oX F 127.0.0.1` (median of %d); `testssl.sh -e -p --quiet --color 0\n", o.latRuns)
	p("--warnings off --openssl /usr/bin/openssl --jsonfile F ADDR` once. **RTTs** = wall ÷ RTT, the critical path in round trips (process start-up included).\n\n")
	p("| RTT | server | tool | wall (ms) | conns | peak open | RTTs | time ÷ vouch | note |\n|---|---|---|---:|---:|---:|---:|---:|---|\n")
	for _, run := range lr.runs {
		v, vok := run.row("vouch")
		for _, x := range run.Rows {
			r := x.Res
			if r.Skipped {
				p("| %v | %s | %s | – | – | – | – | – | not installed / skipped |\n", run.RTT, modelName(run.Model), x.Tool)
				continue
			}
			ratio := "–"
			if vok && x.Tool != "vouch" {
				ratio = fmt.Sprintf("%.1f×", r.Wall.Seconds()/v.Res.Wall.Seconds())
			}
			p("| %v | %s | %s | %d | %d | %d | %.1f | %s | %s |\n", run.RTT, modelName(run.Model), x.Tool, r.Wall.Milliseconds(), r.Conns, r.Peak,
				r.Wall.Seconds()/run.RTT.Seconds(), ratio, esc(r.Err))
		}
	}
	p("\n### vouch against its floor\n\n")
	p("A scan of C connections with at most P open at once to the server cannot take less than **ceil(C ÷ P)\n")
	p("rounds of 2 round trips** (connect, then hello and answer): floor = ceil(C ÷ P) × 2 × RTT, with C the\n")
	p("connections the proxy counted and P vouch's `--per-host`. wall ÷ floor is how much of the wall time the\n")
	p("parallelism does not explain (dependent probes in sequence, process start-up, CPU).\n\n")
	p("| RTT | --per-host P | wall (ms) | C | peak | floor = ceil(C/P) × 2 × RTT (ms) | wall ÷ floor | RTTs |\n|---|---:|---:|---:|---:|---|---:|---:|\n")
	for _, run := range lr.runs {
		if run.Model != modelPool {
			continue
		}
		for _, x := range run.Rows {
			if x.PerHost == 0 || x.Res.Skipped {
				continue
			}
			r := x.Res
			f := floor(r.Conns, x.PerHost, run.RTT)
			ratio := "–"
			if f > 0 {
				ratio = fmt.Sprintf("%.2f", r.Wall.Seconds()/f.Seconds())
			}
			p("| %v | %d | %d | %d | %d | ceil(%d/%d) × 2 × %v = %d | %s | %.1f |\n", run.RTT, x.PerHost, r.Wall.Milliseconds(),
				r.Conns, r.Peak, r.Conns, x.PerHost, run.RTT, f.Milliseconds(), ratio, r.Wall.Seconds()/run.RTT.Seconds())
		}
	}
	if fullScanHook != nil {
		b.WriteString(renderFullScan(lr, o))
	}

	p("\n### The issue's goals, checked against the numbers above\n\n")
	var at50 *latencyRun
	for i := range lr.runs {
		if lr.runs[i].RTT == 50*time.Millisecond && lr.runs[i].Model == modelPool {
			at50 = &lr.runs[i]
		}
	}
	if at50 == nil {
		p("- – not measured at 50 ms RTT (run with `-rtt 50ms`)\n")
	} else {
		v, vok := at50.row("vouch")
		if !vok && v.Tool == "" {
			p("- – vouch probe tls not run at 50 ms\n")
		} else if !vok {
			p("- ✗ vouch did not complete at 50 ms: %s\n", esc(skippedWhy(v)))
		} else {
			f := floor(v.Res.Conns, 8, at50.RTT)
			p("%s", check(v.Res.Wall.Seconds() <= 1.3*f.Seconds(), fmt.Sprintf("at 50 ms RTT, --per-host 8: vouch wall ≤ 1.3 × floor: %d ms vs 1.3 × %d = %d ms (%.2f×)",
				v.Res.Wall.Milliseconds(), f.Milliseconds(), time.Duration(1.3*float64(f)).Milliseconds(), v.Res.Wall.Seconds()/f.Seconds())))
			for _, g := range []struct {
				tool string
				want float64
			}{{"nmap ssl-enum-ciphers", 6}, {"sslscan", 14}, {"testssl.sh -e -p", 16}} {
				o, ok := at50.row(g.tool)
				if !ok {
					p("- – at 50 ms RTT, ≥ %.0f× faster than %s: not measured (%s)\n", g.want, g.tool, skippedWhy(o))
					continue
				}
				x := o.Res.Wall.Seconds() / v.Res.Wall.Seconds()
				p("%s", check(x >= g.want, fmt.Sprintf("at 50 ms RTT, --per-host 8: ≥ %.0f× faster than %s: %.1f× (%d ms vs %d ms; vouch's floor of %d ms allows at most %.1f×)",
					g.want, g.tool, x, o.Res.Wall.Milliseconds(), v.Res.Wall.Milliseconds(), f.Milliseconds(), o.Res.Wall.Seconds()/f.Seconds())))
			}
			p("%s", check(v.Res.Peak <= 8 && v.Res.Conns <= 70, fmt.Sprintf("at 50 ms RTT, --per-host 8: ≤ 8 open at once and ≤ 70 connections: peak %d, %d connections",
				v.Res.Peak, v.Res.Conns)))
		}
		v16, ok16 := at50.row("vouch --per-host 16")
		n, okn := at50.row("nmap ssl-enum-ciphers")
		if ok16 && okn {
			x := n.Res.Wall.Seconds() / v16.Res.Wall.Seconds()
			f16 := floor(v16.Res.Conns, 16, at50.RTT)
			p("%s", check(x >= 10, fmt.Sprintf("at 50 ms RTT, --per-host 16: ≥ 10× faster than nmap: %.1f× (%d ms vs %d ms; vouch's floor of %d ms allows at most %.1f×)",
				x, n.Res.Wall.Milliseconds(), v16.Res.Wall.Milliseconds(), f16.Milliseconds(), n.Res.Wall.Seconds()/f16.Seconds())))
		} else {
			p("- – at 50 ms RTT, --per-host 16 ≥ 10× faster than nmap: not measured\n")
		}
		if f := at50.Full; f != nil {
			fl := floor(f.HTTPS.Conns+f.Plain.Conns, f.PerHost, f.RTT)
			p("%s", check(f.Wall.Seconds() <= 1.3*fl.Seconds(), fmt.Sprintf("at 50 ms RTT: a full `vouch scan` of one origin and its mail domain within 1.3 × its floor: %d ms vs 1.3 × %d = %d ms (%.2f×)",
				f.Wall.Milliseconds(), fl.Milliseconds(), time.Duration(1.3*float64(fl)).Milliseconds(), f.Wall.Seconds()/fl.Seconds())))
			p("  - The floor counts connections only. Its TLS scan has a longer chain of dependent hellos: the Go\n")
			p("    server ranks its TLS 1.3 groups itself (3 post-quantum, then 4 elliptic), so after the first hello\n")
			p("    and the hint the elliptic family takes 4 picks and 1 refusal one after another, then 1 merge hello:\n")
			p("    7 rounds, %d ms, before process start, DNS and writing the site (`BenchmarkScanLatency`-style\n", (7 * 2 * f.RTT).Milliseconds())
			p("    in-process, that TLS scan alone takes about 14.4 round trips).\n")
		}
	}
	if loop == nil || len(loop) == 0 {
		p("- – loopback (RTT 0) ≥ 10× faster than sslscan: not measured (`-skip-loopback` or no 0 in `-rtt`)\n")
	} else {
		var parts []string
		all, any := true, false
		for _, s := range servers {
			v, sc := loop[s.Name]["vouch"], loop[s.Name]["sslscan"]
			if v.Skipped || sc.Skipped || v.Err != "" || sc.Err != "" || v.Wall == 0 {
				continue
			}
			any = true
			x := sc.Wall.Seconds() / v.Wall.Seconds()
			all = all && x >= 10
			parts = append(parts, fmt.Sprintf("%s %.1f×", s.Name, x))
		}
		if any {
			p("%s", check(all, "loopback (RTT 0): ≥ 10× faster than sslscan on every server: "+strings.Join(parts, ", ")))
		} else {
			p("- – loopback (RTT 0) ≥ 10× faster than sslscan: not measured\n")
		}
	}
	p("\nA ratio goal above the \"allows at most\" figure cannot be met by any scan of that many connections at\n")
	p("that --per-host: the floor counts only connect and hello, no CPU, no process start. The fewest connections\n")
	p("that can find what vouch reports on this server are one per accepted (protocol, suite) pair and per accepted\n")
	p("group, plus one refused hello per list to know it is complete, the SSLv3 probe, the handshake and the\n")
	p("downgrade hello: 35 + 4 + 10 + 1 + 5 + 1 + 1 + 1 + 1 = 59, ceil(59 ÷ 8) = 8 rounds, 800 ms at 50 ms RTT.\n")
	p("The goals' ratios were set against tools measured on one s_server (below), where every tool is slower.\n")
	var single *latencyRun
	for i := range lr.runs {
		if lr.runs[i].RTT == 50*time.Millisecond && lr.runs[i].Model == modelSingle {
			single = &lr.runs[i]
		}
	}
	if single != nil {
		p("\n**On one s_server** (the issue's first measurement was made this way): `openssl s_server` serves one\n")
		p("connection at a time, and a connection holds it from the moment its hello arrives until its close does, one\n")
		p("round trip; so a scan of C connections cannot take less than **C × RTT** however many it opens at once, and\n")
		p("the goals above, which assume a server that answers connections side by side, cannot be met on it. Measured:\n\n")
		if v, ok := single.row("vouch"); ok {
			f := time.Duration(v.Res.Conns) * single.RTT
			p("- vouch: %d ms for %d connections; floor C × RTT = %d × %v = %d ms (%.2f×)\n", v.Res.Wall.Milliseconds(), v.Res.Conns,
				v.Res.Conns, single.RTT, f.Milliseconds(), v.Res.Wall.Seconds()/f.Seconds())
			for _, name := range []string{"nmap ssl-enum-ciphers", "sslscan", "testssl.sh -e -p"} {
				if o, ok := single.row(name); ok {
					p("- %s: %d ms for %d connections: %.1f× vouch's time\n", name, o.Res.Wall.Milliseconds(), o.Res.Conns,
						o.Res.Wall.Seconds()/v.Res.Wall.Seconds())
				}
			}
		}
	}
	p("\nThese numbers are from one machine with %d cores shared by the servers, the proxy and the tool; rerun\n", runtime.NumCPU())
	p("`go run ./bench -rtt %s` to measure again.\n", strings.Join(strings.Split(fmtRTTs(o.rtts), ", "), ","))
	return b.String()
}

// modelName is a server model as the tables name it.
func modelName(m string) string {
	if m == modelSingle {
		return "one s_server"
	}
	return fmt.Sprintf("%d s_server", serverPool)
}

func skippedWhy(r latencyRow) string {
	switch {
	case r.Tool == "" || r.Res.Skipped:
		return "not installed / skipped"
	case r.Res.Err != "":
		return "failed: " + esc(r.Res.Err)
	}
	return "no time"
}

func fmtRTTs(rtts []time.Duration) string {
	var s []string
	for _, r := range rtts {
		s = append(s, r.String())
	}
	return strings.Join(s, ", ")
}
