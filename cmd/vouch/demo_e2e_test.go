package main

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

// The demo's own nuclei template tells an exposed admin console from a
// hidden one: run through vouch scan against a site that answers 200 at
// /admin and one that answers 404 there, the demo's control is
// contradicted on the first and verified on the second. (The demo itself
// only shows the second.)
func TestDemoAdminTemplate(t *testing.T) {
	serve := func(h http.HandlerFunc) *httptest.Server {
		s := httptest.NewUnstartedServer(h)
		s.Config.ErrorLog = quietLog() // the TLS probes' refused handshakes
		s.StartTLS()
		t.Cleanup(s.Close)
		return s
	}
	exposed := serve(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<h1>Admin console</h1>")
	})
	hidden := serve(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "<h1>Welcome</h1>")
	})
	dns, err := dnstest.Start("test.example", "@ IN SOA ns.test.example. h.test.example. 1 3600 600 86400 300\n")
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()

	dir := t.TempDir()
	if err := writeDemoChecks(dir); err != nil {
		t.Fatal(err)
	}
	var ca []byte
	for _, s := range []*httptest.Server{exposed, hidden} {
		ca = append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})...)
	}
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, ca, 0o644)
	trust := filepath.Join(dir, "trust.yaml")
	os.WriteFile(trust, []byte(fmt.Sprintf(`version: 1
organization: {name: Demo Co}
scope:
  web: [%s, %s]
controls:
  - id: admin-console
    section: Application security
    statement: The admin console is not exposed to the internet.
    verify: {kind: nuclei, template: checks/admin-console.yaml, expect: no-match}
`, exposed.URL, hidden.URL)), 0o644)

	code, stdout, stderr := runVouch(t, "scan", "-c", trust, "-o", filepath.Join(dir, "out"), "--quiet", "--fail-on", "none",
		"--resolver", dns.Addr, "--ca-file", caFile, "--active=false", "--timeout", "3s")
	if code != exitOK {
		t.Fatalf("scan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep := readReport(t, filepath.Join(dir, "out", "report.json"))
	if len(rep.Controls) != 1 {
		t.Fatalf("want one control, got %d", len(rep.Controls))
	}
	c := rep.Controls[0]
	if c.Verdict != posture.Contradicted {
		t.Errorf("admin-console: %s, want contradicted (one target exposes /admin)", c.Verdict)
	}
	byTarget := map[string]posture.Finding{}
	for _, f := range c.Findings {
		byTarget[f.Target] = f
	}
	if f := byTarget[exposed.URL]; f.Verdict != posture.Contradicted || f.Code != checks.CodeTemplateMatched {
		t.Errorf("exposed /admin: %s %s (%s), want contradicted %s", f.Verdict, f.Code, f.Message, checks.CodeTemplateMatched)
	}
	if f := byTarget[hidden.URL]; f.Verdict != posture.Verified {
		t.Errorf("hidden /admin: %s (%s), want verified", f.Verdict, f.Message)
	}
}
