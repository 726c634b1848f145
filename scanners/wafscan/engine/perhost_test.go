package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// countingListener counts the connections open at once, as the server
// sees them: one more on Accept, one less when the server closes it
// (which it does once the client has, or after a "Connection: close").
type countingListener struct {
	net.Listener
	open, peak, total atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.open.Add(1)
	l.total.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

// done counts the connection as closed.
func (c *countedConn) done() { c.once.Do(func() { c.l.open.Add(-1) }) }

func (c *countedConn) Close() error {
	c.done()
	return c.Conn.Close()
}

// countingServer is an HTTP/1.1 server on 127.0.0.1 that answers every
// request after delay (so that requests sent at once overlap) and counts
// its connections. A polite one closes a connection as soon as it has
// answered a request that says "Connection: close", and counts it closed
// as it sends that last answer: the client can do nothing on it after
// that, and counting only once close(2) returns would count the server's
// own delay against the client (net/http's server even keeps it half-open
// for 500 ms). A stubborn one answers "Connection: keep-alive" whatever
// the request says and closes a connection only when the client has.
func countingServer(t *testing.T, delay time.Duration, stubborn bool) (*countingListener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	body := "<html>welcome</html>"
	var (
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	go func() {
		for {
			c, err := cl.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			go func() {
				cc := c.(*countedConn)
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					time.Sleep(delay)
					closing := req.Close && !stubborn
					conn := "keep-alive"
					if closing {
						conn = "close"
						cc.done()
					}
					fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s", len(body), conn, body)
					if closing {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for c := range conns {
			c.Close()
		}
	})
	return cl, ln.Addr().String()
}

// perHostJob is a job of several targets that are all one host: names the
// test's DNS server points at 127.0.0.1, each with the built-in templates
// (the active probe included) and user templates of their own paths (so
// that nuclei cannot merge them into one request).
func perHostJob(t *testing.T, port string, perHost int) wafscan.Job {
	t.Helper()
	names := []string{"a", "b", "c", "d", "e", "f"}
	var zone strings.Builder
	for _, n := range names {
		fmt.Fprintf(&zone, "%s.shop.test. 300 IN A 127.0.0.1\n", n)
	}
	dns, err := dnstest.Start("shop.test.", zone.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	dir := t.TempDir()
	var user []string
	for i := range 3 {
		name := fmt.Sprintf("page%d.yaml", i)
		tpl := fmt.Sprintf(`id: vouch-test-page%d
info:
  name: page %d
  author: vouch-test
  severity: info
http:
  - method: GET
    path:
      - "{{BaseURL}}/page%d"
    headers:
      Connection: keep-alive
    matchers:
      - type: status
        status:
          - 200
`, i, i, i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(tpl), 0o600); err != nil {
			t.Fatal(err)
		}
		user = append(user, name)
	}
	// A raw user template too: its request is sent as written.
	raw := `id: vouch-test-raw
info:
  name: raw
  author: vouch-test
  severity: info
http:
  - raw:
      - |
        GET /raw HTTP/1.1
        Host: {{Hostname}}
        Connection: keep-alive

    matchers:
      - type: status
        status:
          - 200
`
	if err := os.WriteFile(filepath.Join(dir, "raw.yaml"), []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	user = append(user, "raw.yaml")
	job := wafscan.Job{UserAgent: wafscan.DefaultUserAgent, TimeoutSeconds: 5, Resolvers: []string{dns.Addr}, Dir: dir, PerHost: perHost}
	for _, n := range names {
		job.Targets = append(job.Targets, wafscan.JobTarget{URL: "http://" + n + ".shop.test:" + port, Active: true, Templates: user})
	}
	return job
}

// runPerHost runs job in this process against a polite counting server
// and returns the most connections it saw open at once.
func runPerHost(t *testing.T, job wafscan.Job, cl *countingListener) int64 {
	t.Helper()
	var e Engine
	res, err := e.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	checkPerHostResult(t, job, res)
	t.Logf("PerHost %d: the server saw at most %d connections open at once, %d in all", job.PerHost, cl.peak.Load(), cl.total.Load())
	return cl.peak.Load()
}

// checkPerHostResult checks that every template ran on every target: a
// bound that made requests fail would hold the peak down too.
func checkPerHostResult(t *testing.T, job wafscan.Job, res wafscan.Result) {
	t.Helper()
	passed, user := 0, 0
	for _, ev := range res.Events {
		if ev.Error != "" {
			t.Errorf("PerHost %d: %s %s: %s", job.PerHost, ev.Target, ev.TemplateID, ev.Error)
		}
		switch {
		case ev.Kind == wafscan.KindProbe && ev.Matched && ev.Matcher == "passed":
			passed++
		case ev.Kind == wafscan.KindUser && ev.Matched:
			user++
		}
	}
	if passed != len(job.Targets) {
		t.Errorf("PerHost %d: the probe passed on %d of %d targets", job.PerHost, passed, len(job.Targets))
	}
	if want := len(job.Targets) * len(job.Targets[0].Templates); user != want {
		t.Errorf("PerHost %d: %d user templates matched, want %d", job.PerHost, user, want)
	}
}

// The engine keeps to Job.PerHost: six names of one server, each with the
// probe, the fingerprints and four user templates, never have more than
// PerHost connections open to it at once, counted where the server
// accepts and closes them; with a larger PerHost more are open at once,
// so it is the bound that holds them back.
func TestPerHost(t *testing.T) {
	peaks := map[int]int64{}
	for _, perHost := range []int{1, 2, 8} {
		cl, addr := countingServer(t, 50*time.Millisecond, false)
		_, port, _ := net.SplitHostPort(addr)
		peaks[perHost] = runPerHost(t, perHostJob(t, port, perHost), cl)
		if peaks[perHost] > int64(perHost) {
			t.Errorf("PerHost %d: %d connections were open at once", perHost, peaks[perHost])
		}
	}
	if peaks[8] <= 2 {
		t.Errorf("PerHost 8: peak %d; the test does not show that PerHost is what holds the peak at 2", peaks[8])
	}
}

// Against a server that keeps every connection open until the client
// closes it, the bound holds at the client within one socket: its
// connect(2) and close(2) calls, recorded by strace, never leave more than
// PerHost+1 sockets to the server open at once. Go closes a finished
// connection from another goroutine; under load (CI's) two such closes
// have been seen to lag behind the next request's connect, so a server
// that ignores Connection: close may see one more for that moment (the
// package doc of wafscan says so). The server itself learns of a close a
// moment later still, so its count may overlap more.
func TestPerHostStubbornServer(t *testing.T) {
	strace, err := exec.LookPath("strace")
	needTool(t, "strace", err == nil)
	peaks := map[int]int{}
	for _, perHost := range []int{2, 8} {
		cl, addr := countingServer(t, 50*time.Millisecond, true)
		_, port, _ := net.SplitHostPort(addr)
		job := perHostJob(t, port, perHost)
		res, raw := runTraced(t, strace, job, "connect,close")
		checkPerHostResult(t, job, res)
		peak, total := openAtOnce(raw, port)
		if total == 0 {
			t.Fatalf("strace recorded no connection to port %s; the recording is broken", port)
		}
		if int64(total) != cl.total.Load() {
			t.Errorf("strace saw %d connects to the server, the server %d accepts", total, cl.total.Load())
		}
		t.Logf("PerHost %d: at most %d sockets to the server open at once in the engine (%d in all); the server counted %d", perHost, peak, total, cl.peak.Load())
		peaks[perHost] = peak
		if peak > perHost+1 {
			t.Errorf("PerHost %d: the engine had %d sockets to the server open at once", perHost, peak)
		}
	}
	if peaks[8] <= 3 {
		t.Errorf("PerHost 8: peak %d; the test does not show that PerHost is what holds the peak at 2 (or 3)", peaks[8])
	}
}

var (
	connectPortRE = regexp.MustCompile(`^(\d+) +connect\((\d+), \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\)`)
	closeRE       = regexp.MustCompile(`^(\d+) +close\((\d+)(.*)$`)
	closeResumeRE = regexp.MustCompile(`^(\d+) +<\.\.\. close resumed>`)
)

// openAtOnce reads strace -f output of one process (threads share its
// file descriptors) and returns the most sockets connected to port that
// were open at once, and how many were connected in all. A socket counts
// from its connect(2) (as it is entered) until its close(2) returns, so
// the count errs high; but when the descriptor is connected again before
// strace reports the close done, the kernel has given it up already.
func openAtOnce(raw, port string) (peak, total int) {
	type closing struct {
		fd string
		id int
	}
	open := map[string]int{}             // fd → id of the socket connected to port, not yet closed
	pendingClose := map[string]closing{} // tid → an unfinished close
	closingFD := func(fd string) bool {
		for _, c := range pendingClose {
			if c.fd == fd && c.id == open[fd] {
				return true
			}
		}
		return false
	}
	for _, line := range strings.Split(raw, "\n") {
		if m := connectPortRE.FindStringSubmatch(line); m != nil {
			if m[3] != port {
				continue
			}
			if _, ok := open[m[2]]; ok && !closingFD(m[2]) {
				continue // connect(2) again on the same socket
			}
			total++
			open[m[2]] = total
			peak = max(peak, len(open))
			continue
		}
		if m := closeRE.FindStringSubmatch(line); m != nil {
			if strings.Contains(m[3], "<unfinished") {
				if id, ok := open[m[2]]; ok {
					pendingClose[m[1]] = closing{m[2], id}
				}
			} else {
				delete(open, m[2])
			}
			continue
		}
		if m := closeResumeRE.FindStringSubmatch(line); m != nil {
			if c, ok := pendingClose[m[1]]; ok && open[c.fd] == c.id {
				delete(open, c.fd)
			}
			delete(pendingClose, m[1])
		}
	}
	return peak, total
}

// openAtOnce counts as the kernel does: a socket is open from connect to
// close, a descriptor connected again before its close is reported done
// was closed already, and a second connect(2) on one socket is one.
func TestOpenAtOnce(t *testing.T) {
	const c = `{sa_family=AF_INET, sin_port=htons(%s), sin_addr=inet_addr("127.0.0.1")}, 16`
	conn := func(tid, fd, port, tail string) string {
		return tid + "  connect(" + fd + ", " + fmt.Sprintf(c, port) + tail
	}
	trace := strings.Join([]string{
		conn("1", "5", "80", ") = -1 EINPROGRESS (Operation now in progress)"),
		conn("1", "5", "80", ") = 0"), // the same socket
		conn("2", "6", "53", ") = 0"), // another port
		conn("2", "7", "80", " <unfinished ...>"),
		"1  close(5 <unfinished ...>",
		"2  <... connect resumed>) = -1 EINPROGRESS (Operation now in progress)",
		conn("3", "5", "80", ") = -1 EINPROGRESS (Operation now in progress)"), // 5 was closed
		"1  <... close resumed>) = 0",
		conn("3", "8", "80", ") = -1 EINPROGRESS (Operation now in progress)"), // 5, 7, 8 open
		"2  close(7) = 0",
		"2  close(8) = 0",
		conn("1", "7", "80", ") = 0"),
	}, "\n")
	peak, total := openAtOnce(trace, "80")
	if peak != 3 || total != 5 {
		t.Errorf("peak %d, total %d; want 3, 5", peak, total)
	}
}

// A user template gets "Connection: close" in every request, in place of
// its own Connection header, and keeps everything else.
func TestOneRequestPerConnection(t *testing.T) {
	in := `id: t
info: {name: t, author: a, severity: info}
http:
  - method: GET
    path: ["{{BaseURL}}/a"]
    headers:
      connection: keep-alive
      X-Test: "1"
  - raw:
      - |
        GET /b HTTP/1.1
        Host: {{Hostname}}

    matchers: [{type: status, status: [200]}]
# digest: 4a0a00473045022100abc
`
	out, err := oneRequestPerConnection([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if err := wafscan.ValidateTemplate(out); err != nil {
		t.Fatalf("rewritten template refused: %v\n%s", err, out)
	}
	var doc struct {
		ID   string `yaml:"id"`
		HTTP []struct {
			Path    []string          `yaml:"path"`
			Raw     []string          `yaml:"raw"`
			Headers map[string]string `yaml:"headers"`
		} `yaml:"http"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ID != "t" || len(doc.HTTP) != 2 || doc.HTTP[0].Path[0] != "{{BaseURL}}/a" || !strings.HasPrefix(doc.HTTP[1].Raw[0], "GET /b HTTP/1.1\nHost: {{Hostname}}\n") {
		t.Fatalf("rewritten template changed:\n%s", out)
	}
	want := []map[string]string{{"Connection": "close", "X-Test": "1"}, {"Connection": "close"}}
	for i, w := range want {
		if fmt.Sprint(doc.HTTP[i].Headers) != fmt.Sprint(w) {
			t.Errorf("request %d headers %v, want %v", i, doc.HTTP[i].Headers, w)
		}
	}
	if strings.Contains(string(out), "digest:") {
		t.Errorf("the signature is kept:\n%s", out)
	}
}
