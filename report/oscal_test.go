package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Patterns of the OSCAL 1.1.2 datatypes the writer emits
// (https://pages.nist.gov/metaschema/specification/datatypes/).
var (
	oscalUUIDRe   = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`)
	oscalTokenRe  = regexp.MustCompile(`^(\pL|_)(\pL|\pN|[.\-_])*$`)
	oscalStringRe = regexp.MustCompile(`^\S(.*\S)?$`)
	oscalDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
)

// oscalChecker walks a decoded assessment-results document and reports
// what the OSCAL model requires and the document lacks.
type oscalChecker struct {
	problems []string
	uuids    map[string]string
}

func (c *oscalChecker) fail(at, format string, args ...any) {
	c.problems = append(c.problems, at+": "+fmt.Sprintf(format, args...))
}

func (c *oscalChecker) obj(at string, x any, required ...string) map[string]any {
	m, ok := x.(map[string]any)
	if !ok {
		c.fail(at, "not an object")
		return map[string]any{}
	}
	for _, k := range required {
		if _, ok := m[k]; !ok {
			c.fail(at, "missing required %q", k)
		}
	}
	return m
}

func (c *oscalChecker) arr(at string, x any, min int) []any {
	a, ok := x.([]any)
	if x == nil {
		return nil
	}
	if !ok || len(a) < min {
		c.fail(at, "want an array of at least %d", min)
	}
	return a
}

func (c *oscalChecker) str(at string, x any, re *regexp.Regexp) string {
	s, ok := x.(string)
	if !ok {
		c.fail(at, "not a string")
		return ""
	}
	if re != nil && !re.MatchString(s) {
		c.fail(at, "%q does not match %s", s, re)
	}
	return s
}

func (c *oscalChecker) uuid(at string, x any) string {
	s := c.str(at, x, oscalUUIDRe)
	if prev, dup := c.uuids[s]; dup {
		c.fail(at, "uuid %s also used at %s", s, prev)
	}
	c.uuids[s] = at
	return s
}

func (c *oscalChecker) props(at string, x any) {
	for i, p := range c.arr(at, x, 1) {
		pat := fmt.Sprintf("%s[%d]", at, i)
		m := c.obj(pat, p, "name", "value")
		c.str(pat+".name", m["name"], oscalTokenRe)
		c.str(pat+".value", m["value"], oscalStringRe)
	}
}

func checkOSCAL(t *testing.T, doc []byte) (findings []map[string]any, observations map[string]map[string]any) {
	t.Helper()
	var top any
	if err := json.Unmarshal(doc, &top); err != nil {
		t.Fatalf("OSCAL output is not JSON: %v", err)
	}
	c := &oscalChecker{uuids: map[string]string{}}
	ar := c.obj("assessment-results", c.obj("$", top, "assessment-results")["assessment-results"], "uuid", "metadata", "import-ap", "results")
	c.uuid("assessment-results.uuid", ar["uuid"])
	md := c.obj("metadata", ar["metadata"], "title", "last-modified", "version", "oscal-version")
	c.str("metadata.title", md["title"], oscalStringRe)
	c.str("metadata.last-modified", md["last-modified"], oscalDateTime)
	c.str("metadata.version", md["version"], oscalStringRe)
	if v := c.str("metadata.oscal-version", md["oscal-version"], nil); v != "1.1.2" {
		t.Errorf("oscal-version %q, want 1.1.2", v)
	}
	c.props("metadata.props", md["props"])
	c.str("import-ap.href", c.obj("import-ap", ar["import-ap"], "href")["href"], oscalStringRe)

	observations = map[string]map[string]any{}
	results := c.arr("results", ar["results"], 1)
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	res := c.obj("results[0]", results[0], "uuid", "title", "description", "start", "reviewed-controls")
	c.uuid("results[0].uuid", res["uuid"])
	start, _ := time.Parse(time.RFC3339, c.str("results[0].start", res["start"], oscalDateTime))
	if end, ok := res["end"]; ok {
		e, _ := time.Parse(time.RFC3339, c.str("results[0].end", end, oscalDateTime))
		if e.Before(start) {
			t.Errorf("result ends %s before it starts %s", e, start)
		}
	}
	c.props("results[0].props", res["props"])
	rc := c.obj("reviewed-controls", res["reviewed-controls"], "control-selections")
	for i, s := range c.arr("control-selections", rc["control-selections"], 1) {
		sel := c.obj(fmt.Sprintf("control-selections[%d]", i), s)
		if _, all := sel["include-all"]; !all {
			for j, x := range c.arr("include-controls", sel["include-controls"], 1) {
				at := fmt.Sprintf("include-controls[%d]", j)
				c.str(at, c.obj(at, x, "control-id")["control-id"], oscalTokenRe)
			}
		}
	}
	for i, x := range c.arr("observations", res["observations"], 1) {
		at := fmt.Sprintf("observations[%d]", i)
		o := c.obj(at, x, "uuid", "description", "methods", "collected")
		observations[c.uuid(at+".uuid", o["uuid"])] = o
		c.str(at+".collected", o["collected"], oscalDateTime)
		for j, m := range c.arr(at+".methods", o["methods"], 1) {
			if s := c.str(fmt.Sprintf("%s.methods[%d]", at, j), m, nil); !strings.Contains(" EXAMINE INTERVIEW TEST UNKNOWN ", " "+s+" ") {
				c.fail(at, "method %q is not one of OSCAL's", s)
			}
		}
		c.props(at+".props", o["props"])
		for j, e := range c.arr(at+".relevant-evidence", o["relevant-evidence"], 1) {
			ea := fmt.Sprintf("%s.relevant-evidence[%d]", at, j)
			ev := c.obj(ea, e, "description")
			c.str(ea+".description", ev["description"], oscalStringRe)
			c.props(ea+".props", ev["props"])
		}
	}
	for i, x := range c.arr("findings", res["findings"], 1) {
		at := fmt.Sprintf("findings[%d]", i)
		f := c.obj(at, x, "uuid", "title", "description", "target")
		c.uuid(at+".uuid", f["uuid"])
		tg := c.obj(at+".target", f["target"], "type", "target-id", "status")
		if ty := c.str(at+".target.type", tg["type"], nil); ty != "objective-id" && ty != "statement-id" {
			c.fail(at, "target type %q", ty)
		}
		c.str(at+".target.target-id", tg["target-id"], oscalTokenRe)
		st := c.obj(at+".target.status", tg["status"], "state")
		if s := c.str(at+".status.state", st["state"], nil); s != "satisfied" && s != "not-satisfied" {
			c.fail(at, "state %q", s)
		}
		c.props(at+".props", f["props"])
		for j, r := range c.arr(at+".related-observations", f["related-observations"], 1) {
			ra := fmt.Sprintf("%s.related-observations[%d]", at, j)
			u := c.str(ra, c.obj(ra, r, "observation-uuid")["observation-uuid"], oscalUUIDRe)
			if _, ok := observations[u]; !ok {
				c.fail(ra, "no observation %s", u)
			}
		}
		findings = append(findings, f)
	}
	for _, p := range c.problems {
		t.Error(p)
	}
	return findings, observations
}

func TestOSCALStructure(t *testing.T) {
	out := render(t, fixture(), FormatOSCAL, Options{Internal: true})
	findings, observations := checkOSCAL(t, []byte(out))

	// One finding per control with something to judge, not-applicable
	// left out; only verified and attested are satisfied.
	want := map[string]string{
		"tls-modern": "not-satisfied/fail", "hsts": "not-satisfied/other", "spf": "not-satisfied/other",
		"dmarc": "satisfied/pass", "at-rest": "satisfied/other", "waf": "not-satisfied/fail", "csp-admin": "not-satisfied/fail",
	}
	got := map[string]string{}
	for _, f := range findings {
		tg := f["target"].(map[string]any)
		st := tg["status"].(map[string]any)
		got[tg["target-id"].(string)] = st["state"].(string) + "/" + st["reason"].(string)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("finding states\n got  %v\n want %v", got, want)
	}
	// 8 vouch findings + 1 attestation.
	if len(observations) != 9 {
		t.Errorf("%d observations, want 9", len(observations))
	}
	for _, ev := range []string{"tls-app-handshake", "tls-app-chain", "http-legacy-head", "dns-dmarc", "waf/app:443 probe#1"} {
		if !strings.Contains(out, `"value": "`+ev+`"`) {
			t.Errorf("evidence %s not cited", ev)
		}
	}
	if strings.Contains(out, "<script") || strings.Contains(out, `\u003cscript`) {
		t.Error("markup from declared text reached a markup field")
	}

	// Stable: the same report gives the same document; another scan id
	// gives other uuids.
	if again := render(t, fixture(), FormatOSCAL, Options{Internal: true}); again != out {
		t.Error("OSCAL output is not deterministic")
	}
	r := fixture()
	r.ScanID = "other"
	other := render(t, r, FormatOSCAL, Options{Internal: true})
	var a, b oscalDoc
	json.Unmarshal([]byte(out), &a)
	json.Unmarshal([]byte(other), &b)
	if a.AssessmentResults.UUID == b.AssessmentResults.UUID || a.AssessmentResults.Results[0].Findings[0].UUID == b.AssessmentResults.Results[0].Findings[0].UUID {
		t.Error("uuids do not depend on the scan id")
	}

	// An empty report is still a valid document.
	empty := &posture.Report{SchemaVersion: posture.SchemaVersion, ScanID: "x", GeneratedAt: clock}
	checkOSCAL(t, []byte(render(t, empty, FormatOSCAL, Options{Internal: true})))
}

func TestNameUUID(t *testing.T) {
	u := nameUUID("a", "b")
	if !oscalUUIDRe.MatchString(u) || u[14] != '5' {
		t.Errorf("nameUUID = %s, want a version-5 UUID", u)
	}
	if u != nameUUID("a", "b") || u == nameUUID("ab") || u == nameUUID("a", "c") {
		t.Error("nameUUID is not a function of its parts")
	}
	for _, c := range []struct{ in, want string }{{"tls-modern", "tls-modern"}, {"9lives", "_lives"}, {"SOC2:CC6.7", "SOC2_CC6.7"}, {"", "_"}} {
		if got := oscalToken(c.in); got != c.want || !oscalTokenRe.MatchString(got) {
			t.Errorf("oscalToken(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
