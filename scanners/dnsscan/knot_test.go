package dnsscan_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/dnsscan"
)

// need returns the path of a Debian binary the integration test runs:
// missing, it skips, but fails under CI=true.
func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		p, err = exec.LookPath(filepath.Join("/usr/sbin", name))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true): %v", name, err)
		}
		t.Skipf("%s is not installed: %v", name, err)
	}
	return p
}

// dkimRecord makes a DKIM key with opendkim-genkey and returns its zone
// file stub (selector._domainkey IN TXT ( ... )).
func dkimRecord(t *testing.T, genkey, domain, selector string, bits int) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(genkey, "-b", fmt.Sprint(bits), "-d", domain, "-s", selector, "-D", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("opendkim-genkey: %v\n%s", err, out)
	}
	txt, err := os.ReadFile(filepath.Join(dir, selector+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(txt, []byte("v=DKIM1")) || !bytes.Contains(txt, []byte("p=")) {
		t.Fatalf("opendkim-genkey wrote no key record: %s", txt)
	}
	return string(txt)
}

// freePort returns a port free on 127.0.0.1 for both UDP and TCP.
func freePort(t *testing.T) int {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no port free for udp and tcp")
	return 0
}

// startKnot runs knotd authoritative for the zones (name → zone file
// text) on a free loopback port; zones listed in signed are signed by
// knot's automatic DNSSEC signing. It returns host:port once every zone
// answers, and a function that rewrites one zone's file and has knotd
// reload it (with knotc, over knotd's control socket); knotd stops when
// the test ends.
func startKnot(t *testing.T, knotd string, zones map[string]string, signed ...string) (string, func(name, text string)) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"run", "db", "zones"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	port := freePort(t)
	var conf strings.Builder
	fmt.Fprintf(&conf, `server:
    rundir: "%[1]s/run"
    listen: 127.0.0.1@%[2]d
log:
  - target: stderr
    any: warning
database:
    storage: "%[1]s/db"
template:
  - id: default
    storage: "%[1]s/zones"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
`, dir, port)
	for name, text := range zones {
		if err := os.WriteFile(filepath.Join(dir, "zones", name+".zone"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		sign := "off"
		for _, s := range signed {
			if s == name {
				sign = "on"
			}
		}
		fmt.Fprintf(&conf, "  - domain: %s\n    file: %s.zone\n    dnssec-signing: %s\n", name, name, sign)
	}
	confPath := filepath.Join(dir, "knot.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(knotd, "-c", confPath)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := &dns.Client{Timeout: 200 * time.Millisecond}
	deadline := time.Now().Add(10 * time.Second)
	for name := range zones {
		for {
			q := new(dns.Msg)
			q.SetQuestion(dns.Fqdn(name), dns.TypeSOA)
			r, _, err := c.Exchange(q, addr)
			if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
				break
			}
			select {
			case <-exited:
				t.Fatalf("knotd exited: %s", stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("knotd does not answer for %s (%v): %s", name, err, stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	reload := func(name, text string) {
		t.Helper()
		knotc := need(t, "knotc")
		if err := os.WriteFile(filepath.Join(dir, "zones", name+".zone"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(knotc, "-s", filepath.Join(dir, "run", "knot.sock"), "-b", "zone-reload", name).CombinedOutput()
		if err != nil {
			t.Fatalf("knotc zone-reload %s: %v\n%s\n%s", name, err, out, stderr.String())
		}
	}
	return addr, reload
}

// knotDS asks knotd for the DNSKEY set of zone and returns, in zone-file
// form, the DS record (SHA-256) of each key with the SEP flag: what the
// parent must publish for validators to reach the zone.
func knotDS(t *testing.T, addr, zone string) string {
	t.Helper()
	r := askKnot(t, addr, zone, dns.TypeDNSKEY)
	var b strings.Builder
	for _, rr := range r.Answer {
		if k, ok := rr.(*dns.DNSKEY); ok && k.Flags&dns.SEP != 0 {
			b.WriteString(k.ToDS(dns.SHA256).String() + "\n")
		}
	}
	if b.Len() == 0 {
		t.Fatalf("knotd publishes no KSK for %s: %v", zone, r)
	}
	return b.String()
}

// TestKnotIntegration scans two zones served by a real authoritative
// server, knotd, with DKIM keys made by opendkim-genkey: vouch.test,
// signed by knot and meant to pass every mail and DNS check, and weak.test,
// unsigned and meant to fail each of them; then runs the checks on what
// the scanner saw.
func TestKnotIntegration(t *testing.T) {
	knotd := need(t, "knotd")
	genkey := need(t, "opendkim-genkey")

	good2048 := dkimRecord(t, genkey, "vouch.test", "s2048", 2048)
	weak1024 := dkimRecord(t, genkey, "weak.test", "s1024", 1024)
	zones := map[string]string{
		"vouch.test": `$ORIGIN vouch.test.
$TTL 300
@          SOA  ns.vouch.test. hostmaster.vouch.test. 1 3600 600 86400 300
@          NS   ns
ns         A    127.0.0.1
@          MX   10 mx
mx         A    127.0.0.1
@          TXT  "v=spf1 ip4:192.0.2.1 include:_spf.vouch.test -all"
_spf       TXT  "v=spf1 ip4:198.51.100.0/24 mx:vouch.test -all"
_dmarc     TXT  "v=DMARC1; p=reject; sp=reject; np=reject; rua=mailto:dmarc@vouch.test,mailto:agg@reports.weak.test; ruf=mailto:forensic@vouch.test"
_mta-sts   TXT  "v=STSv1; id=20261123T0930"
mta-sts    A    127.0.0.1
_smtp._tls TXT  "v=TLSRPTv1; rua=mailto:tls-reports@vouch.test"
@          CAA  0 issue "letsencrypt.org"
@          CAA  0 issuewild ";"
@          CAA  0 iodef "mailto:security@vouch.test"
` + good2048 + "\n",
		"weak.test": `$ORIGIN weak.test.
$TTL 300
@          SOA  ns.weak.test. hostmaster.weak.test. 1 3600 600 86400 300
@          NS   ns
ns         A    127.0.0.1
@          MX   10 mx
mx         A    127.0.0.1
@          TXT  "v=spf1 include:_spf.weak.test ~all"
_spf       TXT  "v=spf1 a mx a mx a mx a mx a mx -all"
_dmarc     TXT  "v=DMARC1; p=none; rua=mailto:dmarc@weak.test"
_mta-sts   TXT  "v=STSv1; id=1"
vouch.test._report._dmarc.reports TXT "v=DMARC1"
` + weak1024 + "\n",
	}
	// The parent zone, so that CAA's climb (RFC 8659 §3) ends in an
	// answer at the top-level domain.
	zones["test"] = "$ORIGIN test.\n$TTL 300\n@ SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n@ NS ns.vouch.test.\n"
	addr, reload := startKnot(t, knotd, zones, "vouch.test")
	// The parent delegates vouch.test and, once knot has made its keys,
	// publishes the DS of its KSK: knot answers DS questions from the
	// parent's side of the cut (RFC 4035 §3.1.4.1). weak.test has no
	// DS (and no keys).
	// Before that, the parent answers that it has no DS: signed but
	// insecure.
	nods := dnsscan.New(dnsscan.Options{
		Resolver: dnsscan.NewResolver(addr, 2*time.Second),
		DialContext: func(context.Context, string, string) (net.Conn, error) {
			return nil, fmt.Errorf("no dial in this scan")
		},
	}).Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "vouch.test"})
	if d := nods.DNS[0].DNSSEC; d == nil || d.Signed != posture.Yes || d.HasDS != posture.No || d.DS == nil || d.DS.RCode != "NXDOMAIN" {
		t.Errorf("vouch.test before its DS is published: %+v", d)
	}
	dnssecCheck, _ := checks.Lookup("dns.dnssec")
	dnssecArgs, _ := dnssecCheck.Args(nil)
	if fs := dnssecCheck.Run(checks.Input{Args: dnssecArgs, Snapshot: &nods, Now: time.Now()}); len(fs) != 1 || fs[0].Code != checks.CodeDNSSECNoDS {
		t.Errorf("dns.dnssec before the DS is published: %+v", fs)
	}
	ds := knotDS(t, addr, "vouch.test")
	reload("test", "$ORIGIN test.\n$TTL 300\n@ SOA ns.test. hostmaster.test. 2 3600 600 86400 300\n@ NS ns.vouch.test.\n"+
		"vouch NS ns.vouch.test.\nns.vouch A 127.0.0.1\n"+ds)
	if r := askKnot(t, addr, "vouch.test", dns.TypeDS); len(r.Answer) == 0 || !r.Authoritative {
		t.Fatalf("knotd serves no DS for vouch.test after the reload: %v", r)
	}

	// The MTA-STS policy of vouch.test, over HTTPS on loopback with a
	// certificate of a test CA; the scanner's dials go to it.
	ca, err := pki.NewCA("vouch knot test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafOptions{Hosts: []string{"mta-sts.vouch.test"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "version: STSv1\r\nmode: enforce\r\nmx: mx.vouch.test\r\nmax_age: 604800\r\n")
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	sc := dnsscan.New(dnsscan.Options{
		Resolver:      dnsscan.NewResolver(addr, 2*time.Second),
		DKIMSelectors: []string{"s2048", "s1024"},
		MailSenders:   []string{"198.51.100.25"},
		RootCAs:       ca.Pool(),
		PolicyTimeout: 2 * time.Second,
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			if a != "127.0.0.1:443" {
				return nil, fmt.Errorf("unexpected dial to %s", a)
			}
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Listener.Addr().String())
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var snap posture.Snapshot
	start := time.Now()
	for _, d := range []string{"vouch.test", "weak.test"} {
		s := sc.Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: d})
		snap.DNS = append(snap.DNS, s.DNS...)
	}
	t.Logf("scanned 2 domains via knotd in %s", time.Since(start))

	good, weak := snap.DNS[0], snap.DNS[1]
	if good.Missing != nil || weak.Missing != nil {
		t.Fatalf("observations missing: %v / %v", good.Missing, weak.Missing)
	}
	// What the scanner saw, beyond the verdicts.
	if d := good.DNSSEC; d.Zone != "vouch.test" || d.Signed != posture.Yes || d.SignaturesValid != posture.Yes || d.Keys < 1 ||
		!d.Authoritative || d.Authenticated != posture.Unknown || d.Resolver != addr {
		t.Errorf("vouch.test DNSSEC %+v", d)
	}
	if d := good.DNSSEC; d.HasDS != posture.Yes || d.DSMatches != posture.Yes || d.DS == nil || d.DS.Found != posture.Yes {
		t.Errorf("vouch.test DS: has %s matches %s (%s) lookup %+v", d.HasDS, d.DSMatches, d.DSDetail, d.DS)
	}
	if d := weak.DNSSEC; d.Signed != posture.No || d.Zone != "weak.test" {
		t.Errorf("weak.test DNSSEC %+v", d)
	}
	for _, k := range good.DKIM {
		if k.Selector == "s2048" && (k.KeyBits != 2048 || k.KeyType != "rsa" || strings.Join(k.Hashes, ":") != "sha256") {
			t.Errorf("vouch.test DKIM s2048 %+v", k)
		}
	}
	for _, k := range weak.DKIM {
		if k.Selector == "s1024" && (k.KeyBits != 1024 || k.KeyType != "rsa" || len(k.Issues) != 0) {
			t.Errorf("weak.test DKIM s1024 %+v", k)
		}
	}
	if tr := good.SPF.Tree; tr == nil || tr.DNSTerms != 2 || tr.VoidLookups != 0 {
		t.Errorf("vouch.test SPF tree %+v", good.SPF.Tree)
	}
	if tr := weak.SPF.Tree; tr == nil || tr.DNSTerms != 11 {
		t.Errorf("weak.test SPF tree %+v", weak.SPF.Tree)
	}
	if c := good.SPF.Checks; len(c) != 1 || c[0].Result != "pass" {
		t.Errorf("vouch.test check_host %+v", c)
	}
	if c := weak.SPF.Checks; len(c) != 1 || c[0].Result != "permerror" {
		t.Errorf("weak.test check_host %+v", c)
	}
	rd := good.DMARC.ReportDestinations
	if len(rd) != 3 || !rd[1].External || rd[1].Authorized != posture.Yes || good.DMARC.Strength != "enforcing" {
		t.Errorf("vouch.test DMARC %+v", good.DMARC)
	}
	if p := good.MTASTS.Policy; p == nil || p.Mode != "enforce" || !p.Valid || len(p.UnmatchedMX) != 0 {
		t.Errorf("vouch.test MTA-STS policy %+v", p)
	}
	if c := good.CAA; c.Domain != "vouch.test" || strings.Join(c.Issue, ",") != "letsencrypt.org" || len(c.IODEF) != 1 {
		t.Errorf("vouch.test CAA %+v", c)
	}

	type verdict struct {
		v    posture.Verdict
		code posture.Code
	}
	for _, tc := range []struct {
		kind   string
		params map[string]string
		good   verdict
		weak   verdict
	}{
		{"email.spf", nil, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeSPFTooManyLookups}},
		// 198.51.100.25 is allowed by vouch.test's include; at weak.test
		// the include is past the lookup limit (permerror).
		{"email.spf", map[string]string{"all": "~"}, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeSPFTooManyLookups}},
		{"email.dkim", nil, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeDKIMKeyWeak}},
		{"email.dmarc", nil, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeDMARCPolicyNone}},
		{"email.mta_sts", nil, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeMTASTSPolicyMissing}},
		{"email.tls_rpt", nil, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeTLSRPTMissing}},
		{"dns.caa", map[string]string{"issuers": "letsencrypt.org", "require_iodef": "true"}, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeCAAMissing}},
		{"dns.dnssec", nil, verdict{posture.Verified, ""}, verdict{posture.Contradicted, checks.CodeDNSSECUnsigned}},
		// AD cannot be seen from an authoritative server: inconclusive,
		// never a pass or a gap.
		{"dns.dnssec", map[string]string{"require_validated": "true"}, verdict{posture.Inconclusive, ""}, verdict{posture.Contradicted, checks.CodeDNSSECUnsigned}},
	} {
		c, ok := checks.Lookup(tc.kind)
		if !ok {
			t.Fatalf("check %s not registered", tc.kind)
		}
		args, perrs := c.Args(tc.params)
		if len(perrs) > 0 {
			t.Fatalf("%s %v: %v", tc.kind, tc.params, perrs)
		}
		fs := c.Run(checks.Input{Args: args, Snapshot: &snap, Now: time.Now()})
		if len(fs) != 2 {
			t.Fatalf("%s: %d findings, want 2: %+v", tc.kind, len(fs), fs)
		}
		for i, want := range []verdict{tc.good, tc.weak} {
			if got := (verdict{fs[i].Verdict, fs[i].Code}); got != want {
				t.Errorf("%s %v %s: got %s/%q, want %s/%q\n  observed: %s\n  message:  %s", tc.kind, tc.params, fs[i].Target, got.v, got.code, want.v, want.code, fs[i].Observed, fs[i].Message)
			}
		}
	}
}

// askKnot asks knotd one question with the DO bit.
func askKnot(t *testing.T, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.SetEdns0(1232, true)
	r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(q, addr)
	if err != nil {
		t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}
