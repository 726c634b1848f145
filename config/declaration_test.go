package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/vouchdev/vouch/posture"
)

const examplesDir = "../testdata/trust"

// examples are the five seed pages as trust.yaml files.
var examples = []struct {
	file, org string
}{
	{"sintra.yaml", "Sintra"},
	{"syntora.yaml", "Syntora"},
	{"sentd.yaml", "SENTD"},
	{"dsentr.yaml", "DSentr"},
	{"sentro.yaml", "Sentro"},
}

func loadExample(t *testing.T, file string) posture.Declaration {
	t.Helper()
	d, err := LoadDeclaration(New(), filepath.Join(examplesDir, file), testRegistry)
	if err != nil {
		t.Fatalf("LoadDeclaration(%s):\n%v", file, err)
	}
	return d
}

func TestExamplesLoad(t *testing.T) {
	totalWaivers, internal := 0, 0
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			path := filepath.Join(examplesDir, ex.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			const schemaLine = "# yaml-language-server: $schema=../../schema/trust.schema.json\n"
			if !strings.HasPrefix(string(data), schemaLine) {
				t.Errorf("%s does not start with %q", ex.file, schemaLine)
			}
			d := loadExample(t, ex.file)
			if d.Source != path || d.Version != "1" || d.Organization.Name != ex.org {
				t.Errorf("Source, Version, Name = %q, %q, %q; want %q, 1, %q", d.Source, d.Version, d.Organization.Name, path, ex.org)
			}
			verify, attested := 0, 0
			for _, c := range d.Controls {
				if (c.Verify == nil) == (c.Attested == nil) {
					t.Errorf("control %s: want exactly one of verify and attested", c.ID)
				}
				if c.Verify != nil {
					verify++
				} else {
					attested++
					if c.Attested.Reviewed.IsZero() || c.Attested.By == "" {
						t.Errorf("control %s: attestation without by or reviewed: %+v", c.ID, c.Attested)
					}
				}
				if c.Visibility != posture.Public && c.Visibility != posture.Internal {
					t.Errorf("control %s: visibility %q", c.ID, c.Visibility)
				}
				if c.Visibility == posture.Internal {
					internal++
				}
				if c.OnContradiction == "" {
					t.Errorf("control %s: on_contradiction not defaulted", c.ID)
				}
			}
			if verify == 0 || attested == 0 {
				t.Errorf("%d verified and %d attested controls; want at least one of each", verify, attested)
			}
			totalWaivers += len(d.Waivers)
		})
	}
	if totalWaivers == 0 || internal == 0 {
		t.Errorf("the examples hold %d waivers and %d internal controls; want at least one of each", totalWaivers, internal)
	}
}

// TestExampleValues pins what the loader makes of particular fields:
// defaults, parameters, dates, exclusions.
func TestExampleValues(t *testing.T) {
	sentd := loadExample(t, "sentd.yaml")
	byID := map[string]posture.Control{}
	for _, c := range sentd.Controls {
		byID[c.ID] = c
	}
	mustDate := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"tls-modern verify", *byID["tls-modern"].Verify, posture.Verify{Kind: "tls.min_version", Params: map[string]string{"min": "1.2"}}},
		{"tls-modern mappings", byID["tls-modern"].Mappings, []string{"SOC2:CC6.7", "ISO27001:A.8.24"}},
		{"tls-modern severity", byID["tls-modern"].Severity, posture.SeverityHigh},
		{"tls-modern visibility default", byID["tls-modern"].Visibility, posture.Public},
		{"tls-modern on_contradiction default", byID["tls-modern"].OnContradiction, posture.ShowUnderReview},
		{"dkim verify without params", *byID["dkim"].Verify, posture.Verify{Kind: "email.dkim"}},
		{"dmarc params", byID["dmarc"].Verify.Params, map[string]string{"min_policy": "quarantine"}},
		{"spf params", byID["spf"].Verify.Params, map[string]string{"all": "~"}},
		{"hsts internal", byID["hsts"].Visibility, posture.Internal},
		{"hsts params", byID["hsts"].Verify.Params, map[string]string{"min_max_age": "31536000"}},
		{"grade hidden on contradiction", byID["ssl-labs-a-plus"].OnContradiction, posture.HideControl},
		{"waf targets", byID["waf"].Targets, []string{"https://app.sentd.example"}},
		{"attestation", *byID["encryption-at-rest"].Attested, posture.Attestation{By: "Head of Infrastructure", Reviewed: mustDate("2025-11-05"), Evidence: "infra/kms-config.md"}},
		{"reviewed is UTC midnight", byID["encryption-at-rest"].Attested.Reviewed.Location(), time.UTC},
		{"scope mail", sentd.Scope.Mail, []string{"sentd.example"}},
		{"scope passive", sentd.Scope.Passive, []string{"https://api.sentd.example"}},
		{"dkim selectors", sentd.Scope.DKIMSelectors, []string{"s1", "s2"}},
		{"waiver", sentd.Waivers[0].Control + " " + sentd.Waivers[0].Target + " " + sentd.Waivers[0].Approver, "tls-modern https://track.sentd.example CTO"},
		{"waiver expires", sentd.Waivers[0].Expires, mustDate("2027-01-31")},
		{"folded description", sentd.Organization.Description[:31], "At SENTD, security is foundatio"},
		{"colour", sentd.Organization.Color, "#111827"},
		{"exclusion as mapping", loadExample(t, "syntora.yaml").Scope.Exclude, []posture.Exclusion{{Address: "https://legacy.syntora.example", Reason: "Old marketing site, read-only, being decommissioned."}}},
		{"exclusion as string", loadExample(t, "sintra.yaml").Scope.Exclude, []posture.Exclusion{{Address: "https://status.sintra.example"}}},
		{"certificate signature param", loadExample(t, "sentro.yaml").Controls[6].Verify.Params, map[string]string{"algorithm": "SHA256-RSA"}},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
}

// marker ends the line a broken file's error must point at.
const marker = "# <-"

// markedLine returns the 1-based line holding marker.
func markedLine(t *testing.T, doc string) int {
	t.Helper()
	for i, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, marker) {
			return i + 1
		}
	}
	t.Fatalf("no %q marker in\n%s", marker, doc)
	return 0
}

// brokenFiles each hold one problem, on the line marked "# <-". schema
// says whether the JSON Schema (full mode) rejects the file too: rules
// across the file (unique ids, references to controls and scope) are
// beyond what the schema expresses.
var brokenFiles = []struct {
	name, doc, field, msg string
	schema                bool
}{
	{"unknown top-level key", `version: 1
organization: {name: Acme}
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
control_groups: [] # <-
`, "control_groups", `unknown key "control_groups" (want one of: controls, organization, scope, version, waivers)`, true},

	{"flag key at the top of the file", `version: 1
organization: {name: Acme}
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
fail_on: high # <-
`, "fail_on", `unknown key "fail_on"`, true},

	{"typo in a control key", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: waf.present}
  - id: b
    section: S
    statment: Customer data is encrypted at rest. # <-
    attested: {by: CTO, reviewed: 2026-10-01}
`, "controls[1].statment", `unknown key "statment" (did you mean "statement"?)`, true},

	{"duplicate control id", `version: 1
organization: {name: Acme}
controls:
  - id: tls
    section: S
    statement: T
    verify: {kind: tls.min_version}
  - id: tls # <-
    section: S
    statement: U
    verify: {kind: http.hsts}
`, "controls[1].id", `duplicate control id "tls" (first at controls[0].id, line 4)`, false},

	{"missing statement", `version: 1
organization: {name: Acme}
controls:
  - id: a # <-
    section: S
    verify: {kind: tls.min_version}
`, "controls[0].statement", "required: the claim as published", true},

	{"empty statement", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: # <-
    verify: {kind: tls.min_version}
`, "controls[0].statement", "want a string, got nothing (an empty value)", true},

	{"both verify and attested", `version: 1
organization: {name: Acme}
controls:
  - id: a # <-
    section: S
    statement: T
    verify: {kind: tls.min_version}
    attested: {by: CTO, reviewed: 2026-10-01}
`, "controls[0]", "has both verify and attested", true},

	{"neither verify nor attested", `version: 1
organization: {name: Acme}
controls:
  - id: a # <-
    section: S
    statement: T
`, "controls[0]", "needs verify (a check) or attested (by, reviewed)", true},

	{"bad date", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    attested:
      by: CTO
      reviewed: 2026-02-30 # <-
`, "controls[0].attested.reviewed", `bad date "2026-02-30": want YYYY-MM-DD (day out of range)`, false},

	{"date in another format", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    attested: {by: CTO, reviewed: 01/10/2026} # <-
`, "controls[0].attested.reviewed", `bad date "01/10/2026": want YYYY-MM-DD`, true},

	{"attestation without by", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    attested: {reviewed: 2026-10-01} # <-
`, "controls[0].attested.by", "required: who vouches", true},

	{"bad visibility", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: tls.min_version}
    visibility: private # <-
`, "controls[0].visibility", `"private": want public or internal`, true},

	{"bad severity", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: tls.min_version}
    severity: urgent # <-
`, "controls[0].severity", `"urgent": want info, low, medium, high or critical`, true},

	{"bad on_contradiction", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: tls.min_version}
    on_contradiction: show # <-
`, "controls[0].on_contradiction", `"show": want under_review or hide`, true},

	{"bad control id", `version: 1
organization: {name: Acme}
controls:
  - id: TLS Modern # <-
    section: S
    statement: T
    verify: {kind: tls.min_version}
`, "controls[0].id", `"TLS Modern": want lower-case letters`, true},

	{"verify without kind", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify: {min: "1.2"} # <-
`, "controls[0].verify.kind", "required: the check", true},

	{"verify parameter that is a list", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify:
      kind: tls.min_version
      min: ["1.2"] # <-
`, "controls[0].verify.min", `want one value ("1.0", "1.1", "1.2" or "1.3"), got a list`, false},

	{"bad mapping", `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: tls.min_version}
    mappings:
      - SOC2:CC6.7
      - CC6.1 # <-
`, "controls[0].mappings[1]", `"CC6.1": want FRAMEWORK:ID`, true},

	{"control target outside scope", `version: 1
organization: {name: Acme}
scope: {web: [https://app.acme.example]}
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: tls.min_version}
    targets: [https://ap.acme.example] # <-
`, "controls[0].targets[0]", `"https://ap.acme.example" is not in scope.web or scope.mail (did you mean "https://app.acme.example"?)`, false},

	{"waiver for an unknown control", `version: 1
organization: {name: Acme}
controls:
  - {id: tls-modern, section: S, statement: T, verify: {kind: tls.min_version}}
waivers:
  - control: tls-moderm # <-
    reason: vendor
    approver: CTO
    expires: 2027-01-31
`, "waivers[0].control", `no control has id "tls-moderm" (did you mean "tls-modern"?)`, false},

	{"waiver target outside scope", `version: 1
organization: {name: Acme}
scope: {web: [https://app.acme.example]}
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
waivers:
  - control: a
    target: https://legacy.acme.example # <-
    reason: vendor
    approver: CTO
    expires: 2027-01-31
`, "waivers[0].target", `"https://legacy.acme.example" is not in scope.web or scope.mail`, false},

	{"waiver without approver", `version: 1
organization: {name: Acme}
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
waivers:
  - control: a # <-
    reason: vendor
    expires: 2027-01-31
`, "waivers[0].approver", "required: who accepted the gap", true},

	{"bad URL in scope.web", `version: 1
organization: {name: Acme}
scope:
  web:
    - https://app.acme.example
    - app.acme.example # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web[1]", `"app.acme.example": want an absolute URL such as https://app.acme.example`, true},

	{"ftp URL in scope.web", `version: 1
organization: {name: Acme}
scope:
  web: [ftp://files.acme.example] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web[0]", "want an https:// (or http://) URL, got scheme ftp", true},

	{"port out of range in scope.web", `version: 1
organization: {name: Acme}
scope:
  web: [https://app.acme.example:99999] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web[0]", "port 99999: want a TCP port from 1 to 65535", true},

	{"port zero in scope.web", `version: 1
organization: {name: Acme}
scope:
  web: [https://app.acme.example:0] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web[0]", "port 0: want a TCP port from 1 to 65535", true},

	{"port with a leading zero in scope.web", `version: 1
organization: {name: Acme}
scope:
  web: [https://app.acme.example:0443] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web[0]", "port 0443: want a TCP port", true},

	{"empty port in scope.web", `version: 1
organization: {name: Acme}
scope:
  web: [https://app.acme.example:] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web[0]", "an empty port after ':'", true},

	{"URL as a mail domain", `version: 1
organization: {name: Acme}
scope:
  mail: [https://acme.example] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: email.spf}}
`, "scope.mail[0]", `want a domain name, not a URL: write acme.example`, true},

	{"passive target outside scope.web", `version: 1
organization: {name: Acme}
scope:
  web: [https://app.acme.example]
  passive: [https://api.acme.example] # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: waf.present}}
`, "scope.passive[0]", `"https://api.acme.example" is not in scope.web`, false},

	{"map where a list is expected", `version: 1
organization: {name: Acme}
scope:
  web: # <-
    app: https://app.acme.example
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.web", "want a list, got a mapping (key: value)", true},

	{"list where a mapping is expected", `version: 1
organization: # <-
  - name: Acme
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "organization", "want a mapping (key: value), got a list", true},

	{"number where a string is expected", `version: 1
organization: {name: Acme}
controls:
  - id: 2024 # <-
    section: S
    statement: T
    verify: {kind: tls.min_version}
`, "controls[0].id", `want a string, got an integer (quote it: "2024")`, true},

	{"exclusion with an unknown key", `version: 1
organization: {name: Acme}
scope:
  exclude:
    - {address: https://old.acme.example, why: gone} # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "scope.exclude[0].why", `unknown key "why"`, true},

	{"duplicate key", `version: 1
organization:
  name: Acme
  name: Acme Inc # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "organization.name", `duplicate key "name" (first at line 3)`, true},

	{"wrong version", `version: 2 # <-
organization: {name: Acme}
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "version", `unsupported version "2": this vouch reads version 1`, true},

	{"missing version", `organization: {name: Acme} # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "version", "required: write version: 1", true},

	{"missing organization name", `version: 1
organization: {website: https://acme.example} # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "organization.name", "required: the company's name", true},

	{"bad colour", `version: 1
organization: {name: Acme, color: blue} # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "organization.color", `"blue": want a colour #rrggbb`, true},

	{"address as security contact", `version: 1
organization:
  name: Acme
  security_contact: security@acme.example # <-
controls:
  - {id: a, section: S, statement: T, verify: {kind: tls.min_version}}
`, "organization.security_contact", "want a mailto: or https:// URL (write mailto:security@acme.example)", true},

	{"no controls", `version: 1
organization: {name: Acme}
controls: [] # <-
`, "controls", "required: at least one control", true},

	{"merge key", `version: 1
organization: {name: Acme}
base: &base {section: S}
controls:
  - {id: a, statement: T, verify: {kind: tls.min_version}, <<: *base} # <-
`, "controls[0].<<", "merge keys (<<) are not supported", true},
}

func TestBrokenFiles(t *testing.T) {
	for _, tt := range brokenFiles {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDeclaration(New(), "trust.yaml", []byte(tt.doc), testRegistry)
			if err == nil {
				t.Fatal("no error")
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %T, want Errors: %v", err, err)
			}
			prefix := fmt.Sprintf("trust.yaml:%d: %s: ", markedLine(t, tt.doc), tt.field)
			found := false
			seen := map[string]bool{}
			for _, e := range es {
				if seen[e.Error()] {
					t.Errorf("reported twice: %s", e)
				}
				seen[e.Error()] = true
				if strings.HasPrefix(e.Error(), prefix) && strings.Contains(e.Error(), tt.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("no error starts with %q and contains %q; got:\n%v", prefix, tt.msg, err)
			}
		})
	}
}

// TestAllErrorsReported checks that validation does not stop at the first
// problem, and that Errors lists them in line order.
func TestAllErrorsReported(t *testing.T) {
	doc := `version: 1
organization: {name: Acme, color: red}
scope:
  web: [app.acme.example]
controls:
  - id: a
    section: S
    statement: T
    verify: {kind: tls.min_version}
    visibility: secret
  - id: a
    section: S
    attested: {by: CTO, reviewed: 2026-13-01}
waivers:
  - {control: nope, reason: r, approver: CTO, expires: 2027-01-31}
`
	_, err := ParseDeclaration(New(), "acme.yaml", []byte(doc), testRegistry)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %v, want Errors", err)
	}
	want := []string{
		"acme.yaml:2: organization.color:",
		"acme.yaml:4: scope.web[0]:",
		"acme.yaml:10: controls[0].visibility:",
		"acme.yaml:11: controls[1].id: duplicate",
		"acme.yaml:11: controls[1].statement: required",
		"acme.yaml:13: controls[1].attested.reviewed: bad date",
		"acme.yaml:15: waivers[0].control:",
	}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(es), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(es[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, es[i].Error(), w)
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want) {
		t.Errorf("Error() has %d lines, want one per problem (%d)", len(lines), len(want))
	}
}

func TestFileProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		want       []string
		notExist   bool
	}{
		{"missing file", filepath.Join(dir, "nope.yaml"), []string{"config: " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"}, true},
		{"directory", dir, []string{dir + ": is a directory"}, false},
		{"empty file", write("empty.yaml", ""), []string{"empty.yaml: the file is empty"}, false},
		{"blank file", write("blank.yaml", "\n  \n"), []string{"blank.yaml: the file is empty"}, false},
		{"only comments", write("comments.yaml", "# yaml-language-server: $schema=x\n# nothing yet\n"), []string{"comments.yaml: the file is empty"}, false},
		{"not YAML", write("broken.yaml", "version: 1\norganization: {name: Acme\ncontrols: []\n"), []string{"broken.yaml:", "not valid YAML"}, false},
		{"tab indentation", write("tabs.yaml", "version: 1\norganization:\n\tname: Acme\n"), []string{"tabs.yaml:3: not valid YAML"}, false},
		{"a list at the top", write("list.yaml", "- version: 1\n"), []string{"list.yaml:1: want a mapping of version, organization, scope, controls, waivers at the top, got a list"}, false},
		{"a string at the top", write("string.yaml", "hello\n"), []string{"string.yaml:1: want a mapping"}, false},
		{"two documents", write("two.yaml", "version: 1\norganization: {name: A}\n---\nversion: 1\n"), []string{"two.yaml:3: a second YAML document"}, false},
		{"JSON is YAML", write("trust.json", `{"version": 1, "organization": {"name": "Acme"}, "controls": [{"id": "a", "section": "S", "statement": "T", "verify": {"kind": "waf.present"}}]}`), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadDeclaration(New(), tt.path, testRegistry)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", got, tt.notExist)
			}
		})
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\norganization: {name: Acme}\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d, *a%[3]d]\n", i, i, i-1)
	}
	b.WriteString("controls: [{id: a, section: S, statement: T, verify: {kind: waf.present}}]\n")
	start := time.Now()
	_, err := ParseDeclaration(New(), "bomb.yaml", []byte(b.String()), testRegistry)
	if err == nil || !strings.Contains(err.Error(), "nested aliases") {
		t.Errorf("got %v, want the expansion refused", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestAliasesExpand(t *testing.T) {
	doc := `version: 1
organization: {name: Acme}
controls:
  - id: a
    section: S
    statement: T
    attested: &cto {by: CTO, reviewed: 2026-10-01}
  - id: b
    section: S
    statement: U
    attested: *cto
`
	d, err := ParseDeclaration(New(), "trust.yaml", []byte(doc), testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Controls[0].Attested, d.Controls[1].Attested) || d.Controls[1].Attested.By != "CTO" {
		t.Errorf("alias not expanded: %+v", d.Controls[1].Attested)
	}
}

func TestEnvOverrides(t *testing.T) {
	path := filepath.Join(examplesDir, "dsentr.yaml") // has no logo
	tests := []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, d posture.Declaration, err error)
	}{
		{"name in the file", map[string]string{"VOUCH_ORGANIZATION_NAME": "DSentr Staging"}, func(t *testing.T, d posture.Declaration, err error) {
			if err != nil || d.Organization.Name != "DSentr Staging" {
				t.Errorf("got %q, %v; want the name from the environment", d.Organization.Name, err)
			}
		}},
		{"key not in the file", map[string]string{"VOUCH_ORGANIZATION_LOGO": "logo.svg"}, func(t *testing.T, d posture.Declaration, err error) {
			if err != nil || d.Organization.Logo != "logo.svg" {
				t.Errorf("got %q, %v; want the logo from the environment", d.Organization.Logo, err)
			}
		}},
		{"overrides are validated, with the key's line", map[string]string{"VOUCH_ORGANIZATION_WEBSITE": "dsentr.example"}, func(t *testing.T, d posture.Declaration, err error) {
			want := path + ":9: organization.website: \"dsentr.example\": want an absolute URL"
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %v, want %s", err, want)
			}
		}},
		{"list as comma-separated values", map[string]string{"VOUCH_SCOPE_WEB": "https://dsentr.example,https://app.dsentr.example,https://docs.dsentr.example,https://staging.dsentr.example"}, func(t *testing.T, d posture.Declaration, err error) {
			if err != nil || len(d.Scope.Web) != 4 || d.Scope.Web[3] != "https://staging.dsentr.example" {
				t.Errorf("got %q, %v", d.Scope.Web, err)
			}
		}},
		{"VOUCH_VERSION is the tool's, not the file's", map[string]string{"VOUCH_VERSION": "v1.4.2"}, func(t *testing.T, d posture.Declaration, err error) {
			if err != nil || d.Version != "1" {
				t.Errorf("got %q, %v", d.Version, err)
			}
		}},
		{"empty variables are ignored", map[string]string{"VOUCH_ORGANIZATION_NAME": ""}, func(t *testing.T, d posture.Declaration, err error) {
			if err != nil || d.Organization.Name != "DSentr" {
				t.Errorf("got %q, %v", d.Organization.Name, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			d, err := LoadDeclaration(New(), path, testRegistry)
			tt.check(t, d, err)
		})
	}
}

// TestFlagKeysShareTheInstance loads a declaration into a viper instance
// that already holds vouch's flags, as cmd/vouch does.
func TestFlagKeysShareTheInstance(t *testing.T) {
	flags := []Flag{
		{Name: "config", Shorthand: "c", Key: "config", Default: "trust.yaml", Usage: "u"},
		{Name: "fail-on", Key: "fail_on", Default: "high", Usage: "u"},
		{Name: "timeout", Key: "timeout", Default: 5 * time.Second, Usage: "u"},
		{Name: "json", Key: "json", Default: false, Usage: "u"},
		{Name: "site-output", Key: "site.output", Default: "site", Usage: "u"},
	}
	fs := pflag.NewFlagSet("vouch", pflag.ContinueOnError)
	DeclareFlags(fs, flags...)
	if err := fs.Parse([]string{"--fail-on", "medium", "--json"}); err != nil {
		t.Fatal(err)
	}
	v := New()
	if err := BindFlags(v, fs, flags...); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VOUCH_TIMEOUT", "9s")
	d, err := LoadDeclaration(v, filepath.Join(examplesDir, "sentro.yaml"), testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if d.Organization.Name != "Sentro" {
		t.Errorf("name %q", d.Organization.Name)
	}
	if v.GetString("fail_on") != "medium" || !v.GetBool("json") || v.GetDuration("timeout") != 9*time.Second {
		t.Errorf("flags disturbed: fail_on=%q json=%v timeout=%v", v.GetString("fail_on"), v.GetBool("json"), v.GetDuration("timeout"))
	}
	// Loading twice into one instance gives the second file alone.
	d, err = LoadDeclaration(v, filepath.Join(examplesDir, "sintra.yaml"), testRegistry)
	if err != nil || d.Organization.Name != "Sintra" || len(d.Waivers) != 0 {
		t.Errorf("second load: %q, %d waivers, %v", d.Organization.Name, len(d.Waivers), err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, ex := range examples {
		t.Run(ex.file, func(t *testing.T) {
			d := loadExample(t, ex.file)
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			var back posture.Declaration
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, back) {
				t.Errorf("round trip differs:\n got %+v\nwant %+v", back, d)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "trust.yaml", Line: 12, Field: "controls[3].verify.kind", Msg: `unknown check "tls.minversion"`}, `trust.yaml:12: controls[3].verify.kind: unknown check "tls.minversion"`},
		{Error{File: "a.yaml", Msg: "the file is empty"}, "a.yaml: the file is empty"},
		{Error{Line: 3, Msg: "not valid YAML"}, "trust.yaml:3: not valid YAML"},
		{Error{File: "a.yaml", Field: "version", Msg: "required"}, "a.yaml: version: required"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"id", "section", "statement", "verify", "attested", "mappings", "visibility", "severity", "on_contradiction", "targets"}
	tests := []struct{ in, want string }{
		{"statment", "statement"},
		{"Statement", "statement"},
		{"verfy", "verify"},
		{"attest", "attested"},
		{"oncontradiction", "on_contradiction"},
		{"target", "targets"},
		{"owner", ""},
		{"x", ""},
	}
	for _, tt := range tests {
		if got := suggest(tt.in, known); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A section nests as the page nests its headings (SENTD's "Data
// Encryption" › "Encryption in Transit"): a list, outermost first.
func TestNestedSections(t *testing.T) {
	d := loadExample(t, "sentd.yaml")
	nested := 0
	for _, c := range d.Controls {
		if len(c.SectionPath) == 0 {
			if c.Path() == nil || c.Path()[0] != c.Section {
				t.Errorf("%s: Path() = %v for section %q", c.ID, c.Path(), c.Section)
			}
			continue
		}
		nested++
		if c.SectionPath[0] != "Data Encryption" || c.Section != strings.Join(c.SectionPath, posture.SectionSep) {
			t.Errorf("%s: section %q path %v", c.ID, c.Section, c.SectionPath)
		}
	}
	if nested != 9 {
		t.Errorf("%d nested controls, want 9", nested)
	}

	dir := t.TempDir()
	for _, tc := range []struct{ section, want string }{
		{`[A, B, C, D, E]`, "controls[0].section: 5 levels of headings: at most 4 nest"},
		{`[A, " "]`, "controls[0].section[1]: required"},
		{`[]`, "controls[0].section: an empty list"},
		{`[A, [B]]`, "controls[0].section[1]: want"},
	} {
		p := filepath.Join(dir, "t.yaml")
		doc := "version: 1\norganization: {name: X}\nscope: {web: [\"https://a.example\"]}\ncontrols:\n  - id: x\n    section: " + tc.section +
			"\n    statement: S\n    attested: {by: CTO, reviewed: 2026-01-01}\n"
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadDeclaration(New(), p, testRegistry)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("section %s: err = %v, want %q", tc.section, err, tc.want)
		}
	}
}
