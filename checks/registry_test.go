package checks

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// registerForTest registers c for the duration of one test.
func registerForTest(t *testing.T, c Check) {
	t.Helper()
	Register(c)
	t.Cleanup(func() {
		registry.Lock()
		delete(registry.checks, c.Rule.ID)
		registry.Unlock()
	})
}

var mappingRE = regexp.MustCompile(`^(SOC2:CC\d+\.\d+|ISO27001:A\.\d+\.\d+|CIS:\d+\.\d+)$`)

func TestRegistry(t *testing.T) {
	all := All()
	if len(all) < 8 {
		t.Fatalf("checks: %d checks registered, want at least 8", len(all))
	}
	var ids []string
	for _, c := range all {
		ids = append(ids, c.Rule.ID)
	}
	if !slices.IsSorted(ids) || !slices.Equal(ids, Kinds()) {
		t.Errorf("checks: All() not sorted or not Kinds(): %v vs %v", ids, Kinds())
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("checks: duplicate IDs: %v", ids)
	}
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f.Name()] = true
	}
	for _, c := range all {
		r := c.Rule
		t.Run(r.ID, func(t *testing.T) {
			if r.Title == "" || r.Description == "" || r.Citation == "" || r.Remediation == "" {
				t.Errorf("checks: %s lacks title, description, citation or remediation", r.ID)
			}
			if r.Severity.Rank() < 0 {
				t.Errorf("checks: %s severity %q", r.ID, r.Severity)
			}
			if !strings.Contains(r.Citation, "RFC") && !strings.Contains(r.Citation, "PCI") && !strings.Contains(r.Citation, "NIST") {
				t.Errorf("checks: %s citation %q names no RFC or standard", r.ID, r.Citation)
			}
			if len(r.Mappings) == 0 {
				t.Errorf("checks: %s suggests no mappings", r.ID)
			}
			for _, m := range r.Mappings {
				if !mappingRE.MatchString(m) {
					t.Errorf("checks: %s mapping %q is not a SOC2/ISO27001:2022/CIS v8 id", r.ID, m)
				}
			}
			if len(r.Needs) == 0 {
				t.Errorf("checks: %s declares no Needs", r.ID)
			}
			if r.Claim == "" {
				t.Errorf("checks: %s has no example Claim", r.ID)
			}
			base := strings.ReplaceAll(r.ID, ".", "_")
			for _, f := range []string{base + ".go", base + "_test.go"} {
				if !have[f] {
					t.Errorf("checks: %s has no file %s", r.ID, f)
				}
			}
			if ok, _ := Lookup(r.ID); ok.Run == nil {
				t.Errorf("checks: Lookup(%s) lost Run", r.ID)
			}
		})
	}
	if _, ok := Lookup("no.such"); ok {
		t.Errorf("checks: Lookup found an unregistered id")
	}
}

// Lookup and All hand out copies: a caller cannot change the registry.
func TestRegistryCopies(t *testing.T) {
	c, _ := Lookup("tls.min_version")
	c.Rule.Mappings[0] = "changed"
	c.Rule.Params[0].Doc = "changed"
	c.Rule.Params[0].Enum[0] = "changed"
	c.Rule.Needs[0].Feature = "changed"
	again, _ := Lookup("tls.min_version")
	if again.Rule.Mappings[0] == "changed" || again.Rule.Params[0].Doc == "changed" || again.Rule.Params[0].Enum[0] == "changed" || again.Rule.Needs[0].Feature == "changed" {
		t.Fatal("checks: Lookup returned the registry's own slices")
	}
}

func TestRegisterRejects(t *testing.T) {
	good := posture.Rule{ID: "test.x", Title: "t", Citation: "RFC 1", Severity: posture.SeverityLow, Remediation: "r", Needs: needTLSWeb}
	withParam := func(p posture.Param) posture.Rule { r := good; r.Params = []posture.Param{p}; return r }
	run := func(Input) []posture.Finding { return nil }
	tests := map[string]Check{
		"no id":          {Rule: func() posture.Rule { r := good; r.ID = ""; return r }(), Run: run},
		"no title":       {Rule: func() posture.Rule { r := good; r.Title = ""; return r }(), Run: run},
		"no citation":    {Rule: func() posture.Rule { r := good; r.Citation = ""; return r }(), Run: run},
		"no remediation": {Rule: func() posture.Rule { r := good; r.Remediation = ""; return r }(), Run: run},
		"no severity":    {Rule: func() posture.Rule { r := good; r.Severity = ""; return r }(), Run: run},
		"bad severity":   {Rule: func() posture.Rule { r := good; r.Severity = "urgent"; return r }(), Run: run},
		"no run":         {Rule: good},
		"duplicate":      {Rule: func() posture.Rule { r := good; r.ID = "tls.min_version"; return r }(), Run: run},
		"no needs":       {Rule: func() posture.Rule { r := good; r.Needs = nil; return r }(), Run: run},
		"unknown scanner": {Rule: func() posture.Rule {
			r := good
			r.Needs = []posture.Need{{Scanner: "smtp", Targets: posture.TargetMail}}
			return r
		}(), Run: run},
		"need of an undeclared param": {Rule: func() posture.Rule {
			r := good
			r.Needs = []posture.Need{{Scanner: posture.ScannerWAF, Targets: posture.TargetWeb, Feature: "template", Param: "template"}}
			return r
		}(), Run: run},
		"param named kind":        {Rule: withParam(boolParam("kind", false, "d")), Run: run},
		"upper-case param":        {Rule: withParam(boolParam("Min", false, "d")), Run: run},
		"param without doc":       {Rule: withParam(boolParam("x", false, "")), Run: run},
		"enum without values":     {Rule: withParam(enumParam("x", "", nil, "d")), Run: run},
		"default out of range":    {Rule: withParam(intParam("x", 200, 0, 100, "d")), Run: run},
		"default not in the enum": {Rule: withParam(enumParam("x", "c", []string{"a", "b"}, "d")), Run: run},
		"required with a default": {Rule: withParam(posture.Param{Name: "x", Type: posture.ParamString, Doc: "d", Required: true, Default: "y"}), Run: run},
		"unknown type":            {Rule: withParam(posture.Param{Name: "x", Type: "colour", Doc: "d", Default: "red"}), Run: run},
		"validate of no param":    {Rule: good, Run: run, Validate: map[string]func(posture.Value) error{"x": func(posture.Value) error { return nil }}},
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("checks: Register accepted a check with %s", name)
				}
			}()
			Register(c)
		})
	}
	if _, ok := Lookup("test.x"); ok {
		t.Fatal("checks: a rejected check was registered")
	}
}

// The codes*.go files are the one place this package spells its issue
// codes: every Code constant there is typed posture.Code and spelled as
// one literal, is in Codes(), is not also a scanner's code (a code shared
// with a scanner is the posture constant), and no other file of the
// package spells any code, of any family, literally.
func TestCodes(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("codes*.go")
	var consts []posture.Code
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, id := range vs.Names {
				if !strings.HasPrefix(id.Name, "Code") {
					continue
				}
				sel, typed := vs.Type.(*ast.SelectorExpr)
				if !typed || sel.Sel.Name != "Code" || fmt.Sprint(sel.X) != "posture" {
					t.Errorf("checks: %s: %s is not declared as posture.Code", fset.Position(id.Pos()), id.Name)
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Errorf("checks: %s: %s is not one string literal", fset.Position(id.Pos()), id.Name)
					continue
				}
				v, _ := strconv.Unquote(lit.Value)
				consts = append(consts, posture.Code(v))
			}
			return true
		})
	}
	slices.Sort(consts)
	if !slices.Equal(consts, Codes()) {
		t.Errorf("checks: Codes() and the Code constants of codes*.go differ:\n %v\n %v", Codes(), consts)
	}
	if len(slices.Compact(slices.Clone(consts))) != len(consts) {
		t.Errorf("checks: two code constants share a value")
	}
	for _, c := range Codes() {
		if slices.Contains(posture.ScannerCodes(), c) {
			t.Errorf("checks: %s is defined both here and in posture: use posture's constant", c)
		}
	}
	codeRE := regexp.MustCompile(`^(tls|http|email|dns|waf)(\.[a-z0-9_]+){2,}$|^(check|waf)\.[a-z_]+$`)
	for _, c := range AllCodes() {
		if !codeRE.MatchString(string(c)) {
			t.Errorf("checks: code %q is not a dotted lower-case id of a known family", c)
		}
	}

	// Every family of code: the first part of each kind, and check.
	families := map[string]bool{"check": true}
	for _, k := range Kinds() {
		families[strings.SplitN(k, ".", 2)[0]] = true
	}
	for _, f := range []string{"tls", "http", "email", "dns", "waf", "nuclei", "check"} {
		if !families[f] {
			t.Errorf("checks: no kind of family %s: the literal scan below would miss its codes", f)
		}
	}
	literal := regexp.MustCompile(`"(` + strings.Join(slices.Sorted(maps.Keys(families)), "|") + `)\.[a-z0-9_]+(\.[a-z0-9_.]+)?"`)
	kinds := map[string]bool{}
	for _, k := range Kinds() {
		kinds[`"`+k+`"`] = true
	}
	entries, _ := os.ReadDir(".")
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasPrefix(name, "codes") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllString(string(b), -1) {
			if !kinds[m] {
				t.Errorf("checks: %s spells the code %s literally; use a posture.Code constant", name, m)
			}
		}
		for _, c := range AllCodes() {
			if bytes.Contains(b, []byte(strconv.Quote(string(c)))) && !kinds[strconv.Quote(string(c))] {
				t.Errorf("checks: %s spells the code %q literally; use its constant", name, c)
			}
		}
	}
}

// The literal-code scan above catches every code of more than one part.
func TestCodeLiteralScanCoversEveryCode(t *testing.T) {
	literal := regexp.MustCompile(`"(tls|http|email|dns|waf|nuclei|check)\.[a-z0-9_]+(\.[a-z0-9_.]+)?"`)
	for _, c := range AllCodes() {
		if !literal.MatchString(strconv.Quote(string(c))) {
			t.Errorf("checks: the literal-code pattern misses %s", c)
		}
	}
}

// requiredParams gives every required parameter of r a value its type takes.
func requiredParams(r posture.Rule) map[string]string {
	out := map[string]string{}
	for _, p := range r.Params {
		if p.Required {
			out[p.Name] = "x.yaml"
		}
	}
	return out
}

// Whatever the scanners could not observe is never verified or
// contradicted, by any check.
func TestMissingIsNeverJudged(t *testing.T) {
	missingSnap := &posture.Snapshot{
		TLS:  []posture.TLSObservation{{Observation: failed(obs(web("https://a.example"), "tls", "192.0.2.1:443", "e1"), posture.ReasonTimeout)}},
		HTTP: []posture.HTTPObservation{{Observation: failed(obs(web("https://a.example"), "http", "", "e2"), posture.ReasonRefused)}},
		DNS:  []posture.DNSObservation{{Observation: failed(obs(mail("a.example"), "dns", "127.0.0.1:53", "e3"), posture.ReasonServFail)}},
		WAF:  []posture.WAFObservation{{Observation: failed(obs(web("https://a.example"), "waf", "", "e4"), posture.ReasonUnreachable)}},
	}
	// Observed, but every field left at its zero value: nothing known.
	emptySnap := &posture.Snapshot{
		TLS:  []posture.TLSObservation{{Observation: obs(web("https://a.example"), "tls", "192.0.2.1:443", "e1")}},
		HTTP: []posture.HTTPObservation{{Observation: obs(web("https://a.example"), "http", "", "e2")}},
		DNS:  []posture.DNSObservation{{Observation: obs(mail("a.example"), "dns", "127.0.0.1:53", "e3")}},
		WAF:  []posture.WAFObservation{{Observation: obs(web("https://a.example"), "waf", "", "e4")}},
	}
	for _, c := range All() {
		for name, snap := range map[string]*posture.Snapshot{"missing": missingSnap, "empty": emptySnap} {
			fs := runKind(t, c.Rule.ID, requiredParams(c.Rule), snap)
			if len(fs) != 1 {
				t.Errorf("checks: %s on the %s snapshot: %d findings, want 1", c.Rule.ID, name, len(fs))
			}
			for _, f := range fs {
				if f.Verdict != posture.Inconclusive {
					t.Errorf("checks: %s judged an unobserved value %s: %s", c.Rule.ID, f.Verdict, f.Message)
				}
				if name == "missing" && f.Reason.Detail != "test" {
					t.Errorf("checks: %s did not copy the scanner's reason: %v", c.Rule.ID, f.Reason)
				}
			}
		}
	}
}
