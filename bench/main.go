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
// With -rtt (default "0,50ms") every non-zero round-trip time adds a
// latency run (latency.go): the tools scan the TLS 1.0-1.3 server through a
// proxy that delays each direction by RTT/2 and counts connections and the
// most open at once, and a full `vouch scan` of a web origin and its mail
// domain runs through delaying proxies too (fullscan.go).
//
// With -fleet 10,100,1000 it runs only the fleet benchmark (fleet.go): one
// `vouch scan --targets` of N web origins and N mail domains at each -rtt,
// written to the "Fleet scans" section of BENCHMARKS.md, the rest kept.
//
// Run from the module root: go run ./bench
// Nothing leaves 127.0.0.1. It is not imported by any package.
package main

import (
	"context"
	"crypto/x509"
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
	Peak    int // most connections open at once to the target (median)
	Pairs   int // (protocol, suite) pairs reported accepted; -1 unknown
	Uniq    int // distinct suite names reported accepted; -1 unknown
	Err     string
	Skipped bool
	Found   findings
}

// findings is what a tool reported, in vouch's vocabulary: protocol names
// SSLv3 ... TLSv1.3 and IANA suite names.
type findings struct {
	// Protocols maps each protocol the tool reported on to whether it is
	// offered; nil when the tool does not say.
	Protocols map[string]bool
	// Suites are the accepted suites by protocol; a tool that does not
	// say the protocol (testssl -e) files them all under "*".
	Suites map[string][]string
	// IANA is false when suite names are the tool's own (sslscan prints
	// OpenSSL's): only counts compare.
	IANA bool
	// Probes breaks vouch's connections down by purpose.
	Probes *probeBreakdown
}

// probeBreakdown is vouch's connection count by purpose, from its JSON.
type probeBreakdown struct {
	Versions, Suites, Order, Groups, Fallback, Handshake int
}

// counts returns the (protocol, suite) pairs and distinct suites found;
// pairs is -1 when the tool does not say the protocol.
func (f findings) counts() (pairs, uniq int) {
	if f.Suites == nil {
		return -1, -1
	}
	seen := map[string]bool{}
	for proto, ss := range f.Suites {
		if proto == "*" {
			pairs = -1
		} else if pairs >= 0 {
			pairs += len(ss)
		}
		for _, s := range ss {
			seen[s] = true
		}
	}
	return pairs, len(seen)
}

// parity compares a tool's findings with vouch's: the protocols offered,
// and the accepted suites per protocol (by name when both use IANA names,
// else by count; as one set when the tool does not say the protocol).
// It returns "same" or what differs.
func parity(v, o findings) string {
	var diffs []string
	if o.Protocols != nil {
		for _, name := range []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"} {
			got, ok := o.Protocols[name]
			if ok && got != v.Protocols[name] {
				diffs = append(diffs, fmt.Sprintf("%s offered: vouch %v, tool %v", name, v.Protocols[name], got))
			}
		}
	}
	set := func(ss []string) []string {
		out := append([]string(nil), ss...)
		sort.Strings(out)
		return out
	}
	if all, ok := o.Suites["*"]; ok {
		var mine []string
		seen := map[string]bool{}
		for _, ss := range v.Suites {
			for _, s := range ss {
				if !seen[s] {
					seen[s] = true
					mine = append(mine, s)
				}
			}
		}
		if a, b := set(mine), set(all); strings.Join(a, ",") != strings.Join(b, ",") {
			diffs = append(diffs, fmt.Sprintf("suites: vouch %d, tool %d (%s)", len(a), len(b), setDiff(a, b)))
		}
	} else {
		for _, name := range []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"} {
			a, b := set(v.Suites[name]), set(o.Suites[name])
			same := len(a) == len(b)
			if o.IANA {
				same = strings.Join(a, ",") == strings.Join(b, ",")
			}
			if !same {
				diffs = append(diffs, fmt.Sprintf("%s suites: vouch %d, tool %d (%s)", name, len(a), len(b), setDiff(a, b)))
			}
		}
	}
	if len(diffs) == 0 {
		if o.IANA {
			return "same"
		}
		return "same (counts)"
	}
	return strings.Join(diffs, "; ")
}

// setDiff names what only one side has, shortly.
func setDiff(a, b []string) string {
	in := func(x string, l []string) bool {
		for _, y := range l {
			if x == y {
				return true
			}
		}
		return false
	}
	var only []string
	for _, x := range a {
		if !in(x, b) {
			only = append(only, "+"+x)
		}
	}
	for _, x := range b {
		if !in(x, a) {
			only = append(only, "-"+x)
		}
	}
	return strings.Join(only, " ")
}

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
	Run   func(ctx context.Context, addr, dir string) (findings, error)
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

// runVouch runs `vouch [global...] probe tls https://ADDR --json`.
func runVouch(bin string, global ...string) func(ctx context.Context, addr, dir string) (findings, error) {
	return func(ctx context.Context, addr, dir string) (findings, error) {
		args := append(append([]string(nil), global...), "probe", "tls", "https://"+addr, "--json")
		out, err := exec.CommandContext(ctx, bin, args...).Output()
		if err != nil {
			return findings{}, fmt.Errorf("bench: vouch: %w", err)
		}
		var snap struct {
			TLS []struct {
				Probes    int `json:"probes"`
				Protocols []struct {
					Name    string `json:"name"`
					Offered string `json:"offered"`
				} `json:"protocols"`
				CipherSuites []struct {
					Protocol    string   `json:"protocol"`
					Accepted    []string `json:"accepted"`
					ServerOrder string   `json:"server_order"`
					Probes      int      `json:"probes"`
				} `json:"cipher_suites"`
				Groups []struct {
					Probes int `json:"probes"`
				} `json:"groups"`
			} `json:"tls"`
		}
		if err := json.Unmarshal(out, &snap); err != nil {
			return findings{}, fmt.Errorf("bench: vouch json: %w", err)
		}
		f := findings{Protocols: map[string]bool{}, Suites: map[string][]string{}, IANA: true, Probes: &probeBreakdown{}}
		for _, t := range snap.TLS {
			pb := f.Probes
			pb.Versions = len(t.Protocols)
			offered := 0
			for _, p := range t.Protocols {
				f.Protocols[p.Name] = p.Offered == "yes"
				if p.Offered == "yes" {
					offered++
				}
			}
			for _, c := range t.CipherSuites {
				f.Suites[c.Protocol] = append(f.Suites[c.Protocol], c.Accepted...)
				// An enumeration is its version probe, one hello per
				// accepted suite after the first, one refused, and the
				// order test when two or more were accepted.
				order := 0
				if len(c.Accepted) >= 2 {
					order = 1
				}
				pb.Order += order
				pb.Suites += c.Probes - 1 - order
			}
			for _, g := range t.Groups {
				pb.Groups += g.Probes
			}
			if offered >= 2 {
				pb.Fallback = 1
			}
			pb.Handshake = t.Probes - pb.Versions - pb.Suites - pb.Order - pb.Groups - pb.Fallback
		}
		return f, nil
	}
}

func runSSLScan(ctx context.Context, addr, dir string) (findings, error) {
	f := filepath.Join(dir, "sslscan.xml")
	if _, err := run(ctx, "sslscan", "--no-colour", "--xml="+f, addr); err != nil {
		return findings{}, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return findings{}, err
	}
	var doc struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"ssltest>protocol"`
		Ciphers []struct {
			Status  string `xml:"status,attr"`
			Version string `xml:"sslversion,attr"`
			Cipher  string `xml:"cipher,attr"`
		} `xml:"ssltest>cipher"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return findings{}, fmt.Errorf("bench: sslscan xml: %w", err)
	}
	names := map[string]string{"ssl3": "SSLv3", "tls1.0": "TLSv1.0", "tls1.1": "TLSv1.1", "tls1.2": "TLSv1.2", "tls1.3": "TLSv1.3"}
	out := findings{Protocols: map[string]bool{}, Suites: map[string][]string{}}
	for _, p := range doc.Protocols {
		if n, ok := names[p.Type+p.Version]; ok {
			out.Protocols[n] = p.Enabled == "1"
		}
	}
	for _, c := range doc.Ciphers {
		if c.Status == "accepted" || c.Status == "preferred" {
			out.Suites[c.Version] = append(out.Suites[c.Version], c.Cipher)
		}
	}
	return out, nil
}

// nmapTable is a <table> of nmap's XML script output.
type nmapTable struct {
	Key    string      `xml:"key,attr"`
	Tables []nmapTable `xml:"table"`
	Elems  []struct {
		Key   string `xml:"key,attr"`
		Value string `xml:",chardata"`
	} `xml:"elem"`
}

func runNmap(ctx context.Context, addr, dir string) (findings, error) {
	host, port, _ := net.SplitHostPort(addr)
	f := filepath.Join(dir, "nmap.xml")
	if _, err := run(ctx, "nmap", "-Pn", "-n", "-p", port, "--script", "ssl-enum-ciphers", "-oX", f, host); err != nil {
		return findings{}, err
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return findings{}, err
	}
	var doc struct {
		Scripts []struct {
			ID     string      `xml:"id,attr"`
			Tables []nmapTable `xml:"table"`
		} `xml:"host>ports>port>script"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return findings{}, fmt.Errorf("bench: nmap xml: %w", err)
	}
	// nmap names every version it found; one it does not name is not offered.
	out := findings{Protocols: map[string]bool{"SSLv3": false, "TLSv1.0": false, "TLSv1.1": false, "TLSv1.2": false, "TLSv1.3": false},
		Suites: map[string][]string{}, IANA: true}
	for _, sc := range doc.Scripts {
		if sc.ID != "ssl-enum-ciphers" {
			continue
		}
		for _, proto := range sc.Tables {
			out.Protocols[proto.Key] = true
			for _, t := range proto.Tables {
				if t.Key != "ciphers" {
					continue
				}
				for _, c := range t.Tables {
					for _, e := range c.Elems {
						if e.Key == "name" {
							// nmap 7.93 still uses the draft TLS 1.3 names.
							out.Suites[proto.Key] = append(out.Suites[proto.Key], strings.Replace(e.Value, "TLS_AKE_WITH_", "TLS_", 1))
						}
					}
				}
			}
		}
	}
	return out, nil
}

func runTestssl(bin string) func(ctx context.Context, addr, dir string) (findings, error) {
	return func(ctx context.Context, addr, dir string) (findings, error) {
		f := filepath.Join(dir, "testssl.json")
		_ = os.Remove(f)
		_, err := run(ctx, bin, "-e", "-p", "--quiet", "--color", "0", "--warnings", "off",
			"--openssl", "/usr/bin/openssl", "--jsonfile", f, addr)
		b, rerr := os.ReadFile(f)
		if rerr != nil {
			if err == nil {
				err = rerr
			}
			return findings{}, err
		}
		var items []struct {
			ID      string `json:"id"`
			Finding string `json:"finding"`
		}
		if jerr := json.Unmarshal(b, &items); jerr != nil {
			return findings{}, fmt.Errorf("bench: testssl json: %w", jerr)
		}
		protos := map[string]string{"SSLv3": "SSLv3", "TLS1": "TLSv1.0", "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2", "TLS1_3": "TLSv1.3"}
		out := findings{Protocols: map[string]bool{}, Suites: map[string][]string{}, IANA: true}
		for _, it := range items {
			if n, ok := protos[it.ID]; ok {
				out.Protocols[n] = strings.HasPrefix(it.Finding, "offered")
			}
			// -e lists each cipher once ("cipher_xNN"), not per protocol;
			// the finding ends with the IANA name.
			if strings.HasPrefix(it.ID, "cipher_x") && !strings.Contains(it.Finding, "not offered") {
				fs := strings.Fields(it.Finding)
				if len(fs) > 0 {
					out.Suites["*"] = append(out.Suites["*"], fs[len(fs)-1])
				}
			}
		}
		// testssl exits non-zero when it found issues; that is not a failure.
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			return out, err
		}
		return out, nil
	}
}

// measure runs one tool once through px, on a proxy reset before it:
// the whole process's wall time, then (once the proxy has seen its last
// connection end, at most idle later) the connections and the peak.
func measure(ctx context.Context, px *latencyProxy, run func(ctx context.Context, addr, dir string) (findings, error), dir string, idle time.Duration) result {
	px.reset()
	tctx, cancel := context.WithTimeout(ctx, 300*time.Second)
	start := time.Now()
	found, err := run(tctx, px.addr(), dir)
	wall := time.Since(start)
	cancel()
	time.Sleep(200 * time.Millisecond) // let queued accepts land
	px.waitIdle(idle)
	pairs, uniq := found.counts()
	r := result{Wall: wall, Conns: px.conns(), Peak: px.peak(), Pairs: pairs, Uniq: uniq, Found: found}
	if err != nil {
		r.Err = err.Error()
	}
	return r
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
	ps := make([]int, len(rs))
	for i, r := range rs {
		ps[i] = r.Peak
	}
	sort.Ints(ps)
	m.Peak = ps[len(ps)/2]
	return m
}

func main() {
	runs := flag.Int("runs", 3, "runs per tool and server (testssl.sh always runs once)")
	out := flag.String("out", "BENCHMARKS.md", "markdown file to write")
	vouchBin := flag.String("vouch", "", "prebuilt vouch binary (default: go build ./cmd/vouch)")
	skipTestssl := flag.Bool("skip-testssl", false, "do not run testssl.sh")
	skipInProcess := flag.Bool("skip-inprocess", false, "do not run the in-process scan benchmark (go test -bench)")
	skipWAF := flag.Bool("skip-waf", false, "do not measure the WAF engine (it builds vouch-waf, which links nuclei)")
	skipLoopback := flag.Bool("skip-loopback", false, "do not run the loopback comparison on the three servers (RTT 0)")
	skipLatency := flag.Bool("skip-latency", false, "do not run the latency phase (every non-zero -rtt)")
	rttList := flag.String("rtt", "0,50ms", "comma list of round-trip times; 0 is the loopback comparison, each other one a latency run")
	latRuns := flag.Int("lat-runs", 3, "runs of sslscan and nmap per latency (vouch: 5, testssl.sh: 1)")
	skipFull := flag.Bool("skip-fullscan", false, "in the latency phase, do not run the full vouch-scan row")
	fullOnly := flag.Bool("fullscan-only", false, "in the latency phase, run only the full vouch-scan row (a quick check of that deployment)")
	skipSingle := flag.Bool("skip-single", false, "in the latency phase, scan only the pool of s_server processes, not also the one s_server")
	bw := flag.String("bw", "", "bandwidth cap of the latency runs, per direction, shared by a proxy's connections (e.g. 10MB = 10^7 bytes/s, 512KiB; default none)")
	fleetList := flag.String("fleet", "", "comma list of target counts (e.g. 10,100,1000): run only the fleet benchmark at each -rtt and update only the \"Fleet scans\" section of -out")
	flag.Parse()
	o := options{runs: *runs, outPath: *out, vouchBin: *vouchBin, skipTestssl: *skipTestssl, skipInProcess: *skipInProcess,
		skipWAF: *skipWAF, skipLoopback: *skipLoopback, skipLatency: *skipLatency, latRuns: *latRuns, skipFull: *skipFull, fullOnly: *fullOnly, skipSingle: *skipSingle}
	var err error
	if o.rtts, err = parseRTTs(*rttList); err == nil {
		o.bw, err = parseBandwidth(*bw)
	}
	if err == nil && *fleetList != "" {
		var ns []int
		if ns, err = parseFleet(*fleetList); err == nil {
			err = fleetMain(o, ns, "go run ./bench -fleet "+*fleetList+" -rtt "+*rttList)
		}
	} else if err == nil {
		err = mainErr(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// options are the command line's.
type options struct {
	runs                                int
	outPath, vouchBin                   string
	skipTestssl, skipInProcess, skipWAF bool
	skipLoopback, skipLatency           bool
	rtts                                []time.Duration // as given; 0 = the loopback comparison
	latRuns                             int
	skipFull, fullOnly                  bool
	skipSingle                          bool
	bw                                  float64 // bytes/s, 0 = none
}

// loopback is whether the RTT-0 comparison runs.
func (o options) loopback() bool {
	if o.skipLoopback {
		return false
	}
	for _, r := range o.rtts {
		if r == 0 {
			return true
		}
	}
	return false
}

func mainErr(o options) error {
	runs, outPath, vouchBin, skipTestssl, skipInProcess, skipWAF := o.runs, o.outPath, o.vouchBin, o.skipTestssl, o.skipInProcess, o.skipWAF
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
		// vouch runs are short, so one busy moment of a shared machine
		// moves them most: take the median of more of them.
		{Name: "vouch", Runs: 5 * runs, Bin: vouchBin, Run: runVouch(vouchBin)},
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
		if !o.loopback() {
			break
		}
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
		px, err := newLatencyProxy(backend, 0, 0)
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
				r := measure(ctx, px, t.Run, dir, 5*time.Second)
				fmt.Fprintf(os.Stderr, "%-14s %-22s run %d: %8.2fs %5d conns pairs=%d uniq=%d %s\n",
					s.Name, t.Name, i+1, r.Wall.Seconds(), r.Conns, r.Pairs, r.Uniq, r.Err)
				rs = append(rs, r)
			}
			res[s.Name][t.Name] = median(rs)
		}
		px.close()
		stop()
	}
	var lat *latencyResults
	if !o.skipLatency && len(nonZero(o.rtts)) > 0 {
		if lat, err = latencyPhase(ctx, o, tools, dir, cert, key); err != nil {
			return err
		}
	}
	var md string
	if o.loopback() {
		startup := processStart(ctx, vouchBin, 20)
		var inproc []inProcess
		if !skipInProcess {
			if inproc, err = scanInProcess(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
		md = render(tools, res, runs, timing{startup: startup, roots: rootsLoad, inproc: inproc})
	} else {
		md = renderLatencyOnlyHeader(tools)
	}
	if lat != nil {
		md += renderLatency(lat, res, o)
	}
	if !skipWAF {
		// vouch-waf is built next to a fresh vouch: the start-up table
		// compares the two binaries of one build.
		binDir := filepath.Join(dir, "bin")
		if _, err := run(ctx, "go", "build", "-o", binDir+string(os.PathSeparator), "./cmd/vouch", "./cmd/vouch-waf"); err != nil {
			return err
		}
		section, err := wafSection(ctx, binDir, 2*runs+1)
		if err != nil {
			return err
		}
		md += section
	}
	// The fleet section is written by -fleet alone: keep the one there is.
	if prev, err := os.ReadFile(outPath); err == nil {
		if sec := section(string(prev), fleetHeading); sec != "" {
			md = strings.TrimRight(md, "\n") + "\n\n" + sec
		}
	}
	return os.WriteFile(outPath, []byte(md), 0o644)
}

// timing is what vouch's whole-process time is made of.
type timing struct {
	startup time.Duration // `vouch version`
	roots   time.Duration // loading the system roots, once per process
	inproc  []inProcess   // the scan alone, per server, in order
}

// inProcess is one line of BenchmarkScanOpenSSL.
type inProcess struct {
	perScan time.Duration
	conns   float64
}

var benchLine = regexp.MustCompile(`^BenchmarkScanOpenSSL/(\S+?)-\d+\s+\d+\s+(\d+) ns/op\s+([\d.]+) conns/op`)

// scanInProcess runs the package benchmark that scans the same three
// s_server configurations in-process (no process start, no proxy).
func scanInProcess(ctx context.Context) ([]inProcess, error) {
	out, err := run(ctx, "go", "test", "-run", "^$", "-bench", "ScanOpenSSL", "-benchtime", "20x", "./scanners/tlsscan/")
	if err != nil {
		return nil, err
	}
	var res []inProcess
	for _, l := range strings.Split(string(out), "\n") {
		if m := benchLine.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			var ns int64
			var conns float64
			fmt.Sscan(m[2], &ns)
			fmt.Sscan(m[3], &conns)
			res = append(res, inProcess{perScan: time.Duration(ns), conns: conns})
		}
	}
	if len(res) != len(servers) {
		return nil, fmt.Errorf("bench: in-process benchmark gave %d lines, want %d:\n%s", len(res), len(servers), tail(out))
	}
	return res, nil
}

// rootsLoad is how long this process took to load the system roots the
// first time: what a vouch process pays when no --ca-file is given.
var rootsLoad = func() time.Duration {
	start := time.Now()
	_, _ = x509.SystemCertPool()
	return time.Since(start)
}()

// processStart is the median wall time of `vouch version`: what every
// vouch process pays before it scans anything.
func processStart(ctx context.Context, bin string, n int) time.Duration {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if err := exec.CommandContext(ctx, bin, "version").Run(); err != nil {
			return 0
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
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

func render(tools []*tool, res map[string]map[string]result, runs int, tm timing) string {
	startup := tm.startup
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
	p("\nEach tool scans a TCP counting proxy (`bench/latency.go` with no delay) that forwards to the server, so every tool's\n")
	p("connections are counted the same way. Per tool and server:\n\n")
	p("- **time**: wall time of the whole tool process (start to exit), median of %d runs (vouch: %d);\n", runs, 5*runs)
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
	p("Rerun: `go run ./bench` from the module root (flags: `-runs N`, `-out FILE`, `-vouch BIN`, `-skip-testssl`, `-skip-inprocess`, `-skip-waf`, `-skip-loopback`, `-skip-latency`, `-skip-fullscan`, `-fullscan-only`, `-rtt LIST`, `-lat-runs N`, `-bw RATE`; `-fleet 10,100,1000` runs only the fleet section).\n\n")

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

	p("\n## Findings parity (same server, other tool vs vouch)\n\n")
	p("Protocols offered (SSLv3 to TLS 1.3) and accepted suites per protocol, compared by IANA name\n")
	p("(nmap's draft TLS 1.3 names `TLS_AKE_WITH_*` mapped to the RFC 8446 ones). testssl.sh `-e` does not\n")
	p("say the protocol of a suite, so its distinct suites are compared as one set. sslscan prints OpenSSL\n")
	p("names, so here only its per-protocol counts compare; `scanners/tlsscan/sslscan_test.go` compares its\n")
	p("suites by code point, and its key-exchange groups and DH sizes, on 18 servers.\n\n")
	p("| server | tool | protocols and suites |\n|---|---|---|\n")
	for _, s := range servers {
		v := res[s.Name]["vouch"]
		for _, t := range tools[1:] {
			r := res[s.Name][t.Name]
			if r.Skipped || v.Skipped || r.Err != "" || v.Err != "" {
				continue
			}
			p("| %s | %s | %s |\n", s.Name, t.Name, esc(parity(v.Found, r.Found)))
		}
	}

	p("\n## Where vouch's connections and time go\n\n")
	p("vouch's connections by purpose (from its JSON): one ClientHello per protocol version; suite\n")
	p("enumeration (one hello per accepted suite beyond the version probe's, plus one refused); one\n")
	p("server-order test per protocol with two or more suites; key-exchange group enumeration (TLS 1.2\n")
	p("curves over the accepted ECDHE suites, TLS 1.3 groups via HelloRetryRequest: accepted + 1, + 1 order\n")
	p("test); one TLS_FALLBACK_SCSV hello when two or more versions are offered; the full handshake.\n\n")
	p("| server | versions | suites | order | groups | fallback | handshake | total | accepted pairs |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range servers {
		v := res[s.Name]["vouch"]
		if pb := v.Found.Probes; pb != nil {
			p("| %s | %d | %d | %d | %d | %d | %d | %d | %d |\n", s.Name, pb.Versions, pb.Suites, pb.Order, pb.Groups, pb.Fallback, pb.Handshake,
				pb.Versions+pb.Suites+pb.Order+pb.Groups+pb.Fallback+pb.Handshake, v.Pairs)
		}
	}
	p("\nThe total matches the proxy's count (conns above). The earlier run of this benchmark (before groups\n")
	p("and fallback) showed one connection more than \"accepted + 1 per protocol\" on the TLS 1.2-only and\n")
	p("TLS 1.3-only servers: that connection is the server-order test (the accepted suites offered once in\n")
	p("reverse), which every protocol with two or more accepted suites gets; it is what tells the server's\n")
	p("preference from the client's, and it is counted in `cipher_suites[].probes`.\n\n")
	if startup > 0 {
		p("What one vouch process is made of:\n\n")
		p("- **process start**: `vouch version` takes **%.1f ms** (median of 20): the Go runtime, package\n", ms(startup))
		p("  initialisation (cobra/viper, zcrypto, publicsuffix tables), no I/O. Every vouch command pays it.\n")
		p("- **system roots**: `x509.SystemCertPool()` reads `/etc/ssl/certs/ca-certificates.crt` and then every file\n")
		p("  of `/etc/ssl/certs`: **%.1f ms** in this process. Without `--ca-file` vouch passes no pool and tlsscan\n", ms(tm.roots))
		p("  loads it in the background while it probes, so most of it overlaps the scan.\n")
		p("- **the scan**: `BenchmarkScanOpenSSL` in `scanners/tlsscan` scans the same three servers in-process,\n")
		p("  without the proxy (mean of 20 scans per server): the column *in-process* below.\n")
		p("- the rest (*other*) is what of the system roots does not overlap, the counting proxy (one extra dial per connection),\n")
		p("  JSON output, and waiting for a CPU on a 2-core machine that the servers, the proxy and the other\n")
		p("  tools share.\n\n")
		p("| server | vouch wall (ms) | start (ms) | in-process scan (ms) | other (ms) | conns | in-process ms per conn |\n|---|---:|---:|---:|---:|---:|---:|\n")
		for i, s := range servers {
			v := res[s.Name]["vouch"]
			if v.Skipped || v.Conns == 0 {
				continue
			}
			if i < len(tm.inproc) {
				in := tm.inproc[i]
				p("| %s | %.1f | %.1f | %.1f | %.1f | %d | %.2f |\n", s.Name, ms(v.Wall), ms(startup), ms(in.perScan),
					ms(v.Wall-startup-in.perScan), v.Conns, ms(in.perScan)/in.conns)
			} else {
				p("| %s | %.1f | %.1f | – | %.1f | %d | – |\n", s.Name, ms(v.Wall), ms(startup), ms(v.Wall-startup), v.Conns)
			}
		}
		p("\n")
	}
	p("\n%s", notes)
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

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
  accepted suite plus one refusal, plus one server-order test), enumerates key-exchange groups the
  same way (TLS 1.2 curves, TLS 1.3 groups including X25519MLKEM768), reads DH sizes and
  renegotiation_info from hellos it sends anyway, sends one TLS_FALLBACK_SCSV hello, and reads the
  certificate chain (OCSP staple, SCTs) in one full handshake. It does not test SSLv2, client-initiated
  renegotiation, compression or Heartbleed.
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
- Findings parity is in its own table above: nmap and testssl.sh are compared with vouch by suite
  name, sslscan by count (its names are OpenSSL's). vouch's time is a pure-Go single process with no
  child processes; the others pay for their own runtimes (nmap's script engine, testssl's bash +
  openssl).
- Targets of the issue: ≥10× faster than sslscan and 1,000× faster than testssl.sh, whole process.
  The sslscan ratio holds on every server. The testssl.sh ratio cannot be met on loopback by a scan
  that opens one connection per accepted suite: on an idle machine testssl.sh takes 8–10 s (its
  start-up alone is about 8 s), so 1,000× means ≤ 8–10 ms for the whole vouch process, while vouch's
  process start alone is 8–12 ms here and each of its 22–65 connections costs a TCP handshake and a
  TLS hello answered by a single-threaded s_server (an (EC)DHE answer includes a signature). Where
  the ratio reaches 1,000× in the table it is because testssl.sh ran slower on a busy machine, not
  because vouch got faster. The measured split is in the table above; nothing is excluded from
  vouch's times.
`
