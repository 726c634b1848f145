package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// countingServer is an HTTP/1.1 server on 127.0.0.1 that answers every
// request after delay (so that requests sent at once overlap) and counts
// its connections. A polite one closes a connection as soon as it has
// answered a request that says "Connection: close" (net/http's server
// would keep it half-open for another 500 ms after the client closed its
// end); a stubborn one answers "Connection: keep-alive" whatever the
// request says and closes a connection only when the client has.
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

// The engine keeps to Job.PerHost: six names of one server, each with the
// probe, the fingerprints and four user templates, never have more than
// PerHost connections open to it at once, even when the server would keep
// every connection alive; with a larger PerHost more are open at once, so it is
// the bound that holds them back.
func TestPerHost(t *testing.T) {
	for _, stubborn := range []bool{false, true} {
		t.Run(fmt.Sprintf("stubborn=%v", stubborn), func(t *testing.T) {
			peaks := map[int]int64{}
			for _, perHost := range []int{1, 2, 8} {
				cl, addr := countingServer(t, 50*time.Millisecond, stubborn)
				_, port, _ := net.SplitHostPort(addr)
				job := perHostJob(t, port, perHost)
				var e Engine
				res, err := e.Run(context.Background(), job)
				if err != nil {
					t.Fatal(err)
				}
				ran := 0
				for _, ev := range res.Events {
					if ev.Error != "" {
						t.Errorf("PerHost %d: %s %s: %s", perHost, ev.Target, ev.TemplateID, ev.Error)
					}
					if ev.Kind == wafscan.KindProbe && ev.Matched && ev.Matcher == "passed" {
						ran++
					}
				}
				if ran != len(job.Targets) {
					t.Errorf("PerHost %d: the probe passed on %d of %d targets", perHost, ran, len(job.Targets))
				}
				peaks[perHost] = cl.peak.Load()
				t.Logf("PerHost %d: peak %d connections open at once, %d in all", perHost, cl.peak.Load(), cl.total.Load())
				if p := cl.peak.Load(); p > int64(perHost) {
					t.Errorf("PerHost %d: %d connections were open at once", perHost, p)
				}
			}
			if peaks[8] <= 2 {
				t.Errorf("PerHost 8: peak %d; the test does not show that PerHost is what holds the peak at 2", peaks[8])
			}
		})
	}
}
