// Command bench compares vouch's TLS scan with sslscan, nmap's
// ssl-enum-ciphers script and testssl.sh on the same loopback servers.
//
// It starts `openssl s_server` (RFC 8446 / RFC 5246 endpoints) on 127.0.0.1
// in three configurations, puts an in-process TCP counting proxy in front of
// each, and runs every tool against the proxy port. For each tool and server
// it records the wall time of the whole process, the number of TCP
// connections the proxy accepted while the tool ran, and the accepted cipher
// suites the tool reported. The result is written to BENCHMARKS.md.
//
// Run from the module root: go run ./bench
// Nothing leaves 127.0.0.1. It is not imported by any package.
package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// server is one s_server configuration.
type server struct {
	Name string
	Args []string
}

var servers = []server{
	{"TLS 1.2 only", []string{"-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0"}},
	{"TLS 1.0-1.3", []string{"-cipher", "DEFAULT:@SECLEVEL=0"}},
	{"TLS 1.3 only", []string{"-tls1_3"}},
}

// result is one tool run against one server.
type result struct {
	Wall    time.Duration
	Conns   int64
	Pairs   int // (protocol, suite) pairs reported accepted; -1 unknown
	Uniq    int // distinct suite names reported accepted; -1 unknown
	Err     string
	Skipped bool
}

// proxy forwards 127.0.0.1:port to a backend and counts accepted connections.
type proxy struct {
	ln      net.Listener
	backend string
	n       atomic.Int64
	wg      sync.WaitGroup
}

func newProxy(backend string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: proxy listen: %w", err)
	}
	p := &proxy{ln: ln, backend: backend}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.n.Add(1)
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	defer c.Close()
	b, err := net.DialTimeout("tcp", p.backend, 5*time.Second)
	if err != nil {
		return
	}
	defer b.Close()
	deadline := time.Now().Add(2 * time.Minute)
	_ = c.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(b, c); _ = b.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, b); _ = c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

func (p *proxy) close() { _ = p.ln.Close(); p.wg.Wait() }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitListening(addr string) error {
	for i := 0; i < 100; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("bench: %s never listened", addr)
}

// tool runs one scan against addr (host:port) and extracts findings.
type tool struct {
	Name  string
	Runs  int
	Bin   string
	Run   func(ctx context.Context, addr, dir string) (pairs, uniq int, err error)
	Avail bool
}

func run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, fmt.Errorf("bench: %s: %w", name, ctx.Err())
	}
	if err != nil {
		return out, fmt.Errorf("bench: %s: %w: %s", name, err, tail(out))
	}
	return out, nil
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[len(s)-300:]
	}
	return s
}

func runVouch(bin string) func(ctx context.Context, addr, dir string) (int, int, error) {
	return func(ctx context.Context, addr, dir string) (int, int, error) {
		out, err := exec.CommandContext(ctx, bin, "probe", "tls", "https://"+addr, "--json").Output()
		if err != nil {
			return -1, -1, fmt.Errorf("bench: vouch: %w", err)
		}
		var snap struct {
			TLS []struct {
				CipherSuites []struct {
					Protocol string   `json:"protocol"`
					Accepted []string `json:"accepted"`
				} `json:"cipher_suites"`
			} `json:"tls"`
		}
		if err := json.Unmarshal(out, &snap); err != nil {
			return -1, -1, fmt.Errorf("bench: vouch json: %w", err)
		}
		pairs, uniq := 0, map[string]bool{}
		for _, t := range snap.TLS {
			for _, c := range t.CipherSuites {
				pairs += len(c.Accepted)
				for _, s := range c.Accepted {
					uniq[s] = true
				}
			}
		}
		return pairs, len(uniq), nil
	}
}

func runSSLScan(ctx context.Context, addr, dir string) (int, int, error) {
	f := filepath.Join(dir, "sslscan.xml")
	if _, err := run(ctx, "sslscan", "--no-colour", "--xml="+f, addr); err != nil {
		return -1, -1, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return -1, -1, err
	}
	var doc struct {
		Ciphers []struct {
			Status  string `xml:"status,attr"`
			Version string `xml:"sslversion,attr"`
			Cipher  string `xml:"cipher,attr"`
		} `xml:"ssltest>cipher"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return -1, -1, fmt.Errorf("bench: sslscan xml: %w", err)
	}
	pairs, uniq := 0, map[string]bool{}
	for _, c := range doc.Ciphers {
		if c.Status == "accepted" || c.Status == "preferred" {
			pairs++
			uniq[c.Cipher] = true
		}
	}
	return pairs, len(uniq), nil
}

var nmapName = regexp.MustCompile(`<elem key="name">([^<]+)</elem>`)

func runNmap(ctx context.Context, addr, dir string) (int, int, error) {
	host, port, _ := net.SplitHostPort(addr)
	f := filepath.Join(dir, "nmap.xml")
	if _, err := run(ctx, "nmap", "-Pn", "-n", "-p", port, "--script", "ssl-enum-ciphers", "-oX", f, host); err != nil {
		return -1, -1, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return -1, -1, err
	}
	pairs, uniq := 0, map[string]bool{}
	for _, m := range nmapName.FindAllSubmatch(b, -1) {
		pairs++
		uniq[string(m[1])] = true
	}
	return pairs, len(uniq), nil
}

func runTestssl(bin string) func(ctx context.Context, addr, dir string) (int, int, error) {
	return func(ctx context.Context, addr, dir string) (int, int, error) {
		f := filepath.Join(dir, "testssl.json")
		_ = os.Remove(f)
		_, err := run(ctx, bin, "-e", "-p", "--quiet", "--color", "0", "--warnings", "off",
			"--openssl", "/usr/bin/openssl", "--jsonfile", f, addr)
		b, rerr := os.ReadFile(f)
		if rerr != nil {
			if err == nil {
				err = rerr
			}
			return -1, -1, err
		}
		var items []struct {
			ID      string `json:"id"`
			Finding string `json:"finding"`
		}
		if jerr := json.Unmarshal(b, &items); jerr != nil {
			return -1, -1, fmt.Errorf("bench: testssl json: %w", jerr)
		}
		// -e lists each cipher once ("cipher_xNN"), not per protocol.
		uniq := 0
		for _, it := range items {
			if strings.HasPrefix(it.ID, "cipher_x") && !strings.Contains(it.Finding, "not offered") {
				uniq++
			}
		}
		// testssl exits non-zero when it found issues; that is not a failure.
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return -1, uniq, err
		}
		return -1, uniq, nil
	}
}

func median(rs []result) result {
	if len(rs) == 0 {
		return result{Skipped: true}
	}
	s := append([]result(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].Wall < s[j].Wall })
	m := s[len(s)/2]
	cs := make([]int64, len(rs))
	for i, r := range rs {
		cs[i] = r.Conns
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	m.Conns = cs[len(cs)/2]
	return m
}

func main() {
	runs := flag.Int("runs", 3, "runs per tool and server (testssl.sh always runs once)")
	out := flag.String("out", "BENCHMARKS.md", "markdown file to write")
	vouchBin := flag.String("vouch", "", "prebuilt vouch binary (default: go build ./cmd/vouch)")
	skipTestssl := flag.Bool("skip-testssl", false, "do not run testssl.sh")
	flag.Parse()
	if err := mainErr(*runs, *out, *vouchBin, *skipTestssl); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func mainErr(runs int, outPath, vouchBin string, skipTestssl bool) error {
	dir, err := os.MkdirTemp("", "vouch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	if vouchBin == "" {
		vouchBin = filepath.Join(dir, "vouch")
		if _, err := run(ctx, "go", "build", "-o", vouchBin, "./cmd/vouch"); err != nil {
			return err
		}
	}
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if _, err := run(ctx, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
		"-subj", "/CN=localhost", "-keyout", key, "-out", cert); err != nil {
		return err
	}

	testsslBin := "testssl"
	if p, err := exec.LookPath("testssl.sh"); err == nil {
		testsslBin = p
	}
	tools := []*tool{
		{Name: "vouch", Runs: runs, Bin: vouchBin, Run: runVouch(vouchBin)},
		{Name: "sslscan", Runs: runs, Bin: "sslscan", Run: runSSLScan},
		{Name: "nmap ssl-enum-ciphers", Runs: runs, Bin: "nmap", Run: runNmap},
		{Name: "testssl.sh -e -p", Runs: 1, Bin: testsslBin, Run: runTestssl(testsslBin)},
	}
	for _, t := range tools {
		_, err := exec.LookPath(t.Bin)
		t.Avail = err == nil
		if t.Name == "testssl.sh -e -p" && skipTestssl {
			t.Avail = false
		}
	}

	res := map[string]map[string]result{} // server -> tool -> median
	for _, s := range servers {
		port, err := freePort()
		if err != nil {
			return err
		}
		backend := fmt.Sprintf("127.0.0.1:%d", port)
		args := append([]string{"s_server", "-accept", backend, "-cert", cert, "-key", key, "-www", "-quiet"}, s.Args...)
		srv := exec.Command("openssl", args...)
		srv.Stdout, srv.Stderr = io.Discard, io.Discard
		if err := srv.Start(); err != nil {
			return fmt.Errorf("bench: s_server: %w", err)
		}
		stop := func() { _ = srv.Process.Kill(); _ = srv.Wait() }
		if err := waitListening(backend); err != nil {
			stop()
			return err
		}
		px, err := newProxy(backend)
		if err != nil {
			stop()
			return err
		}
		res[s.Name] = map[string]result{}
		for _, t := range tools {
			if !t.Avail {
				res[s.Name][t.Name] = result{Skipped: true}
				continue
			}
			var rs []result
			for i := 0; i < t.Runs; i++ {
				before := px.n.Load()
				tctx, cancel := context.WithTimeout(ctx, 300*time.Second)
				start := time.Now()
				pairs, uniq, err := t.Run(tctx, px.addr(), dir)
				wall := time.Since(start)
				cancel()
				time.Sleep(200 * time.Millisecond) // let queued accepts land
				r := result{Wall: wall, Conns: px.n.Load() - before, Pairs: pairs, Uniq: uniq}
				if err != nil {
					r.Err = err.Error()
				}
				fmt.Fprintf(os.Stderr, "%-14s %-22s run %d: %8.2fs %5d conns pairs=%d uniq=%d %s\n",
					s.Name, t.Name, i+1, wall.Seconds(), r.Conns, pairs, uniq, r.Err)
				rs = append(rs, r)
			}
			res[s.Name][t.Name] = median(rs)
		}
		px.close()
		stop()
	}
	md := render(tools, res, runs)
	return os.WriteFile(outPath, []byte(md), 0o644)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func version(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil && len(out) == 0 {
		return "unknown"
	}
	for _, l := range strings.Split(ansi.ReplaceAllString(string(out), ""), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "###") {
			return l
		}
	}
	return "unknown"
}

func render(tools []*tool, res map[string]map[string]result, runs int) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("# Benchmarks: vouch's TLS scan vs sslscan, nmap and testssl.sh\n\n")
	p("Generated by `go run ./bench` on %s, %d CPU cores (%s/%s), %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("## What is measured\n\n")
	p("Three `openssl s_server -www` endpoints on 127.0.0.1 (self-signed RSA-2048 certificate):\n\n")
	for _, s := range servers {
		p("- **%s**: `openssl s_server %s`\n", s.Name, strings.Join(s.Args, " "))
	}
	p("\nEach tool scans a TCP counting proxy (in `bench/main.go`) that forwards to the server, so every tool's\n")
	p("connections are counted the same way. Per tool and server:\n\n")
	p("- **time**: wall time of the whole tool process (start to exit), median of %d runs;\n", runs)
	p("  testssl.sh runs **once** per server (it is slow), with a 300 s cap.\n")
	p("- **conns**: TCP connections the proxy accepted during the run (median).\n")
	p("- **pairs**: accepted (protocol, cipher suite) pairs the tool reported; **suites**: distinct suite names.\n")
	p("  testssl.sh `-e` lists each cipher once without its protocol, so only distinct suites are given.\n\n")
	p("Commands (ADDR = proxy address):\n\n")
	p("- vouch: `vouch probe tls https://ADDR --json` (count from `tls[].cipher_suites[].accepted`)\n")
	p("- sslscan: `sslscan --no-colour --xml=F ADDR` (count `cipher` elements with status accepted/preferred)\n")
	p("- nmap: `nmap -Pn -n -p PORT --script ssl-enum-ciphers -oX F 127.0.0.1` (count `<elem key=\"name\">` in the XML)\n")
	p("- testssl.sh: `testssl.sh -e -p --quiet --color 0 --warnings off --openssl /usr/bin/openssl --jsonfile F ADDR` (count `cipher_x*` ids not \"not offered\"; Debian installs it as `testssl`)\n\n")
	p("Versions: sslscan `%s`; nmap `%s`; testssl.sh `%s`; openssl `%s`.\n\n",
		version("sslscan", "--version"), version("nmap", "--version"), testsslVersion(tools), version("openssl", "version"))
	p("Rerun: `go run ./bench` from the module root (flags: `-runs N`, `-out FILE`, `-vouch BIN`, `-skip-testssl`).\n\n")

	p("## Results\n\n")
	p("| server | tool | time (ms) | conns | pairs | suites | note |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, s := range servers {
		for _, t := range tools {
			r := res[s.Name][t.Name]
			if r.Skipped {
				p("| %s | %s | – | – | – | – | not installed / skipped |\n", s.Name, t.Name)
				continue
			}
			p("| %s | %s | %d | %d | %s | %s | %s |\n", s.Name, t.Name, r.Wall.Milliseconds(), r.Conns, num(r.Pairs), num(r.Uniq), esc(r.Err))
		}
	}
	p("\n## Ratios (other tool ÷ vouch)\n\n")
	p("| server | tool | time ratio | conns ratio |\n|---|---|---:|---:|\n")
	for _, s := range servers {
		v := res[s.Name]["vouch"]
		for _, t := range tools[1:] {
			r := res[s.Name][t.Name]
			if r.Skipped || v.Skipped || v.Wall == 0 || v.Conns == 0 {
				continue
			}
			p("| %s | %s | %.1f× | %.1f× |\n", s.Name, t.Name, r.Wall.Seconds()/v.Wall.Seconds(), float64(r.Conns)/float64(v.Conns))
		}
	}
	p("\n%s", notes)
	return b.String()
}

func testsslVersion(tools []*tool) string {
	for _, t := range tools {
		if strings.HasPrefix(t.Name, "testssl") {
			out, _ := exec.Command(t.Bin, "--version").CombinedOutput()
			if m := regexp.MustCompile(`testssl(?:\.sh)?\s+(\d\S*)`).FindSubmatch(ansi.ReplaceAll(out, nil)); m != nil {
				return string(m[1])
			}
		}
	}
	return "unknown"
}

func num(n int) string {
	if n < 0 {
		return "–"
	}
	return fmt.Sprint(n)
}

func esc(s string) string {
	s = strings.ReplaceAll(s, "|", "/")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

const notes = `## What each tool checks (the comparison is not like for like)

- **vouch** sends one ClientHello per protocol version (SSLv3–TLS 1.3), then enumerates suites per
  protocol by offering its whole list and removing the chosen suite each time (one connection per
  accepted suite plus one refusal), and reads the certificate. It does not test SSLv2, renegotiation,
  compression or Heartbleed, and does not enumerate key-exchange groups.
- **sslscan** (default options) also enumerates suites per protocol, and in the same run checks SSLv2,
  renegotiation, compression, Heartbleed, fallback SCSV and the supported key-exchange groups, and
  fetches the certificate; those extra checks account for part of its extra connections (not
  broken down here).
- **nmap ssl-enum-ciphers** enumerates suites per protocol in chunks, checks server preference order
  and named curves, and grades each suite; its time includes nmap's start-up and Lua script engine.
- **testssl.sh -e -p** checks protocols (SSLv2 to TLS 1.3, NPN, ALPN) and then tests every cipher in its
  own list (about 370, in chunks, via openssl and its bash sockets) across protocols, so it reports which
  suites exist but not on which protocol; it spawns many openssl and shell processes, which dominates its
  time. It ran once per server, not three times.
- Wall time includes process start-up for every tool (whole process vs whole process). On loopback
  network latency is near zero, so connection counts predict the gap better on real networks than the
  times here do: each extra connection costs at least one round trip on a real network.
- All tools reported the same number of accepted suites (and, where they say the protocol, the same
  number of protocol/suite pairs) on every server; the harness compares counts, not the names. vouch's time is a pure-Go single
  process with no child processes; the others pay for their own runtimes (nmap's script engine,
  testssl's bash + openssl).
`
