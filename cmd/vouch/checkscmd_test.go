package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
)

func TestChecksCommand(t *testing.T) {
	code, out, stderr := runVouch(t, "checks")
	if code != 0 {
		t.Fatalf("vouch checks: exit %d\n%s", code, stderr)
	}
	for _, k := range checks.Kinds() {
		if !strings.Contains(out, "\n"+k+" ") {
			t.Errorf("vouch checks does not list %s", k)
		}
	}

	code, out, _ = runVouch(t, "checks", "email.dmarc")
	for _, want := range []string{"RFC 7489", "min_policy (enum)", `default "quarantine"`, "severity     high", "remediation", "the dns scanner on mail targets"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("vouch checks email.dmarc: exit %d, no %q in\n%s", code, want, out)
		}
	}

	code, out, _ = runVouch(t, "checks", "--json")
	var rules []posture.Rule
	if err := json.Unmarshal([]byte(out), &rules); err != nil || code != 0 {
		t.Fatalf("vouch checks --json: exit %d, %v", code, err)
	}
	if len(rules) != len(checks.Kinds()) {
		t.Errorf("--json lists %d rules, the registry has %d", len(rules), len(checks.Kinds()))
	}
	code, out, _ = runVouch(t, "checks", "--json", "waf.present")
	var one posture.Rule
	if err := json.Unmarshal([]byte(out), &one); err != nil || code != 0 || one.ID != "waf.present" || len(one.Needs) == 0 || !one.Needs[0].Active {
		t.Errorf("vouch checks --json waf.present: exit %d, %v, %+v", code, err, one)
	}

	code, _, stderr = runVouch(t, "checks", "tls.min_versoin")
	if code != exitUsage || !strings.Contains(stderr, `did you mean "tls.min_version"?`) {
		t.Errorf("unknown kind: exit %d, want %d with a suggestion\n%s", code, exitUsage, stderr)
	}
}

// TestHelpListsFromRegistry: the formats in --help come from report.Formats.
func TestHelpListsFromRegistry(t *testing.T) {
	_, out, _ := runVouch(t, "report", "--help")
	for _, f := range report.Formats() {
		if !strings.Contains(out, "  "+string(f)+" ") || !strings.Contains(out, f.Doc()) {
			t.Errorf("vouch report --help does not describe format %s", f)
		}
	}
	_, out, _ = runVouch(t, "check", "--help")
	if !strings.Contains(out, strings.Join(report.FormatNames(), ", ")) {
		t.Errorf("--format's usage does not list every format:\n%s", out)
	}
}

// TestBrokenControlsExitUsage: every broken control of
// testdata/broken-controls is a usage error (exit 3) naming file, line and
// field, before anything is judged.
func TestBrokenControlsExitUsage(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(snap, []byte(fmt.Sprintf(`{"schema_version": %q}`, posture.SchemaVersion)), 0o644); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../testdata/broken-controls/[0-9]*.yaml")
	if len(files) < 30 {
		t.Fatalf("%d broken controls, want at least 30", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		var wants []string
		for i, l := range lines {
			if strings.HasSuffix(l, "# <-") {
				wants = append(wants, fmt.Sprintf("%s:%d: ", f, i+1))
			}
		}
		n := 0
		for _, l := range lines {
			if w, ok := strings.CutPrefix(l, "# want: "); ok {
				field, _, _ := strings.Cut(w, ": ")
				wants[n] += field + ": "
				n++
			}
		}
		code, stdout, stderr := runVouch(t, "check", "--snapshot", snap, "-c", f)
		if code != exitUsage {
			t.Errorf("%s: exit %d, want %d\n%s%s", f, code, exitUsage, stdout, stderr)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr does not name %q:\n%s", f, w, stderr)
			}
		}
	}
}
