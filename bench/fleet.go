package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/pki"
)

// The fleet benchmark (-fleet 10,100,1000): `vouch scan --targets FILE`
// of N web origins and N mail domains at once, every byte through
// counting (and, at a non-zero RTT, delaying) proxies.
//
// Target i is https://dNNNN.fleet.test and the mail domain
// dNNNN.fleet.test. Each web target has a loopback address of its own
// (127.20.x.y), as the hosts of a real fleet have: vouch's --per-host
// budget is per IP address, so 1,000 targets on 127.0.0.1 would share
// one budget of 8 connections, which no fleet does. On that address a
// latency proxy listens on :443 (to the target's Go HTTPS server on
// 127.0.0.1) and one on :80 (to its plain-HTTP redirect), so that vouch
// finds the plain-HTTP origin; when :443 cannot be bound the proxies
// take free ports and there is no redirect claim. All servers are in this
// process. Configurations by index (i mod 5): modern (TLS 1.2+1.3, HSTS,
// Secure; HttpOnly cookie), legacy (TLS 1.0 and 1.1 enabled too), no
// HSTS, bad cookie (neither Secure nor HttpOnly), expired certificate.
// Mail by index (i mod 7): DMARC p=none, no SPF, a 1024-bit DKIM key,
// else SPF -all, DMARC p=reject and a 2048-bit key.
//
// The DNS server (internal/dnstest, miekg/dns) holds the whole zone and
// sits behind the UDP forwarder and TCP proxy of fullscan.go on
// 127.0.0.2, delaying RTT/2 each way (none at RTT 0).
//
// Each run checks the report: every designed defect must come back
// contradicted on its target, and every other judged finding verified;
// a run where no target was observed is an error, not a figure.

const fleetZone = "fleet.test"

// fleetWeb and fleetMail are the designed configurations.
var fleetWeb = []string{"modern", "legacy", "no HSTS", "bad cookie", "expired cert"}
var fleetMail = []string{"DMARC p=none", "no SPF", "DKIM 1024 bits", "good", "good", "good", "good"}

// fleetExpect is the control id that must be contradicted on web target
// i and on mail domain i ("" for none).
func fleetExpect(i int) (web []string, mail string) {
	switch i % 5 {
	case 1:
		web = []string{"tls-min", "tls-legacy"}
	case 2:
		web = []string{"hsts"}
	case 3:
		web = []string{"cookies"}
	case 4:
		// RFC 6797 §8.1: a Strict-Transport-Security header received
		// over a connection with certificate errors is ignored.
		web = []string{"tls-cert", "hsts"}
	}
	switch i % 7 {
	case 0:
		mail = "dmarc"
	case 1:
		mail = "spf"
	case 2:
		mail = "dkim"
	}
	return
}

func fleetName(i int) string { return fmt.Sprintf("d%04d.%s", i+1, fleetZone) }

func fleetIP(i int) string { return fmt.Sprintf("127.20.%d.%d", i/250, i%250+1) }

// fleetRow is one scan of N targets at one RTT.
type fleetRow struct {
	N        int
	RTT      time.Duration
	Wall     time.Duration
	MaxRSSMB float64
	Conns    int64 // web connections (:443 and :80 proxies)
	DNSUDP   int64
	DNSTCP   int64
	Observed int // targets (web + mail) with a verified or contradicted finding
	Targets  int // web + mail
	Findings map[string]int
	Mismatch []string // designed vs reported
	Exit     int
	Err      string
}

// fleet is the running deployment of the largest N.
type fleet struct {
	n        int
	redirect bool
	web      []*latencyProxy // :443, by index
	plain    []*latencyProxy // :80
	srvs     []*http.Server
	dns      *dnstest.Server
	udp      *udpDelay
	tcp      *latencyProxy
	resolver string
	caPath   string
	origins  []string
}

func (f *fleet) close() {
	for _, p := range f.web {
		p.close()
	}
	for _, p := range f.plain {
		p.close()
	}
	for _, s := range f.srvs {
		_ = s.Close()
	}
	if f.udp != nil {
		f.udp.close()
	}
	if f.tcp != nil {
		f.tcp.close()
	}
	if f.dns != nil {
		f.dns.Close()
	}
}

// raiseNoFile sets RLIMIT_NOFILE to its hard limit: the fleet holds four
// listeners per target and the proxies two sockets per connection.
func raiseNoFile() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Cur
}

func fleetHandler(hsts, goodCookie bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hsts {
			w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if r.URL.Path == "/" {
			c := &http.Cookie{Name: "session", Value: "fleet", Path: "/"}
			if goodCookie {
				c.Secure, c.HttpOnly, c.SameSite = true, true, http.SameSiteLaxMode
			}
			http.SetCookie(w, c)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>fleet</title><h1>fleet</h1>")
			return
		}
		http.NotFound(w, r)
	})
}

func dkimTXT(bits int) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", err
	}
	p := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
	var chunks []string
	for len(p) > 0 {
		n := min(250, len(p))
		chunks = append(chunks, strconv.Quote(p[:n]))
		p = p[n:]
	}
	return strings.Join(chunks, " "), nil
}

// startFleet starts n targets with proxies delaying d each way.
func startFleet(dir string, n int, d time.Duration, bw float64) (*fleet, error) {
	f := &fleet{n: n, redirect: true}
	ok := false
	defer func() {
		if !ok {
			f.close()
		}
	}()
	ca, err := pki.NewCA("vouch fleet bench CA")
	if err != nil {
		return nil, err
	}
	if f.caPath, err = ca.WriteFile(dir, "fleet-ca.pem"); err != nil {
		return nil, err
	}
	good, err := ca.Issue(pki.LeafOptions{Hosts: []string{"*." + fleetZone}})
	if err != nil {
		return nil, err
	}
	expired, err := ca.Issue(pki.LeafOptions{Hosts: []string{"*." + fleetZone},
		NotBefore: time.Now().AddDate(0, 0, -60), NotAfter: time.Now().AddDate(0, 0, -1)})
	if err != nil {
		return nil, err
	}
	goodCert, expiredCert := good.TLSCertificate(ca, false), expired.TLSCertificate(ca, false)
	dkim2048, err := dkimTXT(2048)
	if err != nil {
		return nil, err
	}
	dkim1024, err := dkimTXT(1024)
	if err != nil {
		return nil, err
	}
	var zone strings.Builder
	zone.WriteString("@ IN SOA ns.fleet.test. hostmaster.fleet.test. 2026120301 3600 600 86400 300\n@ IN NS ns.fleet.test.\nns IN A 127.0.0.1\nmx IN A 127.0.0.1\n")
	quiet := log.New(io.Discard, "", 0)
	for i := 0; i < n; i++ {
		ip := fleetIP(i)
		hl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		pl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			hl.Close()
			return nil, err
		}
		tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{goodCert}}
		switch i % 5 {
		case 1:
			tc.MinVersion = tls.VersionTLS10
		case 4:
			tc.Certificates = []tls.Certificate{expiredCert}
		}
		hs := &http.Server{Handler: fleetHandler(i%5 != 2, i%5 != 3), TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
		go hs.ServeTLS(hl, "", "")
		name := fleetName(i)
		ps := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://"+name+r.URL.RequestURI(), http.StatusMovedPermanently)
		}), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
		go ps.Serve(pl)
		f.srvs = append(f.srvs, hs, ps)

		var wl, xl net.Listener
		if f.redirect {
			if wl, err = net.Listen("tcp", ip+":443"); err == nil {
				if xl, err = net.Listen("tcp", ip+":80"); err != nil {
					wl.Close()
				}
			}
			if err != nil {
				if i > 0 {
					return nil, fmt.Errorf("bench: fleet: %s: %w", ip, err)
				}
				f.redirect = false
			}
		}
		if !f.redirect {
			if wl, err = net.Listen("tcp", ip+":0"); err != nil {
				return nil, err
			}
			if xl, err = net.Listen("tcp", ip+":0"); err != nil {
				wl.Close()
				return nil, err
			}
		}
		f.web = append(f.web, latencyProxyOn(wl, hl.Addr().String(), d, bw))
		f.plain = append(f.plain, latencyProxyOn(xl, pl.Addr().String(), d, bw))
		origin := "https://" + name
		if !f.redirect {
			origin += ":" + strconv.Itoa(wl.Addr().(*net.TCPAddr).Port)
		}
		f.origins = append(f.origins, origin)

		rel := strings.TrimSuffix(name, "."+fleetZone)
		fmt.Fprintf(&zone, "%s IN A %s\n%s IN MX 10 mx.fleet.test.\n", rel, ip, rel)
		if i%7 != 1 {
			fmt.Fprintf(&zone, "%s IN TXT \"v=spf1 ip4:127.0.0.1 -all\"\n", rel)
		}
		pol := "reject"
		if i%7 == 0 {
			pol = "none"
		}
		fmt.Fprintf(&zone, "_dmarc.%s IN TXT \"v=DMARC1; p=%s; rua=mailto:dmarc@%s\"\n", rel, pol, name)
		key := dkim2048
		if i%7 == 2 {
			key = dkim1024
		}
		fmt.Fprintf(&zone, "fleet._domainkey.%s IN TXT %s\n", rel, key)
	}
	if f.dns, err = dnstest.Start(fleetZone, zone.String()); err != nil {
		return nil, err
	}
	upc, tln, err := listenUDPTCP()
	if err != nil {
		return nil, err
	}
	f.udp = newUDPDelay(upc, f.dns.Addr, d)
	f.tcp = latencyProxyOn(tln, f.dns.Addr, d, bw)
	f.resolver = upc.LocalAddr().String()
	ok = true
	return f, nil
}

func fleetTrust(redirect bool) string {
	var b strings.Builder
	b.WriteString(`version: 1
organization:
  name: Fleet Co
  security_contact: mailto:security@fleet.test
scope:
  dkim_selectors: [fleet]
controls:
`)
	c := func(id, kind, params string) {
		fmt.Fprintf(&b, "  - id: %s\n    section: Fleet\n    statement: %s holds.\n    verify: {kind: %s%s}\n", id, kind, kind, params)
	}
	c("tls-min", "tls.min_version", `, min: "1.2"`)
	c("tls-legacy", "tls.legacy_protocols_disabled", "")
	c("tls-cert", "tls.certificate_valid", "")
	if redirect {
		c("https-redirect", "http.https_redirect", "")
	}
	c("hsts", "http.hsts", "")
	c("cookies", "http.cookies_secure", "")
	c("spf", "email.spf", "")
	c("dmarc", "email.dmarc", `, min_policy: reject`)
	c("dkim", "email.dkim", "")
	return b.String()
}

// checkFleetReport compares report.json with the designed defects of the
// first n targets.
func checkFleetReport(path string, f *fleet, n int, row *fleetRow) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var rep struct {
		Controls []struct {
			Control struct {
				ID string `json:"id"`
			} `json:"control"`
			Findings []struct {
				Target  string `json:"target"`
				Verdict string `json:"verdict"`
				Reason  *struct {
					Reason string `json:"reason"`
					Detail string `json:"detail"`
				} `json:"reason"`
			} `json:"findings"`
		} `json:"controls"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("report.json: %w", err)
	}
	// verdict of (target, control); a control may give a target several
	// findings: contradicted wins, then verified.
	got := map[string]map[string]string{}
	why := map[string]string{} // target + " " + control: an inconclusive finding's reason
	row.Findings = map[string]int{}
	for _, c := range rep.Controls {
		for _, fd := range c.Findings {
			row.Findings[fd.Verdict]++
			m := got[fd.Target]
			if m == nil {
				m = map[string]string{}
				got[fd.Target] = m
			}
			if old := m[c.Control.ID]; old != "contradicted" && (fd.Verdict == "contradicted" || old == "" || fd.Verdict == "verified") {
				m[c.Control.ID] = fd.Verdict
				if fd.Verdict == "inconclusive" && fd.Reason != nil {
					why[fd.Target+" "+c.Control.ID] = fd.Reason.Reason + ": " + fd.Reason.Detail
				}
			}
		}
	}
	webIDs := []string{"tls-min", "tls-legacy", "tls-cert", "hsts", "cookies"}
	if f.redirect {
		webIDs = append(webIDs, "https-redirect")
	}
	mailIDs := []string{"spf", "dmarc", "dkim"}
	observed := func(m map[string]string) bool {
		for _, v := range m {
			if v == "verified" || v == "contradicted" {
				return true
			}
		}
		return false
	}
	// The target key of findings: the origin as written, or the domain.
	find := func(keys ...string) map[string]string {
		for _, k := range keys {
			if m, ok := got[k]; ok {
				return m
			}
		}
		return nil
	}
	judge := func(target string, m map[string]string, ids, bad []string) {
		for _, id := range ids {
			want := "verified"
			for _, x := range bad {
				if x == id {
					want = "contradicted"
				}
			}
			if v := m[id]; v != want {
				msg := fmt.Sprintf("%s %s: %s, want %s", target, id, or0(v), want)
				if r := why[target+" "+id]; r != "" && v == "inconclusive" {
					msg += " (" + r + ")"
				}
				row.Mismatch = append(row.Mismatch, msg)
			}
		}
	}
	row.Targets = 2 * n
	for i := 0; i < n; i++ {
		web, mail := fleetExpect(i)
		wm := find(f.origins[i], f.origins[i]+"/")
		if observed(wm) {
			row.Observed++
		}
		judge(f.origins[i], wm, webIDs, web)
		mm := find(fleetName(i))
		if observed(mm) {
			row.Observed++
		}
		var mb []string
		if mail != "" {
			mb = []string{mail}
		}
		judge(fleetName(i), mm, mailIDs, mb)
	}
	if row.Observed == 0 {
		return fmt.Errorf("bench: fleet: none of the %d targets was observed (every finding inconclusive or missing): %v", row.Targets, row.Findings)
	}
	return nil
}

func or0(s string) string {
	if s == "" {
		return "no finding"
	}
	return s
}

// runFleet starts the fleet at each RTT and scans each N of it once.
func runFleet(ctx context.Context, o options, vouchBin, dir string, ns []int) ([]fleetRow, *fleet, error) {
	limit := raiseNoFile()
	maxN := 0
	for _, n := range ns {
		maxN = max(maxN, n)
	}
	if need := uint64(12*maxN + 256); limit != 0 && limit < need {
		return nil, nil, fmt.Errorf("bench: fleet: RLIMIT_NOFILE is %d, want at least %d for %d targets", limit, need, maxN)
	}
	var rows []fleetRow
	var last *fleet
	for _, rtt := range o.rtts {
		// The next fleet binds the same addresses.
		if last != nil {
			last.close()
			last = nil
		}
		fdir, err := os.MkdirTemp(dir, "fleet-")
		if err != nil {
			return rows, nil, err
		}
		start := time.Now()
		f, err := startFleet(fdir, maxN, rtt/2, o.bw)
		if err != nil {
			return rows, nil, err
		}
		fmt.Fprintf(os.Stderr, "fleet: %d targets up in %.1fs (rtt %v, redirect %v)\n", maxN, time.Since(start).Seconds(), rtt, f.redirect)
		trust := filepath.Join(fdir, "trust.yaml")
		if err := os.WriteFile(trust, []byte(fleetTrust(f.redirect)), 0o644); err != nil {
			f.close()
			return rows, nil, err
		}
		for _, n := range ns {
			row := fleetScan(ctx, f, vouchBin, fdir, trust, n, rtt)
			fmt.Fprintf(os.Stderr, "fleet n=%-5d rtt %-5v %8.2fs rss %6.1f MB web conns %d (%.1f/target) dns %d udp %d tcp; observed %d/%d; findings %v; %d mismatches %s\n",
				n, rtt, row.Wall.Seconds(), row.MaxRSSMB, row.Conns, float64(row.Conns)/float64(n), row.DNSUDP, row.DNSTCP,
				row.Observed, row.Targets, row.Findings, len(row.Mismatch), row.Err)
			for j, m := range row.Mismatch {
				if j == 10 {
					fmt.Fprintf(os.Stderr, "  … %d more\n", len(row.Mismatch)-10)
					break
				}
				fmt.Fprintln(os.Stderr, "  mismatch:", m)
			}
			rows = append(rows, row)
		}
		last = f
	}
	var bad []string
	for _, r := range rows {
		if r.Err != "" {
			bad = append(bad, fmt.Sprintf("n=%d rtt %v: %s", r.N, r.RTT, r.Err))
		}
	}
	if len(bad) > 0 {
		return rows, last, errors.New("bench: fleet: " + strings.Join(bad, "; "))
	}
	return rows, last, nil
}

func fleetScan(ctx context.Context, f *fleet, vouchBin, dir, trust string, n int, rtt time.Duration) fleetRow {
	row := fleetRow{N: n, RTT: rtt}
	list := filepath.Join(dir, fmt.Sprintf("targets-%d.txt", n))
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s\n%s\n", f.origins[i], fleetName(i))
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		row.Err = err.Error()
		return row
	}
	for _, p := range f.web {
		p.reset()
	}
	for _, p := range f.plain {
		p.reset()
	}
	f.tcp.reset()
	f.udp.reset()
	out := filepath.Join(dir, fmt.Sprintf("out-%d", n))
	tctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	args := []string{"scan", "-c", trust, "--targets", list, "-o", out,
		"--resolver", f.resolver, "--ca-file", f.caPath, "--fail-on", "none", "-q"}
	args = append(args, strings.Fields(os.Getenv("VOUCH_FLEET_FLAGS"))...)
	cmd := exec.CommandContext(tctx, vouchBin, args...)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		// Not wait4's ru_maxrss: Go starts a child with CLONE_VM, and
		// Linux carries the parent's high-water mark into the child's
		// maxrss at exec, so it would report this (large) process.
		// VmHWM of the child's own address space, read until it exits.
		done := make(chan struct{})
		hwm := make(chan int64, 1)
		go func() { hwm <- watchHWM(cmd.Process.Pid, done) }()
		err = cmd.Wait()
		row.Wall = time.Since(start)
		close(done)
		row.MaxRSSMB = float64(<-hwm) / 1024
	}
	if ps := cmd.ProcessState; ps != nil {
		row.Exit = ps.ExitCode()
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() > 2 {
			row.Err = fmt.Sprintf("vouch scan: %v: %s", err, tail([]byte(stderr.String())))
			return row
		}
	}
	time.Sleep(200 * time.Millisecond)
	for i := 0; i < n; i++ {
		f.web[i].waitIdle(10 * time.Second)
		f.plain[i].waitIdle(10 * time.Second)
		row.Conns += f.web[i].conns() + f.plain[i].conns()
	}
	for i := n; i < len(f.web); i++ {
		if c := f.web[i].conns() + f.plain[i].conns(); c != 0 {
			row.Mismatch = append(row.Mismatch, fmt.Sprintf("%s: %d connections, but it is not in the list", f.origins[i], c))
		}
	}
	f.tcp.waitIdle(10 * time.Second)
	time.Sleep(rtt/2 + 10*time.Millisecond)
	row.DNSUDP, row.DNSTCP = f.udp.queries.Load(), f.tcp.conns()
	if err := checkFleetReport(filepath.Join(out, "report.json"), f, n, &row); err != nil {
		row.Err = err.Error()
	}
	_ = os.RemoveAll(out)
	return row
}

// renderFleet is the "Fleet scans" section of BENCHMARKS.md.
func renderFleet(rows []fleetRow, f *fleet, cmdline string) string {
	var b strings.Builder
	p := func(s string, a ...any) { fmt.Fprintf(&b, s, a...) }
	p(fleetHeading + "\n\n")
	p("Generated by `%s` on %s, %d CPU cores.\n\n",
		cmdline, time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU())
	p("`bench/fleet.go` serves N web targets and N mail domains from the bench process: target i is\n")
	p("`https://dNNNN.fleet.test` (its own loopback address 127.20.x.y, as a fleet's hosts have: `--per-host` is per IP\n")
	p("address) and the mail domain `dNNNN.fleet.test`. Web configurations by i mod 5: modern (TLS 1.2+1.3, HSTS,\n")
	p("`Secure; HttpOnly` cookie), legacy (TLS 1.0/1.1 too), no HSTS, bad cookie, expired certificate; mail by i mod 7:\n")
	p("DMARC p=none, no SPF, 1024-bit DKIM key, else good. Each target's :443 and :80 are latency proxies (RTT/2 each\n")
	p("way) to its Go HTTPS server and plain-HTTP redirect; the DNS server (internal/dnstest) is behind a delaying\n")
	p("forwarder on 127.0.0.2. trust.yaml: tls.min_version 1.2, tls.legacy_protocols_disabled, tls.certificate_valid,\n")
	if f != nil && f.redirect {
		p("http.https_redirect, ")
	}
	p("http.hsts, http.cookies_secure, email.spf, email.dmarc (reject), email.dkim; no `targets:`.\n\n")
	p("Command: `vouch scan -c trust.yaml --targets LIST -o OUT --resolver DNS --ca-file CA --fail-on none -q` (defaults:\n")
	p("`--concurrency 64` pairs, `--per-host 8`, `--max-inflight 256`, `--resolver-inflight 64`; `VOUCH_FLEET_FLAGS` adds flags). **peak RSS**: VmHWM of the vouch process, read from /proc every 10 ms (not\n")
	p("wait4's maxrss, which on Linux carries over the bench process's own peak into its child at exec).\n")
	p("**conns/target**: TCP connections the :443 and :80 proxies accepted ÷ N.\n")
	p("**checked**: every designed defect must be contradicted on its target and every other judged control verified;\n")
	p("*observed* counts targets with at least one verified or contradicted finding.\n\n")
	p("| N (web + mail) | RTT | wall (s) | peak RSS (MB) | conns/target | DNS queries (UDP/TCP) | observed | findings | mismatches |\n")
	p("|---:|---|---:|---:|---:|---|---:|---|---:|\n")
	for _, r := range rows {
		if r.Err != "" {
			p("| %d | %v | %.2f | %.1f | – | – | %d/%d | – | failed: %s |\n", r.N, r.RTT, r.Wall.Seconds(), r.MaxRSSMB, r.Observed, r.Targets, esc(r.Err))
			continue
		}
		p("| %d + %d | %v | %.2f | %.1f | %.1f | %d / %d | %d/%d | %d verified, %d contradicted, %d inconclusive | %d |\n",
			r.N, r.N, r.RTT, r.Wall.Seconds(), r.MaxRSSMB, float64(r.Conns)/float64(r.N), r.DNSUDP, r.DNSTCP,
			r.Observed, r.Targets, r.Findings["verified"], r.Findings["contradicted"], r.Findings["inconclusive"], len(r.Mismatch))
	}
	for _, r := range rows {
		if len(r.Mismatch) == 0 {
			continue
		}
		p("\nMismatches at N = %d, RTT %v (first 5 of %d):\n\n", r.N, r.RTT, len(r.Mismatch))
		for _, m := range r.Mismatch[:min(5, len(r.Mismatch))] {
			p("- %s\n", esc(m))
		}
	}
	p("\nGoals (issue 14), on this 2-core machine:\n\n")
	var big, mid *fleetRow
	for i := range rows {
		r := &rows[i]
		if r.Err != "" {
			continue
		}
		if r.N == 1000 && r.RTT == 50*time.Millisecond {
			big = r
		}
	}
	if big != nil {
		for i := range rows {
			if rows[i].N == 100 && rows[i].RTT == big.RTT && rows[i].Err == "" {
				mid = &rows[i]
			}
		}
		p("- %s 1,000 full targets in under 60 s at 50 ms RTT: %.1f s.\n", mark(big.Wall < 60*time.Second), big.Wall.Seconds())
	} else {
		p("- 1,000 full targets in under 60 s at 50 ms RTT: not measured in this run.\n")
	}
	maxRSS := 0.0
	for _, r := range rows {
		maxRSS = max(maxRSS, r.MaxRSSMB)
	}
	p("- %s peak RSS under 300 MB: at most %.1f MB over the rows above.\n", mark(maxRSS < 300 && maxRSS > 0), maxRSS)
	for _, rtt := range []time.Duration{0, 50 * time.Millisecond} {
		var a, z *fleetRow
		for i := range rows {
			if rows[i].RTT == rtt && rows[i].Err == "" && rows[i].N == 100 {
				a = &rows[i]
			}
			if rows[i].RTT == rtt && rows[i].Err == "" && rows[i].N == 1000 {
				z = &rows[i]
			}
		}
		if a == nil || z == nil {
			continue
		}
		tr, mr := z.Wall.Seconds()/a.Wall.Seconds(), z.MaxRSSMB/a.MaxRSSMB
		p("- %s linear or better at RTT %v (1000 ÷ 100, 10× the targets): time %.1f×, peak RSS %.1f×.\n", mark(tr <= 10 && mr <= 10), rtt, tr, mr)
	}
	_ = mid
	p("\n")
	return b.String()
}

const fleetHeading = "## Fleet scans"

// sectionBounds is where the section titled heading starts and ends in
// s (up to the next "## " heading); start < 0 when there is none.
func sectionBounds(s, heading string) (start, end int) {
	start = -1
	if strings.HasPrefix(s, heading+"\n") {
		start = 0
	} else if j := strings.Index(s, "\n"+heading+"\n"); j >= 0 {
		start = j + 1
	}
	if start < 0 {
		return -1, -1
	}
	end = len(s)
	if k := strings.Index(s[start+len(heading):], "\n## "); k >= 0 {
		end = start + len(heading) + k + 1
	}
	return start, end
}

// section is the section titled heading of s, or "".
func section(s, heading string) string {
	i, j := sectionBounds(s, heading)
	if i < 0 {
		return ""
	}
	return s[i:j]
}

// updateSection replaces the section titled heading (up to the next
// "## " heading) of the markdown file at path with section, or appends it.
func updateSection(path, heading, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	idx, end := sectionBounds(s, heading)
	if idx < 0 {
		if s != "" {
			s = strings.TrimRight(s, "\n") + "\n\n"
		}
		return os.WriteFile(path, []byte(s+section), 0o644)
	}
	return os.WriteFile(path, []byte(s[:idx]+section+s[end:]), 0o644)
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "✗"
}

// parseFleet parses -fleet: a comma list of target counts.
func parseFleet(s string) ([]int, error) {
	var ns []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 20000 {
			return nil, fmt.Errorf("bench: -fleet %q: want counts from 1 to 20000", f)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// fleetMain is `go run ./bench -fleet LIST`: only the fleet benchmark,
// written to the "Fleet scans" section of the output file, the others
// left as they are.
func fleetMain(o options, ns []int, cmdline string) error {
	dir, err := os.MkdirTemp("", "vouch-bench-fleet-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	bin := o.vouchBin
	if bin == "" {
		bin = filepath.Join(dir, "vouch")
		if _, err := run(ctx, "go", "build", "-o", bin, "./cmd/vouch"); err != nil {
			return err
		}
	}
	rows, f, err := runFleet(ctx, o, bin, dir, ns)
	if f != nil {
		defer f.close()
	}
	if len(rows) > 0 {
		if werr := updateSection(o.outPath, fleetHeading, renderFleet(rows, f, cmdline)); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// watchHWM reads VmHWM (KiB) of process pid every 10 ms until done is
// closed or the process is gone, and returns the last value read: its
// peak resident set, short of at most the last 10 ms.
func watchHWM(pid int, done <-chan struct{}) int64 {
	var last int64
	path := fmt.Sprintf("/proc/%d/status", pid)
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil && kb > last {
						last = kb
					}
				}
			}
		}
		select {
		case <-done:
			return last
		case <-t.C:
		}
	}
}
