package checks

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

const codesGolden = "testdata/codes.golden"

// readGolden returns the codes of testdata/codes.golden in file order.
func readGolden(t *testing.T) []posture.Code {
	t.Helper()
	f, err := os.Open(codesGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []posture.Code
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, posture.Code(line))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Issue codes are API: baselines, SARIF and waivers quote them. The golden
// list holds every code vouch has ever published, in the order they were
// added. A code that is renamed or removed must stay readable: either it
// is still a code, or the alias table turns it into one. A new code is
// appended to the list, so that the next rename of it is caught too.
func TestCodesGoldenIsAppendOnly(t *testing.T) {
	golden := readGolden(t)
	current := AllCodes()
	aliases := posture.Aliases()
	seen := map[posture.Code]bool{}
	for _, c := range golden {
		if seen[c] {
			t.Errorf("%s: %s is listed twice", codesGolden, c)
		}
		seen[c] = true
		if slices.Contains(current, c) {
			if _, ok := aliases[c]; ok {
				t.Errorf("%s is both a code in use and an alias", c)
			}
			continue
		}
		to, ok := aliases[c]
		switch {
		case !ok:
			t.Errorf("the published code %s is gone: a report, baseline or SARIF file quoting it no longer matches. "+
				"Keep the constant, or add it to the alias table of posture/code.go with the code it became", c)
		case !slices.Contains(current, to):
			t.Errorf("alias %s → %s: the target is not a code in use", c, to)
		}
	}
	for _, c := range current {
		if !seen[c] {
			t.Errorf("%s is not in %s: append it (at the end; never reorder or delete lines)", c, codesGolden)
		}
	}
	for from, to := range aliases {
		if !seen[from] {
			t.Errorf("alias %s → %s: the old code is not in %s", from, to, codesGolden)
		}
		if _, chained := aliases[to]; chained {
			t.Errorf("alias %s → %s: the target is itself an alias", from, to)
		}
	}
}

// An old code read back from a report, snapshot or baseline is the code it
// became: a finding written before the rename compares equal to today's.
func TestAliasesReadAsCurrentCodes(t *testing.T) {
	if len(posture.Aliases()) == 0 {
		t.Fatal("no aliases: this test would prove nothing")
	}
	for from, to := range posture.Aliases() {
		var f posture.Finding
		if err := json.Unmarshal([]byte(`{"code":"`+string(from)+`"}`), &f); err != nil {
			t.Fatal(err)
		}
		if f.Code != to {
			t.Errorf("a finding with code %s reads as %s, want %s", from, f.Code, to)
		}
		var k posture.DKIMKey
		if err := json.Unmarshal([]byte(`{"issues":["`+string(from)+`"]}`), &k); err != nil {
			t.Fatal(err)
		}
		if len(k.Issues) != 1 || k.Issues[0] != to {
			t.Errorf("an observation's issue %s reads as %v, want %s", from, k.Issues, to)
		}
	}
	var f posture.Finding
	if err := json.Unmarshal([]byte(`{"code":"tls.protocol.tls10_enabled"}`), &f); err != nil || f.Code != CodeTLS10Enabled {
		t.Errorf("a current code reads as %q (%v)", f.Code, err)
	}
}
