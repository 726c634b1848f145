package checks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// declareAll declares one control per registered check, over every target.
func declareAll() posture.Declaration {
	var d posture.Declaration
	for _, k := range Kinds() {
		d.Controls = append(d.Controls, verifyCtl(k, k, nil))
	}
	return d
}

// checkReport holds every report to the engine's invariants.
func checkReport(t *testing.T, r posture.Report, decl posture.Declaration) {
	t.Helper()
	if len(r.Controls) != len(decl.Controls) {
		t.Fatalf("checks: %d results for %d controls", len(r.Controls), len(decl.Controls))
	}
	total := 0
	for _, n := range r.Summary {
		total += n
	}
	if total != len(r.Controls) {
		t.Errorf("checks: summary %v does not count %d controls", r.Summary, len(r.Controls))
	}
	for _, c := range r.Controls {
		if !c.Verdict.Valid() {
			t.Errorf("checks: %s verdict %q", c.Control.ID, c.Verdict)
		}
		if c.Verdict == posture.Verified && c.VerifiedAt.IsZero() {
			t.Errorf("checks: %s verified without VerifiedAt", c.Control.ID)
		}
		for _, f := range c.Findings {
			if f.ControlID != c.Control.ID || f.Severity.Rank() < 0 || !f.Verdict.Valid() {
				t.Errorf("checks: %s: unfilled finding %+v", c.Control.ID, f)
			}
			if f.Verdict == posture.Inconclusive && f.Reason == nil {
				t.Errorf("checks: %s: inconclusive without reason: %+v", c.Control.ID, f)
			}
			if (f.Verdict == posture.Verified || f.Verdict == posture.Contradicted) && f.Reason != nil {
				t.Errorf("checks: %s: %s with a could-not-observe reason: %+v", c.Control.ID, f.Verdict, f)
			}
			if f.Code != "" && !slices.Contains(AllCodes(), f.Code) {
				t.Errorf("checks: %s: code %s is no constant of AllCodes (posture/codes_*.go, checks/codes*.go)", c.Control.ID, f.Code)
			}
		}
	}
}

func TestSampleSnapshot(t *testing.T) {
	decl := declareAll()
	checkReport(t, evaluate(decl, sample()), decl)
}

// Recorded snapshots in testdata/snapshots (demo.json: what `vouch demo`
// observed of its loopback deployment) evaluate cleanly and
// deterministically against one control per check, each to the verdict
// recorded next to it in NAME.verdicts.json (VOUCH_UPDATE_GOLDEN=1
// rewrites those after a deliberate change).
func TestRecordedSnapshots(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "snapshots", "*.json"))
	var snaps []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".verdicts.json") {
			snaps = append(snaps, f)
		}
	}
	if len(snaps) == 0 {
		t.Fatal("checks: no recorded snapshots in testdata/snapshots")
	}
	decl := declareAll()
	for _, file := range snaps {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var snap posture.Snapshot
			if err := json.Unmarshal(b, &snap); err != nil {
				t.Fatalf("checks: %s: %v", file, err)
			}
			r := evaluate(decl, &snap)
			checkReport(t, r, decl)
			a, _ := json.Marshal(r)
			b2, _ := json.Marshal(evaluate(decl, &snap))
			if string(a) != string(b2) {
				t.Errorf("checks: %s: evaluation is not deterministic", file)
			}
			got := map[string]posture.Verdict{}
			for _, c := range r.Controls {
				got[c.Control.ID] = c.Verdict
			}
			golden := strings.TrimSuffix(file, ".json") + ".verdicts.json"
			if os.Getenv("VOUCH_UPDATE_GOLDEN") == "1" {
				out, _ := json.MarshalIndent(got, "", "  ")
				if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wb, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("checks: %v (VOUCH_UPDATE_GOLDEN=1 writes it)", err)
			}
			var want map[string]posture.Verdict
			if err := json.Unmarshal(wb, &want); err != nil {
				t.Fatal(err)
			}
			for _, k := range Kinds() {
				if got[k] != want[k] {
					t.Errorf("checks: %s: %s is %s, recorded %q", file, k, got[k], want[k])
				}
			}
			kinds := map[posture.Verdict]int{}
			for _, v := range got {
				kinds[v]++
			}
			if kinds[posture.Verified] == 0 || kinds[posture.Contradicted] == 0 {
				t.Errorf("checks: %s judges to %v: want verified and contradicted controls both", file, kinds)
			}
		})
	}
}
