package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func runVouch(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDemoEndToEnd runs the README's demo command in-process: a real HTTPS
// server, HTTP redirect and DNS server on 127.0.0.1, scanned and judged,
// with every output written.
func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "demo")
	code, stdout, stderr := runVouch(t, "demo", "-o", out, "--quiet")
	if code != exitOK {
		t.Fatalf("demo exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep posture.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]posture.Verdict{
		"tls-modern":        posture.Verified,     // TLS 1.2+1.3 only
		"tls-ciphers":       posture.Verified,     // Go's default suites: AEAD, ECDHE
		"forward-secrecy":   posture.Verified,     // every suite ECDHE or TLS 1.3
		"tls-grade":         posture.Verified,     // A: the one-day HSTS caps A+ at A
		"tls-certificate":   posture.Verified,     // trusted through the demo CA
		"tls-keys":          posture.Verified,     // ECDSA P-256 leaf
		"tls-signature":     posture.Verified,     // the demo CA signs with ECDSA-SHA256
		"https-only":        posture.Verified,     // http:// redirects to https://
		"hsts":              posture.Contradicted, // max-age one day, claim one year
		"security-headers":  posture.Verified,     // CSP without unsafe-*, XFO, nosniff, Referrer-Policy
		"session-cookies":   posture.Verified,     // __Host-session; Secure; HttpOnly; SameSite=Lax
		"admin-console":     posture.Verified,     // checks/admin-console.yaml: /admin is 404
		"waf":               posture.Verified,     // the demo site blocks attack-shaped requests
		"caa":               posture.Verified,     // issue ca.demo.example, issuewild ";", iodef
		"dnssec":            posture.Verified,     // DNSKEY with a valid RRSIG, a matching DS at example. (not validated: no AD)
		"spf":               posture.Verified,
		"dkim":              posture.Verified,
		"dmarc":             posture.Contradicted, // p=none
		"tls-reports":       posture.Verified,
		"disclosure":        posture.Verified, // /.well-known/security.txt, Expires in 180 days
		"at-rest":           posture.Attested,
		"incident-response": posture.Attested,
		"backups":           posture.Attested,
	}
	got := map[string]posture.ControlResult{}
	for _, c := range rep.Controls {
		got[c.Control.ID] = c
		if _, ok := want[c.Control.ID]; !ok {
			t.Errorf("control %s (%s) is in the report but not in this test", c.Control.ID, c.Verdict)
		}
	}
	for id, v := range want {
		c, ok := got[id]
		if !ok {
			t.Errorf("control %s missing from report", id)
			continue
		}
		if c.Verdict != v {
			t.Errorf("control %s: verdict %s, want %s; findings: %+v", id, c.Verdict, v, c.Findings)
		}
	}
	// Each vertical slice shows as a row of the table...
	for id, v := range want {
		if !regexp.MustCompile(`(?m)^.*` + string(v) + `.*\b` + regexp.QuoteMeta(id) + `\b`).MatchString(stdout) {
			t.Errorf("table has no %s row for %s:\n%s", v, id, stdout)
		}
	}
	// ... and as a line on the site, which never says Verified for a gap.
	index, err := os.ReadFile(filepath.Join(out, "site", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(index)
	for _, id := range []string{"tls-modern", "tls-grade", "https-only", "hsts", "admin-console", "dnssec", "dmarc", "disclosure", "at-rest"} {
		if !strings.Contains(html, `id="control-`+id+`"`) {
			t.Errorf("site has no line for control %s", id)
		}
	}
	if !strings.Contains(html, `src="logo.svg"`) {
		t.Error("site does not show the declared logo")
	}
	for _, p := range []string{"report.html", "snapshot.json", "trust.yaml", "demo-ca.pem", "checks/admin-console.yaml", "site/controls.json", "site/logo.svg"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("output %s: %v", p, err)
		}
	}
	bundles, _ := filepath.Glob(filepath.Join(out, "evidence", "*", "manifest.json"))
	if len(bundles) != 1 {
		t.Errorf("want one evidence bundle, got %v", bundles)
	}

	// The evidence bundle verifies, and one flipped byte breaks it.
	if code, stdout, stderr := runVouch(t, "evidence", "verify", filepath.Dir(bundles[0])); code != exitOK {
		t.Errorf("evidence verify: exit %d\n%s%s", code, stdout, stderr)
	}
	snapFile := filepath.Join(filepath.Dir(bundles[0]), "snapshot.json")
	sb, err := os.ReadFile(snapFile)
	if err != nil {
		t.Fatal(err)
	}
	sb[len(sb)/2] ^= 1
	os.WriteFile(snapFile, sb, 0o644)
	if code, _, stderr := runVouch(t, "evidence", "verify", filepath.Dir(bundles[0])); code != exitGaps || !strings.Contains(stderr, "snapshot.json") {
		t.Errorf("evidence verify after a flipped byte: exit %d, want %d naming snapshot.json\n%s", code, exitGaps, stderr)
	}
	// A report compared with itself has no drift.
	if code, stdout, stderr := runVouch(t, "diff", filepath.Join(out, "report.json"), filepath.Join(out, "report.json")); code != exitOK {
		t.Errorf("diff of a report with itself: exit %d\n%s%s", code, stdout, stderr)
	}

	// A baseline where HSTS held: the current report regresses, and
	// --fail-on-regression turns that into exit 1 even with --fail-on none.
	var base posture.Report
	json.Unmarshal(b, &base)
	for i, c := range base.Controls {
		if c.Control.ID == "hsts" {
			base.Controls[i].Verdict = posture.Verified
			base.Controls[i].Findings = nil
		}
	}
	base.ScanID = "20261122T000000Z-000000"
	bb, _ := json.Marshal(base)
	basePath := filepath.Join(dir, "baseline.json")
	os.WriteFile(basePath, bb, 0o644)
	if code, stdout, _ := runVouch(t, "diff", basePath, filepath.Join(out, "report.json")); code != exitGaps || !strings.Contains(stdout, "hsts") {
		t.Errorf("diff with a regression: exit %d, want %d, naming hsts\n%s", code, exitGaps, stdout)
	}
	if code, _, stderr := runVouch(t, "check", "--snapshot", filepath.Join(out, "snapshot.json"), "-c", filepath.Join(out, "trust.yaml"),
		"--fail-on", "none", "--baseline", basePath, "--fail-on-regression"); code != exitGaps || !strings.Contains(stderr, "hsts") {
		t.Errorf("check --fail-on-regression: exit %d, want %d\n%s", code, exitGaps, stderr)
	}

	// The recorded snapshot can be judged offline with the same trust.yaml,
	// and the verdicts agree. DMARC is high severity, so --fail-on high exits 1.
	code, stdout, stderr = runVouch(t, "check", "--snapshot", filepath.Join(out, "snapshot.json"), "-c", filepath.Join(out, "trust.yaml"), "--format", "json")
	if code != exitGaps {
		t.Errorf("check: exit %d, want %d (dmarc gap is high)\n%s", code, exitGaps, stderr)
	}
	var rep2 posture.Report
	if err := json.Unmarshal([]byte(stdout), &rep2); err != nil {
		t.Fatalf("check --format json: %v\n%s", err, stdout)
	}
	for _, c := range rep2.Controls {
		if c.Verdict != got[c.Control.ID].Verdict {
			t.Errorf("offline check of %s: %s, scan said %s", c.Control.ID, c.Verdict, got[c.Control.ID].Verdict)
		}
	}
	code, _, _ = runVouch(t, "check", "--snapshot", filepath.Join(out, "snapshot.json"), "-c", filepath.Join(out, "trust.yaml"), "--fail-on", "critical")
	if code != exitOK {
		t.Errorf("check --fail-on critical: exit %d, want 0", code)
	}

	// Every report format renders from the written report.
	for _, f := range []string{"table", "json", "sarif", "junit", "markdown", "html"} {
		code, stdout, stderr := runVouch(t, "report", "--from", filepath.Join(out, "report.json"), "--format", f)
		if code != exitOK || len(stdout) == 0 {
			t.Errorf("report --format %s: exit %d, %d bytes\n%s", f, code, len(stdout), stderr)
		}
	}
	siteDir := filepath.Join(dir, "site2")
	if code, _, stderr := runVouch(t, "site", "--from", filepath.Join(out, "report.json"), "-o", siteDir); code != exitOK {
		t.Errorf("site: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(siteDir, "index.html")); err != nil {
		t.Error(err)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\norganization: {name: X}\nscope: {web: [https://127.0.0.1:1]}\ncontrols:\n  - id: a\n    section: S\n    statment: typo\n    attested: {by: me, reviewed: 2026-01-01}\n"), 0o644)
	code, _, stderr := runVouch(t, "scan", "-c", bad, "-o", filepath.Join(dir, "out"))
	if code != exitUsage {
		t.Errorf("bad trust.yaml: exit %d, want %d", code, exitUsage)
	}
	if !strings.Contains(stderr, "bad.yaml:7") || !strings.Contains(stderr, "statment") {
		t.Errorf("error should name file, line and field:\n%s", stderr)
	}
	if code, _, _ := runVouch(t, "scan", "--no-such-flag"); code != exitUsage {
		t.Errorf("unknown flag: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runVouch(t, "scan", "-c", filepath.Join(dir, "missing.yaml")); code != exitUsage {
		t.Errorf("missing trust.yaml: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runVouch(t, "report", "--from", filepath.Join(dir, "nope.json"), "--format", "xml"); code != exitUsage {
		t.Errorf("bad format: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runVouch(t, "scan", "--fail-on", "severe"); code != exitUsage {
		t.Errorf("bad --fail-on: exit %d, want %d", code, exitUsage)
	}

	// Nothing in scope answers: the scan could not run (4), and no
	// output claims anything.
	unreachable := filepath.Join(dir, "unreachable.yaml")
	os.WriteFile(unreachable, []byte(`version: 1
organization: {name: Nobody}
scope: {web: ["https://127.0.0.1:1"]}
controls:
  - id: tls
    section: Encryption in transit
    statement: TLS 1.2 or higher.
    verify: {kind: tls.min_version, min: "1.2"}
`), 0o644)
	code, stdout, stderr := runVouch(t, "scan", "-c", unreachable, "-o", filepath.Join(dir, "out2"), "--resolver", "127.0.0.1:1", "--timeout", "500ms")
	if code != exitScanErr {
		t.Errorf("unreachable scope: exit %d, want %d\n%s\n%s", code, exitScanErr, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out2", "site")); err == nil {
		t.Error("a scan that could not run must not publish a site")
	}
}

func TestHelpTeaches(t *testing.T) {
	code, out, _ := runVouch(t, "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"Exit codes", "vouch demo", "VOUCH_", "inconclusive"} {
		if !strings.Contains(out, s) {
			t.Errorf("--help lacks %q", s)
		}
	}
	for _, sub := range [][]string{{"scan", "--help"}, {"probe", "tls", "--help"}, {"check", "--help"}, {"report", "--help"}, {"site", "--help"}, {"demo", "--help"}} {
		code, out, _ := runVouch(t, sub...)
		if code != 0 || !strings.Contains(out, "--resolver") || !strings.Contains(out, "--ca-file") {
			t.Errorf("%v: exit %d, every command takes --resolver and --ca-file:\n%s", sub, code, out)
		}
	}
}
