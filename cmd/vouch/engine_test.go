package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// binDir holds vouch and vouch-waf built once for the tests; the in-process
// tests find the engine through VOUCH_WAF_ENGINE.
var binDir string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "vouch-bin-*")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		// Building vouch-waf links nuclei: minutes cold, seconds with a warm
		// build cache (go test ./... compiles the same packages for
		// scanners/wafscan/engine).
		build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "github.com/vouchdev/vouch/cmd/vouch", "github.com/vouchdev/vouch/cmd/vouch-waf")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building vouch and vouch-waf:", err)
			return 1
		}
		binDir = dir
		os.Setenv("VOUCH_WAF_ENGINE", filepath.Join(dir, "vouch-waf"))
		return m.Run()
	}()
	os.Exit(code)
}

// Commands that do not look for a WAF never start the engine, so they do
// not pay nuclei's start-up nor let it write ~/.config/nuclei; the engine
// itself does write there, which is why vouch gives it a private HOME.
func TestNoNucleiOutsideWAFScans(t *testing.T) {
	refused := "127.0.0.1:1"
	for _, args := range [][]string{
		{"--help"},
		{"version"},
		{"check", "--help"},
		{"probe", "tls", refused, "--timeout", "500ms"},
		{"probe", "http", refused, "--timeout", "500ms"},
	} {
		home := t.TempDir()
		cmd := exec.Command(filepath.Join(binDir, "vouch"), args...)
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME=")
		cmd.Run()
		if ents, _ := os.ReadDir(home); len(ents) != 0 {
			t.Errorf("vouch %s wrote to HOME: %v", strings.Join(args, " "), ents)
		}
	}

	// The contrast that makes the test meaningful: the engine binary, which
	// links nuclei, writes ~/.config/nuclei by merely starting.
	home := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "vouch-waf"), "--help")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vouch-waf --help: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(home, ".config", "nuclei")); err != nil {
		t.Errorf("vouch-waf --help did not create ~/.config/nuclei (%v): nuclei changed its start-up, and the HOME checks above prove nothing", err)
	}

	// A WAF probe runs the engine with a private HOME: the user's stays clean.
	home = t.TempDir()
	cmd = exec.Command(filepath.Join(binDir, "vouch"), "probe", "waf", "https://"+refused, "--timeout", "1s", "--json")
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME=", "VOUCH_WAF_ENGINE="+filepath.Join(binDir, "vouch-waf"))
	out, _ := cmd.Output()
	if !strings.Contains(string(out), `"scanner": "waf"`) {
		t.Errorf("probe waf printed no WAF observation:\n%s", out)
	}
	if ents, _ := os.ReadDir(home); len(ents) != 0 {
		t.Errorf("vouch probe waf wrote to HOME: %v", ents)
	}
}

// Without the engine the WAF claim is inconclusive, says why, and the demo
// says how to get it; nothing passes by default.
func TestDemoWithoutEngine(t *testing.T) {
	t.Setenv("VOUCH_WAF_ENGINE", "")
	t.Setenv("PATH", t.TempDir())
	out := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runVouch(t, "demo", "-o", out, "--quiet")
	if code != exitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "vouch-waf not found") || !strings.Contains(stderr, "go build -o bin/ ./cmd/vouch ./cmd/vouch-waf") {
		t.Errorf("stderr gives no hint:\n%s", stderr)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	n := 0
	for _, c := range rep.Controls {
		if c.Control.ID == "waf" || c.Control.ID == "admin-console" {
			n++
			if c.Verdict != posture.Inconclusive {
				t.Errorf("%s without an engine: %s", c.Control.ID, c.Verdict)
			}
		}
	}
	if n != 2 {
		t.Errorf("the demo has %d of its two engine-backed controls (waf, admin-console)", n)
	}
}

func readReport(t *testing.T, path string) posture.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep posture.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// vouch probe waf --template runs the user's template against the target
// and shows whether it matched: the way to write a "kind: nuclei" control.
func TestProbeWAFTemplate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Acme-Hardened", "1")
	}))
	defer srv.Close()
	dir := t.TempDir()
	tpl := filepath.Join(dir, "hardened.yaml")
	os.WriteFile(tpl, []byte(`id: acme-hardened
info: {name: Acme hardening header, author: acme, severity: info}
http:
  - method: GET
    path: ["{{BaseURL}}/"]
    matchers:
      - {type: regex, name: hardened, part: header, regex: ["(?im)^x-acme-hardened:\\s*1"]}
`), 0o644)
	code, stdout, stderr := runVouch(t, "probe", "waf", srv.URL, "--template", tpl, "--active=false", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var snap posture.Snapshot
	if err := json.Unmarshal([]byte(stdout), &snap); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(snap.WAF) != 1 || len(snap.WAF[0].Templates) != 1 {
		t.Fatalf("snapshot %+v", snap.WAF)
	}
	if m := snap.WAF[0].Templates[0]; m.Template != tpl || m.Matched != posture.Yes || m.ID != "acme-hardened" {
		t.Errorf("template result %+v", m)
	}
	code, stdout, _ = runVouch(t, "probe", "waf", srv.URL, "--template", tpl, "--active=false")
	if code != exitOK || !strings.Contains(stdout, "template "+tpl) || !strings.Contains(stdout, "matched yes (hardened)") {
		t.Errorf("table output (exit %d):\n%s", code, stdout)
	}
}

// A nuclei control whose template is missing stops the scan before it
// starts, naming the file, the control and the field.
func TestMissingTemplateIsUsageError(t *testing.T) {
	dir := t.TempDir()
	trust := filepath.Join(dir, "trust.yaml")
	os.WriteFile(trust, []byte(`version: 1
organization: {name: Acme}
scope: {web: ["https://127.0.0.1:1"]}
controls:
  - id: admin-hidden
    section: Network security
    statement: The admin panel is not exposed.
    verify: {kind: nuclei, template: checks/admin.yaml, expect: no-match}
`), 0o644)
	code, _, stderr := runVouch(t, "scan", "-c", trust, "-o", filepath.Join(dir, "out"), "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "trust.yaml:8: controls[0].verify.template: ") || !strings.Contains(stderr, "checks/admin.yaml: no such file") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("outputs written for a scan that never ran")
	}

	// A template that would reach beyond the target is refused the same way.
	os.MkdirAll(filepath.Join(dir, "checks"), 0o755)
	os.WriteFile(filepath.Join(dir, "checks", "admin.yaml"), []byte("id: x\ninfo: {name: x, author: a, severity: info}\ndns:\n  - name: \"{{FQDN}}\"\n    type: A\n"), 0o644)
	code, _, stderr = runVouch(t, "scan", "-c", trust, "-o", filepath.Join(dir, "out"), "--quiet")
	if code != exitUsage || !strings.Contains(stderr, "trust.yaml:8: controls[0].verify.template: checks/admin.yaml: not a valid nuclei-template: dns: only HTTP templates run in vouch") {
		t.Errorf("dns template: exit %d, stderr:\n%s", code, stderr)
	}
}
