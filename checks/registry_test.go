package checks

import (
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

// The codes*.go files are the one place issue codes are spelled: every
// Code constant is in Codes(), values are unique, and no check spells a
// code literally.
func TestCodes(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("codes*.go")
	exprs := map[string]ast.Expr{}
	var names []string
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if vs, ok := n.(*ast.ValueSpec); ok && len(vs.Values) == len(vs.Names) {
				for i, id := range vs.Names {
					exprs[id.Name] = vs.Values[i]
					if strings.HasPrefix(id.Name, "Code") {
						names = append(names, id.Name)
					}
				}
			}
			return true
		})
	}
	// eval folds string constants made of literals, other constants and +.
	var eval func(e ast.Expr) string
	eval = func(e ast.Expr) string {
		switch x := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(x.Value)
			if err != nil {
				t.Fatal(err)
			}
			return s
		case *ast.Ident:
			if v, ok := exprs[x.Name]; ok {
				return eval(v)
			}
		case *ast.BinaryExpr:
			if x.Op == token.ADD {
				return eval(x.X) + eval(x.Y)
			}
		case *ast.ParenExpr:
			return eval(x.X)
		}
		t.Fatalf("checks: cannot fold code expression %T", e)
		return ""
	}
	var consts []string
	for _, n := range names {
		consts = append(consts, eval(exprs[n]))
	}
	slices.Sort(consts)
	if !slices.Equal(consts, Codes()) {
		t.Errorf("checks: Codes() and the Code constants of codes*.go differ:\n %v\n %v", Codes(), consts)
	}
	if len(slices.Compact(slices.Clone(consts))) != len(consts) {
		t.Errorf("checks: two code constants share a value")
	}
	codeRE := regexp.MustCompile(`^[a-z]+(\.[a-z0-9_]+){2,}$|^check\.[a-z_]+$|^waf\.[a-z_]+$`)
	for _, c := range consts {
		if !codeRE.MatchString(c) {
			t.Errorf("checks: code %q is not a dotted lower-case id", c)
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
				t.Errorf("checks: %s spells the code %s literally; use a constant from codes*.go", name, m)
			}
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
