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
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/pki"
)

// The full-scan row: `vouch scan` of one web origin and its mail domain
// (TLS, HTTP and DNS; no WAF), every byte through latency proxies.
//
//   - www.bench.test: a Go HTTPS server (crypto/tls, an ECDSA certificate
//     from a throwaway CA, passed with --ca-file) sending HSTS, a Secure;
//     HttpOnly cookie and /.well-known/security.txt, and a plain-HTTP server
//     redirecting to it, each behind its own latency proxy. vouch scan looks
//     for the plain-HTTP origin of https://host only on port 80 (a target on
//     another port has no inferable http:// origin and trust.yaml has no key
//     for one), so the proxies listen on 127.0.0.1:443 and :80 when they
//     can; otherwise on free ports, without the redirect claim.
//   - bench.test: an authoritative DNS server (internal/dnstest) with A, MX,
//     SPF, DMARC, DKIM and CAA records, behind a delaying forwarder on one
//     port for UDP (each datagram d each way) and TCP (a latency proxy),
//     given to vouch with --resolver.

func init() { fullScanHook = runFullScan }

const benchZone = "bench.test"

// fullScanResult is the median of the full scans at one RTT.
type fullScanResult struct {
	RTT       time.Duration
	Runs      int
	PerHost   int
	Origin    string
	Redirect  bool // the proxies are on :443/:80 and the redirect claim is in
	Wall      time.Duration
	HTTPS     hostCount // the :443 proxy
	Plain     hostCount // the :80 proxy
	DNSUDP    int64     // datagrams (queries) the forwarder got
	DNSTCP    int64     // TCP connections to the forwarder
	DNSChain  int       // longest chain of UDP queries each sent after the previous one's answer
	Verdicts  string    // e.g. "12 verified, 1 contradicted"
	ExitCode  int
	Errs      []string
	Command   string
	YAMLNotes []string
}

type hostCount struct {
	Conns int64
	Peak  int
}

// udpDelay forwards DNS datagrams to a server with d each way and logs
// each query's send and answer times.
type udpDelay struct {
	pc       net.PacketConn
	upstream string
	d        time.Duration

	mu      sync.Mutex
	peers   map[string]*net.UDPConn
	queries atomic.Int64
	log     map[string]*dnsQuery // client addr + id
	wg      sync.WaitGroup
}

type dnsQuery struct {
	sent, answered time.Time // answered: when the answer reaches the client; zero: never
}

func newUDPDelay(pc net.PacketConn, upstream string, d time.Duration) *udpDelay {
	u := &udpDelay{pc: pc, upstream: upstream, d: d, peers: map[string]*net.UDPConn{}, log: map[string]*dnsQuery{}}
	u.wg.Add(1)
	go u.serve()
	return u
}

func queryKey(client string, msg []byte) string {
	if len(msg) < 2 {
		return client
	}
	return client + "#" + strconv.Itoa(int(msg[0])<<8|int(msg[1]))
}

func (u *udpDelay) serve() {
	defer u.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, client, err := u.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		t := time.Now()
		msg := append([]byte(nil), buf[:n]...)
		u.queries.Add(1)
		up, err := u.peer(client)
		if err != nil {
			continue
		}
		u.mu.Lock()
		u.log[queryKey(client.String(), msg)] = &dnsQuery{sent: t}
		u.mu.Unlock()
		time.AfterFunc(time.Until(t.Add(u.d)), func() { _, _ = up.Write(msg) })
	}
}

// peer is the upstream socket of one client address, with its reader.
func (u *udpDelay) peer(client net.Addr) (*net.UDPConn, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if c, ok := u.peers[client.String()]; ok {
		return c, nil
	}
	ra, err := net.ResolveUDPAddr("udp", u.upstream)
	if err != nil {
		return nil, err
	}
	c, err := net.DialUDP("udp", nil, ra)
	if err != nil {
		return nil, err
	}
	u.peers[client.String()] = c
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			due := time.Now().Add(u.d)
			msg := append([]byte(nil), buf[:n]...)
			u.mu.Lock()
			if q, ok := u.log[queryKey(client.String(), msg)]; ok && q.answered.IsZero() {
				q.answered = due
			}
			u.mu.Unlock()
			time.AfterFunc(time.Until(due), func() { _, _ = u.pc.WriteTo(msg, client) })
		}
	}()
	return c, nil
}

// reset forgets the counts and the log.
func (u *udpDelay) reset() {
	u.mu.Lock()
	u.log = map[string]*dnsQuery{}
	u.mu.Unlock()
	u.queries.Store(0)
}

// chain is the longest sequence of queries each sent after the answer to
// the one before it reached the client: an upper bound on the longest
// chain of dependent queries (timing alone cannot tell dependence from
// queuing).
func (u *udpDelay) chain() int {
	u.mu.Lock()
	qs := make([]dnsQuery, 0, len(u.log))
	for _, q := range u.log {
		qs = append(qs, *q)
	}
	u.mu.Unlock()
	return longestChain(qs)
}

func longestChain(qs []dnsQuery) int {
	sort.Slice(qs, func(i, j int) bool { return qs[i].sent.Before(qs[j].sent) })
	best := 0
	ch := make([]int, len(qs))
	for i, q := range qs {
		ch[i] = 1
		for j := 0; j < i; j++ {
			p := qs[j]
			if !p.answered.IsZero() && !p.answered.After(q.sent) && ch[j]+1 > ch[i] {
				ch[i] = ch[j] + 1
			}
		}
		if ch[i] > best {
			best = ch[i]
		}
	}
	return best
}

func (u *udpDelay) close() {
	_ = u.pc.Close()
	u.mu.Lock()
	for _, c := range u.peers {
		_ = c.Close()
	}
	u.mu.Unlock()
	u.wg.Wait()
}

// benchCert is an ECDSA P-256 certificate for the bench zone, issued by a
// throwaway CA (internal/pki, as the demo's) whose certificate it writes to
// dir for --ca-file.
func benchCert(dir string) (tls.Certificate, string, error) {
	ca, err := pki.NewCA("vouch bench CA")
	if err != nil {
		return tls.Certificate{}, "", err
	}
	leaf, err := ca.Issue(pki.LeafOptions{Hosts: []string{"www." + benchZone, benchZone}})
	if err != nil {
		return tls.Certificate{}, "", err
	}
	caPath, err := ca.WriteFile(dir, "bench-ca.pem")
	if err != nil {
		return tls.Certificate{}, "", err
	}
	return leaf.TLSCertificate(ca, false), caPath, nil
}

// benchSite answers every path with HSTS and security headers; / sets a
// Secure; HttpOnly cookie; /.well-known/security.txt is an RFC 9116 file.
func benchSite() http.Handler {
	txt := "Contact: mailto:security@" + benchZone + "\nExpires: " +
		time.Now().Add(180*24*time.Hour).UTC().Format(time.RFC3339) + "\nPreferred-Languages: en\n"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Content-Security-Policy", "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "bench", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			h.Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>bench</title><h1>bench</h1>")
		case "/.well-known/security.txt":
			h.Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprint(w, txt)
		default:
			http.NotFound(w, r)
		}
	})
}

// benchZoneText is the bench.test zone, with a fresh 2048-bit DKIM key.
func benchZoneText() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", err
	}
	p := base64.StdEncoding.EncodeToString(der)
	var chunks []string
	for len(p) > 0 {
		n := min(250, len(p))
		chunks = append(chunks, strconv.Quote(p[:n]))
		p = p[n:]
	}
	return fmt.Sprintf(`
@            IN SOA ns.bench.test. hostmaster.bench.test. 2026120301 3600 600 86400 300
@            IN NS  ns.bench.test.
ns           IN A   127.0.0.1
@            IN A   127.0.0.1
www          IN A   127.0.0.1
mail         IN A   127.0.0.1
@            IN MX  10 mail.bench.test.
@            IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc       IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@bench.test"
bench._domainkey IN TXT "v=DKIM1; k=rsa; p=" %s
@            IN CAA 0 issue "bench.test"
`, strings.Join(chunks, " ")), nil
}

// benchTrust is the trust.yaml of the scan. https is the origin; redirect
// says whether the plain-HTTP redirect can be observed.
func benchTrust(origin string, redirect bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
organization:
  name: Bench Co
  security_contact: mailto:security@bench.test
scope:
  web: [%s]
  mail: [bench.test]
  dkim_selectors: [bench]
controls:
`, origin)
	c := func(id, kind, params string) {
		fmt.Fprintf(&b, "  - id: %s\n    section: Bench\n    statement: %s holds.\n    verify: {kind: %s%s}\n", id, kind, kind, params)
	}
	c("tls-min", "tls.min_version", `, min: "1.2"`)
	c("tls-ciphers", "tls.no_weak_ciphers", "")
	c("tls-fs", "tls.forward_secrecy", "")
	c("tls-cert", "tls.certificate_valid", "")
	c("tls13", "tls.tls13_offered", "")
	if redirect {
		c("https-redirect", "http.https_redirect", "")
	}
	c("hsts", "http.hsts", "")
	c("cookies", "http.cookies_secure", "")
	c("security-txt", "http.security_txt", "")
	c("spf", "email.spf", "")
	c("dkim", "email.dkim", "")
	c("dmarc", "email.dmarc", `, min_policy: reject`)
	c("caa", "dns.caa", "")
	return b.String()
}

// listenPair listens on 127.0.0.1:443 and :80 for the two web proxies, or
// on two free ports when those are taken or not allowed.
func listenPair() (https, plain net.Listener, standard bool, err error) {
	if a, err := net.Listen("tcp", "127.0.0.1:443"); err == nil {
		if b, err := net.Listen("tcp", "127.0.0.1:80"); err == nil {
			return a, b, true, nil
		}
		a.Close()
	}
	if https, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, nil, false, err
	}
	if plain, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		https.Close()
		return nil, nil, false, err
	}
	return https, plain, false, nil
}

// listenUDPTCP finds a port free for both UDP and TCP on 127.0.0.2, the
// resolver's address: a resolver is a host of its own, so its questions
// do not share the web server's --per-host budget (on 127.0.0.1 they
// would, as on no real network). 127.0.0.1 when 127.0.0.2 cannot be
// bound.
func listenUDPTCP() (net.PacketConn, net.Listener, error) {
	host := "127.0.0.2"
	if pc, err := net.ListenPacket("udp", host+":0"); err != nil {
		host = "127.0.0.1"
	} else {
		pc.Close()
	}
	var lastErr error
	for i := 0; i < 20; i++ {
		pc, err := net.ListenPacket("udp", host+":0")
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		lastErr = err
		pc.Close()
	}
	return nil, nil, fmt.Errorf("bench: no port free for udp and tcp: %w", lastErr)
}

// runFullScan starts the deployment with proxies at rtt and runs vouch
// scan on it three times.
func runFullScan(ctx context.Context, o options, vouchBin, dir string, rtt time.Duration) (*fullScanResult, error) {
	d := rtt / 2
	const perHost = 8
	res := &fullScanResult{RTT: rtt, Runs: 3, PerHost: perHost}
	sdir, err := os.MkdirTemp(dir, "fullscan-")
	if err != nil {
		return nil, err
	}
	cert, caPath, err := benchCert(sdir)
	if err != nil {
		return nil, err
	}
	// The servers.
	hln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		hln.Close()
		return nil, err
	}
	hsrv := &http.Server{Handler: benchSite(), TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go hsrv.ServeTLS(hln, "", "")
	defer hsrv.Close()

	// The proxies, and so the origin's URL.
	hpl, ppl, standard, err := listenPair()
	if err != nil {
		pln.Close()
		return nil, err
	}
	res.Redirect = standard
	origin := "https://www." + benchZone
	if !standard {
		origin = fmt.Sprintf("https://www.%s:%d", benchZone, hpl.Addr().(*net.TCPAddr).Port)
		res.YAMLNotes = append(res.YAMLNotes, "127.0.0.1:443 or :80 could not be bound, so the origin has a port and "+
			"no http.https_redirect control: vouch scan infers the plain-HTTP origin only for port 443, and trust.yaml has no key for it")
	}
	res.Origin = origin
	psrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, origin+r.URL.RequestURI(), http.StatusMovedPermanently)
	}), ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go psrv.Serve(pln)
	defer psrv.Close()
	hpx := latencyProxyOn(hpl, hln.Addr().String(), d, o.bw)
	defer hpx.close()
	ppx := latencyProxyOn(ppl, pln.Addr().String(), d, o.bw)
	defer ppx.close()

	// DNS.
	zone, err := benchZoneText()
	if err != nil {
		return nil, err
	}
	dns, err := dnstest.Start(benchZone, zone)
	if err != nil {
		return nil, err
	}
	defer dns.Close()
	upc, tln, err := listenUDPTCP()
	if err != nil {
		return nil, err
	}
	udp := newUDPDelay(upc, dns.Addr, d)
	defer udp.close()
	tpx := latencyProxyOn(tln, dns.Addr, d, o.bw)
	defer tpx.close()

	trust := filepath.Join(sdir, "trust.yaml")
	if err := os.WriteFile(trust, []byte(benchTrust(origin, standard)), 0o644); err != nil {
		return nil, err
	}
	args := []string{"--resolver", upc.LocalAddr().String(), "--ca-file", caPath, "--per-host", strconv.Itoa(perHost), "-q",
		"scan", "-c", trust, "--fail-on", "none"}
	res.Command = "vouch --resolver DNS --ca-file CA --per-host 8 -q scan -c trust.yaml --fail-on none -o OUT"

	type one struct {
		wall          time.Duration
		https, plain  hostCount
		udpQ, tcpC    int64
		chain, exit   int
		verdicts, err string
	}
	var runs []one
	for i := 0; i < res.Runs; i++ {
		hpx.reset()
		ppx.reset()
		tpx.reset()
		udp.reset()
		out := filepath.Join(sdir, fmt.Sprintf("out%d", i))
		tctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		cmd := exec.CommandContext(tctx, vouchBin, append(args, "-o", out)...)
		cmd.Env = append(os.Environ(), "HOME="+sdir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		cancel()
		time.Sleep(200 * time.Millisecond)
		hpx.waitIdle(10 * time.Second)
		ppx.waitIdle(10 * time.Second)
		tpx.waitIdle(10 * time.Second)
		time.Sleep(d + 10*time.Millisecond) // the last delayed datagrams
		r := one{wall: wall, https: hostCount{hpx.conns(), hpx.peak()}, plain: hostCount{ppx.conns(), ppx.peak()},
			udpQ: udp.queries.Load(), tcpC: tpx.conns(), chain: udp.chain()}
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.ExitCode() <= 2:
			r.exit = ee.ExitCode()
		default:
			r.err = fmt.Sprintf("vouch scan: %v: %s", err, tail([]byte(stderr.String())))
			if ee != nil {
				r.exit = ee.ExitCode()
			}
		}
		r.verdicts = verdictSummary(filepath.Join(out, "report.json"))
		fmt.Fprintf(os.Stderr, "rtt %-6v vouch scan             run %d: %8.2fs https %d conns peak %d, http %d conns peak %d, dns %d udp %d tcp chain %d; %s %s\n",
			rtt, i+1, wall.Seconds(), r.https.Conns, r.https.Peak, r.plain.Conns, r.plain.Peak, r.udpQ, r.tcpC, r.chain, r.verdicts, r.err)
		runs = append(runs, r)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].wall < runs[j].wall })
	m := runs[len(runs)/2]
	res.Wall, res.HTTPS, res.Plain, res.DNSUDP, res.DNSTCP, res.DNSChain = m.wall, m.https, m.plain, m.udpQ, m.tcpC, m.chain
	res.Verdicts, res.ExitCode = m.verdicts, m.exit
	for _, r := range runs {
		if r.err != "" {
			res.Errs = append(res.Errs, r.err)
		}
	}
	if m.err != "" {
		return res, errors.New(m.err)
	}
	return res, nil
}

// verdictSummary counts the verdicts of report.json, with the ids of the
// controls that did not hold.
func verdictSummary(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "no report.json"
	}
	var rep struct {
		Controls []struct {
			Control struct {
				ID string `json:"id"`
			} `json:"control"`
			Verdict string `json:"verdict"`
		} `json:"controls"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return "report.json: " + err.Error()
	}
	n := map[string]int{}
	var off []string
	for _, c := range rep.Controls {
		n[c.Verdict]++
		if c.Verdict != "verified" {
			off = append(off, c.Control.ID+" "+c.Verdict)
		}
	}
	var parts []string
	for _, v := range []string{"verified", "contradicted", "inconclusive", "not_applicable"} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[v], v))
		}
	}
	s := strings.Join(parts, ", ")
	if len(off) > 0 {
		s += " (" + strings.Join(off, "; ") + ")"
	}
	return s
}

func renderFullScan(lr *latencyResults, o options) string {
	var b strings.Builder
	p := func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }
	p("\n### A full `vouch scan`: one web origin and its mail domain\n\n")
	p("`bench/fullscan.go` starts a Go HTTPS server for **www.bench.test** (ECDSA certificate from a throwaway CA passed\n")
	p("with `--ca-file`; HSTS, a `Secure; HttpOnly` cookie, `/.well-known/security.txt`) and a plain-HTTP server\n")
	p("redirecting to it, each behind its own latency proxy (on 127.0.0.1:443 and :80, so that vouch finds the\n")
	p("plain-HTTP origin), and an authoritative DNS server for **bench.test** (A, MX, SPF, DMARC, DKIM, CAA) behind a\n")
	p("forwarder that delays every UDP datagram by RTT/2 each way and TCP through a latency proxy, given with\n")
	p("`--resolver`. trust.yaml claims TLS (min version, weak ciphers, forward secrecy, certificate, TLS 1.3), HTTP\n")
	p("(redirect, HSTS, cookies, security.txt) and DNS (SPF, DKIM, DMARC, CAA); no WAF. Command:\n")
	p("`vouch --resolver DNS --ca-file CA --per-host 8 -q scan -c trust.yaml --fail-on none -o OUT`, median of 3.\n\n")
	p("vouch's per-host budget is per host name, whatever the port, so the :443 and :80 proxies share P: the floor\n")
	p("is ceil((C₄₄₃ + C₈₀) ÷ P) × 2 × RTT. DNS adds the longest chain of queries each sent after the answer to the\n")
	p("one before it (measured at the forwarder: an upper bound on the chain of dependent lookups, as timing cannot\n")
	p("tell dependence from queuing) × 1 RTT, where it is not overlapped by the connections.\n\n")
	p("| RTT | wall (ms) | :443 conns / peak | :80 conns / peak | DNS queries (UDP) / TCP conns | DNS chain | floor TCP (ms) | chain × RTT (ms) | wall ÷ floor | RTTs | verdicts |\n")
	p("|---|---:|---|---|---|---:|---|---:|---:|---:|---|\n")
	any := false
	for _, run := range lr.runs {
		if run.Model != modelPool {
			continue
		}
		f := run.Full
		if f == nil {
			p("| %v | – | – | – | – | – | – | – | – | – | failed: %s |\n", run.RTT, esc(run.FullErr))
			continue
		}
		any = true
		c := f.HTTPS.Conns + f.Plain.Conns
		fl := floor(c, f.PerHost, f.RTT)
		ratio := "–"
		if fl > 0 {
			ratio = fmt.Sprintf("%.2f", f.Wall.Seconds()/fl.Seconds())
		}
		note := f.Verdicts
		if len(f.Errs) > 0 {
			note += "; errors: " + strings.Join(f.Errs, "; ")
		}
		p("| %v | %d | %d / %d | %d / %d | %d / %d | %d | ceil(%d/%d) × 2 × %v = %d | %d | %s | %.1f | %s |\n", f.RTT, f.Wall.Milliseconds(),
			f.HTTPS.Conns, f.HTTPS.Peak, f.Plain.Conns, f.Plain.Peak, f.DNSUDP, f.DNSTCP, f.DNSChain,
			c, f.PerHost, f.RTT, fl.Milliseconds(), (time.Duration(f.DNSChain) * f.RTT).Milliseconds(), ratio,
			f.Wall.Seconds()/f.RTT.Seconds(), esc(note))
	}
	if any {
		for _, run := range lr.runs {
			if run.Full != nil {
				for _, n := range run.Full.YAMLNotes {
					p("\nAt %v: %s.\n", run.RTT, n)
				}
			}
		}
	}
	return b.String()
}
