// Package archtest enforces the import rules of DESIGN.md: posture at the
// bottom, the stages beside each other, only cmd/vouch wiring them.
package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/vouchdev/vouch"

// allowed maps a package (relative to the module) to the project packages
// its non-test code may import. A prefix ending in "/" covers the subtree.
var allowed = map[string][]string{
	"posture":           {},
	"config":            {"posture"},
	"scanners":          {"posture", "scanners/netlimit"},
	"scanners/tlsscan":  {"posture", "scanners/netlimit"},
	"scanners/httpscan": {"posture", "scanners/netlimit"},
	"scanners/dnsscan":  {"posture", "scanners/netlimit"},
	"scanners/wafscan":  {"posture", "scanners/netlimit"},
	"scanners/netlimit": {},
	// The nuclei engine and the companion binary made of it (vouch-waf):
	// the main vouch binary runs it as a process, so it never links nuclei.
	"scanners/wafscan/engine": {"posture", "scanners/wafscan"},
	"cmd/vouch-waf":           {"scanners/wafscan", "scanners/wafscan/engine"},
	"checks":                  {"posture"},
	"report":                  {"posture"},
	"site":                    {"posture"},
	"internal/":               {"posture", "internal/"},
	// The generator of the files derived from the registry of checks
	// (go generate ./internal/derive): build-time only, linked into no
	// binary, so it may read both the checks and config's base schema.
	"internal/derive":     {"posture", "checks", "config"},
	"internal/derive/gen": {"internal/derive"},
	"cmd/vouch":           {"*"},
	// The benchmark harness runs vouch as a process and imports nothing of
	// it; the full-scan row's DNS zone is served by the tests' DNS server,
	// its certificate made by the tests' CA.
	"bench": {"internal/dnstest", "internal/pki"},
}

// heavy lists third-party packages that only the named project packages
// may link. Linking nuclei costs a process 0.23 s and 144 MB at start-up
// and writes ~/.config/nuclei: cmd/vouch must stay clear of it.
var heavy = map[string][]string{
	"github.com/projectdiscovery/nuclei/v3": {"scanners/wafscan/engine", "cmd/vouch-waf"},
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps=false", "-json", module+"/...")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func rulesFor(rel string) ([]string, bool) {
	if r, ok := allowed[rel]; ok {
		return r, true
	}
	for k, r := range allowed {
		if strings.HasSuffix(k, "/") && strings.HasPrefix(rel+"/", k) {
			return r, true
		}
	}
	return nil, false
}

func permitted(rules []string, imp string) bool {
	for _, r := range rules {
		if r == "*" || r == imp || (strings.HasSuffix(r, "/") && strings.HasPrefix(imp+"/", r)) {
			return true
		}
	}
	return false
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rules, ok := rulesFor(rel)
		if !ok {
			t.Errorf("%s: no import rule; add it to DESIGN.md's table and to this test", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			irel := strings.TrimPrefix(imp, module+"/")
			if !permitted(rules, irel) {
				t.Errorf("%s imports %s: DESIGN.md allows only %v", rel, irel, rules)
			}
		}
		for _, dep := range p.Deps {
			for h, owners := range heavy {
				if (dep == h || strings.HasPrefix(dep, h+"/")) && !slices.Contains(owners, rel) {
					t.Errorf("%s links %s; only %v may", rel, h, owners)
				}
			}
		}
	}
}

// TestPostureIsStdlibOnly: the data model imports nothing outside the
// standard library, directly or indirectly.
func TestPostureIsStdlibOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", module+"/posture").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Fields(string(out)) {
		if l != module+"/posture" {
			t.Errorf("posture depends on %s", l)
		}
	}
}

// TestRulesCatchViolations makes sure the checker itself can fail.
func TestRulesCatchViolations(t *testing.T) {
	r, _ := rulesFor("checks")
	if permitted(r, "scanners/tlsscan") {
		t.Error("checks must not be allowed to import a scanner")
	}
	r, _ = rulesFor("internal/pki")
	if !permitted(r, "posture") || permitted(r, "checks") {
		t.Error("internal rules wrong")
	}
	if _, ok := rulesFor("somethingnew"); ok {
		t.Error("unknown packages must have no rule")
	}
}
