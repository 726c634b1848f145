package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vouch scan --targets adds a list's targets to trust.yaml's scope, and
// controls without targets: cover them; a bad list is a usage error that
// names its line, before anything is sent.
func TestScanTargetsFile(t *testing.T) {
	inYAML, listed := newRecordingServer(t), newRecordingServer(t)
	dir := t.TempDir()
	trust := writeTrust(t, dir, inYAML.URL, tlsHSTSControls)
	list := filepath.Join(dir, "fleet.txt")
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(list, []byte("# the fleet\n"+listed.URL+"  # one more origin\n"+inYAML.URL+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(listed.URL+"\n\nftp://files.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	base := []string{"scan", "-c", trust, "-o", out, "--fail-on", "none", "--quiet", "--ca-file", inYAML.caFile,
		"--resolver", "127.0.0.1:1", "--timeout", "3s"}

	code, _, stderr := runVouch(t, append(base, "--targets", bad)...)
	if code != exitUsage || !strings.Contains(stderr, bad+":3:") || !strings.Contains(stderr, "ftp") {
		t.Errorf("bad list: exit %d, want %d naming %s:3\n%s", code, exitUsage, bad, stderr)
	}
	if n := inYAML.conns.Load() + listed.conns.Load(); n != 0 {
		t.Errorf("a bad --targets list still sent %d connections", n)
	}

	code, stdout, stderr := runVouch(t, append(base, "--targets", list)...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for name, srv := range map[string]*recordingServer{"trust.yaml's": inYAML, "the list's": listed} {
		if len(srv.requestLines()) == 0 {
			t.Errorf("%s origin was not scanned", name)
		}
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	covered := map[string]bool{}
	for _, c := range rep.Controls {
		for _, f := range c.Findings {
			covered[f.Target] = true
		}
	}
	if !covered[listed.URL] || !covered[inYAML.URL] {
		t.Errorf("findings cover %v, want both origins", covered)
	}
	scope := map[string]bool{}
	for _, tg := range rep.Scope {
		scope[tg.Address] = true
	}
	if len(rep.Scope) != 2 || !scope[listed.URL] || !scope[inYAML.URL] {
		t.Errorf("report scope %+v, want the two origins once each", rep.Scope)
	}
}
