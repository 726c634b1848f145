package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

//go:embed demo/trust.yaml.tmpl
var demoTrustTemplate string

//go:embed demo/logo.svg
var demoLogo []byte

// demoChecks are the demo company's own nuclei templates, written next to
// its trust.yaml (kind: nuclei controls name them relative to it).
//
//go:embed demo/checks/*.yaml
var demoChecks embed.FS

const demoDomain = "demo.example"

// demoParent is the zone above demoDomain; the demo DNS server publishes
// demoDomain's DS in it.
const demoParent = "example"

func (a *app) demoCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "demo",
		Short: "Start a demo deployment on 127.0.0.1, scan it end to end, write ./vouch-demo/",
		Long: `Start a small deployment on 127.0.0.1 — an HTTPS site with a certificate
from a CA made on the fly, security headers, a session cookie and a
security.txt; an HTTP listener that redirects to it; and a DNS server for
demo.example with SPF, DKIM, DMARC, TLS-RPT and CAA records and a
DNSSEC-signed apex — then scan it with the demo trust.yaml (written to the
output directory with the company's own nuclei template, so you can read
them), judge every control, and write the outputs a real scan writes.

Two claims of the demo company are deliberately false, so the report shows
gaps (contradicted) beside verified and attested claims:

  hsts   the site sends HSTS with max-age=86400 (one day); the claim is a year
  dmarc  the zone publishes DMARC p=none; the claim is quarantine or reject

Everything else holds. The DNSSEC key is made on the fly; the DNS server
also answers for the parent zone example. with the DS of that key, but
nothing above example. vouches for it: the dnssec finding says the chain
of trust from the root was not validated (AD unknown). STARTTLS and
MTA-STS are not in the demo: they need ports 25 and 443. The WAF claim and
the nuclei control run in vouch-waf (see 'vouch scan --help'); without it
they are inconclusive, never passed. Nothing leaves 127.0.0.1.

With --serve the deployment and the generated site stay up until Ctrl-C.`,
		Example: `  vouch demo
  vouch demo -o /tmp/demo --serve`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context())
		},
	}, config.Flag{Name: "output", Shorthand: "o", Key: "demo_output", Default: "vouch-demo",
		Usage: "directory for the demo's trust.yaml, report, site and evidence"}, flagServe, flagWAFEngine)
}

// demoDeployment is the demo company's infrastructure, all on 127.0.0.1.
type demoDeployment struct {
	ca         *pki.CA
	dns        *dnstest.Server
	https      *http.Server
	plain      *http.Server
	httpsPort  int
	plainPort  int
	httpsURL   string
	plainURL   string
	closeFuncs []func()
}

func (d *demoDeployment) Close() {
	for i := len(d.closeFuncs) - 1; i >= 0; i-- {
		d.closeFuncs[i]()
	}
}

// startDemo starts the demo deployment.
func startDemo() (d *demoDeployment, err error) {
	d = &demoDeployment{}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.ca, err = pki.NewCA("Demo Co Root CA"); err != nil {
		return nil, err
	}
	leaf, err := d.ca.Issue(pki.LeafOptions{Hosts: []string{"www." + demoDomain, demoDomain}})
	if err != nil {
		return nil, err
	}
	httpsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		httpsLn.Close()
		return nil, err
	}
	d.httpsPort = httpsLn.Addr().(*net.TCPAddr).Port
	d.plainPort = plainLn.Addr().(*net.TCPAddr).Port
	d.httpsURL = fmt.Sprintf("https://www.%s:%d", demoDomain, d.httpsPort)
	d.plainURL = fmt.Sprintf("http://www.%s:%d/", demoDomain, d.plainPort)

	d.https = &http.Server{
		Handler: demoSite(time.Now()),
		TLSConfig: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{leaf.TLSCertificate(d.ca, true)},
		},
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          quietLog(),
	}
	go d.https.ServeTLS(httpsLn, "", "")
	d.closeFuncs = append(d.closeFuncs, func() { d.https.Close() })

	httpsURL := d.httpsURL
	d.plain = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, httpsURL+r.URL.RequestURI(), http.StatusMovedPermanently)
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          quietLog(),
	}
	go d.plain.Serve(plainLn)
	d.closeFuncs = append(d.closeFuncs, func() { d.plain.Close() })

	zone, parent, err := demoZone(time.Now())
	if err != nil {
		return nil, err
	}
	if d.dns, err = dnstest.Start(demoDomain, zone); err != nil {
		return nil, err
	}
	d.closeFuncs = append(d.closeFuncs, d.dns.Close)
	if err := d.dns.Add(demoParent, parent); err != nil {
		return nil, err
	}
	return d, nil
}

// demoSite is the demo company's web application. Every response sends
// HSTS with a one-day max-age (a deliberate gap), a strict
// Content-Security-Policy, nosniff, frame and referrer protection; the home
// page sets a hardened session cookie; /.well-known/security.txt is an RFC
// 9116 file that expires in 180 days; every other path (the admin console
// included) is 404. Attack-shaped requests are filtered the way a WAF does.
func demoSite(now time.Time) http.Handler {
	securityTxt := "# Demo Co vulnerability disclosure (RFC 9116)\n" +
		"Contact: mailto:security@" + demoDomain + "\n" +
		"Expires: " + now.Add(180*24*time.Hour).UTC().Format(time.RFC3339) + "\n" +
		"Preferred-Languages: en\n" +
		"Policy: https://www." + demoDomain + "/security\n"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Strict-Transport-Security", "max-age=86400; includeSubDomains")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		q := strings.ToLower(r.URL.RawQuery + " " + r.URL.Path)
		if uq, err := unescapeAll(q); err == nil {
			q = uq
		}
		for _, bad := range []string{"<script", "' or '", "../", "union select"} {
			if strings.Contains(q, bad) {
				h.Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, "<h1>Request blocked</h1><p>The demo firewall refused this request.</p>")
				return
			}
		}
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "__Host-session", Value: "demo", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			h.Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<!doctype html><title>Demo Co</title><h1>Demo Co</h1><p>Welcome.</p>")
		case "/.well-known/security.txt":
			h.Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprint(w, securityTxt)
		default:
			http.NotFound(w, r)
		}
	})
}

func unescapeAll(s string) (string, error) {
	for i := 0; i < 3; i++ {
		u, err := url.QueryUnescape(s)
		if err != nil || u == s {
			return u, err
		}
		s = u
	}
	return s, nil
}

// demoZone is the demo.example zone: A records for the web site, MX, SPF
// ending in -all, a 2048-bit DKIM key, DMARC at p=none (a deliberate gap),
// TLS-RPT, CAA records that allow only the demo CA, and a DNSKEY with an
// RRSIG over it made at now (a signed apex); and the records of its parent
// zone example.: its SOA and the DS of that key (nothing above example.
// vouches for it).
func demoZone(now time.Time) (zone, parent string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	p := base64.StdEncoding.EncodeToString(der)
	var chunks []string
	for len(p) > 0 {
		n := min(250, len(p))
		chunks = append(chunks, strconv.Quote(p[:n]))
		p = p[n:]
	}
	dkim := `"v=DKIM1; k=rsa; p=" ` + strings.Join(chunks, " ")
	dnssec, err := dnstest.SignedKeys(demoDomain, now)
	if err != nil {
		return "", "", err
	}
	ds, err := dnstest.DSFor(dnssec)
	if err != nil {
		return "", "", err
	}
	parent = "@ IN SOA ns.example. hostmaster.example. 2026112301 3600 600 86400 300\n" + ds
	zone = fmt.Sprintf(`
@                      IN SOA  ns.demo.example. hostmaster.demo.example. 2026112301 3600 600 86400 300
@                      IN NS   ns.demo.example.
ns                     IN A    127.0.0.1
www                    IN A    127.0.0.1
@                      IN A    127.0.0.1
@                      IN MX   10 mail.demo.example.
mail                   IN A    127.0.0.1
@                      IN TXT  "v=spf1 ip4:127.0.0.1 mx -all"
_dmarc                 IN TXT  "v=DMARC1; p=none; rua=mailto:dmarc@demo.example"
_smtp._tls             IN TXT  "v=TLSRPTv1; rua=mailto:tls-reports@demo.example"
vouch2026._domainkey   IN TXT  %s
@                      IN CAA  0 issue "ca.demo.example"
@                      IN CAA  0 issuewild ";"
@                      IN CAA  0 iodef "mailto:security@demo.example"
%s`, dkim, dnssec)
	return zone, parent, nil
}

func (a *app) runDemo(ctx context.Context) error {
	out := a.v.GetString("demo_output")
	fmt.Fprintf(a.progress(), "vouch: starting the demo deployment on 127.0.0.1\n")
	d, err := startDemo()
	if err != nil {
		return scanErr("demo: start deployment: %v", err)
	}
	defer d.Close()
	fmt.Fprintf(a.progress(), "vouch:   https  %s\nvouch:   http   %s (redirects)\nvouch:   dns    %s (zone %s)\n", d.httpsURL, d.plainURL, d.dns.Addr, demoDomain)

	if err := os.MkdirAll(out, 0o755); err != nil {
		return scanErr("demo: %v", err)
	}
	trustPath := filepath.Join(out, "trust.yaml")
	trust := strings.ReplaceAll(demoTrustTemplate, "{{HTTPS_PORT}}", strconv.Itoa(d.httpsPort))
	if err := os.WriteFile(trustPath, []byte(trust), 0o644); err != nil {
		return scanErr("demo: %v", err)
	}
	if err := os.WriteFile(filepath.Join(out, "logo.svg"), demoLogo, 0o644); err != nil {
		return scanErr("demo: %v", err)
	}
	if err := writeDemoChecks(out); err != nil {
		return scanErr("demo: %v", err)
	}
	caPath, err := d.ca.WriteFile(out, "demo-ca.pem")
	if err != nil {
		return scanErr("demo: %v", err)
	}
	decl, err := a.loadDeclaration(trustPath)
	if err != nil {
		return err
	}
	if _, err := wafscan.FindEngine(a.v.GetString("waf_engine")); err != nil {
		// The scan says in one line that the engine is missing.
		fmt.Fprintf(a.stderr, "vouch: the demo's WAF and nuclei claims will be inconclusive; for the whole demo run: go build -o bin/ ./cmd/vouch ./cmd/vouch-waf && bin/vouch demo\n")
	}
	o, err := a.outputOptions(out)
	if err != nil {
		return err
	}
	timeout := a.v.GetDuration("timeout")
	no := netOptions{resolverAddr: d.dns.Addr, timeout: timeout, roots: d.ca.Pool()}
	no.dialer = &net.Dialer{Timeout: timeout, Resolver: resolverVia(d.dns.Addr, timeout)}
	res, err := a.scanAndJudge(ctx, decl, no, scanExtras{plainHTTP: map[string]string{d.httpsURL: d.plainURL}, evidence: filepath.Join(o.dir, "evidence")})
	if err != nil {
		return err
	}
	paths, err := a.writeOutputs(o, res)
	if err != nil {
		return err
	}
	if err := a.finish(res.report, "", paths); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "trust.yaml %s\nCA:        %s\n", trustPath, caPath)
	if !a.v.GetBool("serve") {
		return nil
	}
	return a.serveDemo(ctx, paths.site, d)
}

// writeDemoChecks writes the demo's nuclei templates to dir/checks/.
func writeDemoChecks(dir string) error {
	ents, err := demoChecks.ReadDir("demo/checks")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "checks"), 0o755); err != nil {
		return err
	}
	for _, e := range ents {
		b, err := demoChecks.ReadFile("demo/checks/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "checks", e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// serveDemo serves the generated site on 127.0.0.1 until ctx ends.
func (a *app) serveDemo(ctx context.Context, dir string, d *demoDeployment) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return scanErr("demo: serve: %v", err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(a.stdout, "\nserving the trust center at http://%s/ (and the demo deployment) — Ctrl-C to stop\n", ln.Addr())
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return scanErr("demo: serve: %v", err)
	}
	return nil
}
