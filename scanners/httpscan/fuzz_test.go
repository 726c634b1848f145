package httpscan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vouchdev/vouch/posture"
)

// FuzzParseHSTS feeds ParseHSTS with arbitrary header values, seeded with
// headers real sites send and malformed ones, and checks that it never
// panics and that its result is consistent with itself.
func FuzzParseHSTS(f *testing.F) {
	for _, s := range []string{
		"max-age=31536000",
		"max-age=31536000; includeSubDomains",
		"max-age=63072000; includeSubDomains; preload",
		"max-age=15552000; includeSubDomains; preload",
		"max-age=0",
		`max-age="31536000"; includeSubDomains`,
		"max-age=31536000;includeSubDomains;preload;",
		"includeSubDomains; max-age=31536000",
		"max-age=31536000, includeSubDomains",
		"max-age=31536000; max-age=1",
		`max-age="3153\"6000`,
		"max-age=",
		"",
		"; ; ;",
		`foo="a;b\"c"; max-age=1`,
	} {
		f.Add(s)
	}
	valid := map[posture.Code]bool{
		posture.CodeHSTSEmpty: false, posture.CodeHSTSMaxAgeMissing: false, posture.CodeHSTSMaxAgeInvalid: false,
		posture.CodeHSTSDuplicateDirective: false, posture.CodeHSTSSyntax: false, posture.CodeHSTSUnexpectedValue: true,
	}
	f.Fuzz(func(t *testing.T, raw string) {
		h := ParseHSTS(raw)
		if h.Raw != raw {
			t.Fatalf("Raw = %q, want %q", h.Raw, raw)
		}
		if h.MaxAge < 0 {
			t.Fatalf("MaxAge = %d", h.MaxAge)
		}
		seen := map[posture.Code]bool{}
		allowValid := true
		for _, code := range h.Issues {
			ok, known := valid[code]
			if !known {
				t.Fatalf("unknown issue %q", code)
			}
			if seen[code] {
				t.Fatalf("issue %q twice in %q", code, h.Issues)
			}
			seen[code] = true
			allowValid = allowValid && ok
		}
		if h.Valid && !allowValid {
			t.Fatalf("valid with issues %q", h.Issues)
		}
		if !h.Valid && len(h.Issues) == 0 {
			t.Fatalf("invalid without an issue")
		}
		if h.Valid && !strings.Contains(strings.ToLower(raw), "max-age") {
			t.Fatalf("valid without max-age")
		}
		if again := ParseHSTS(raw); again.Valid != h.Valid || again.MaxAge != h.MaxAge || len(again.Issues) != len(h.Issues) {
			t.Fatalf("not deterministic")
		}
	})
}

// FuzzParseSecurityTxt feeds ParseSecurityTxt arbitrary files, seeded with
// the conformance suite when it is present and with malformed files, and
// checks that it never panics, knows every issue it reports, and is
// deterministic.
func FuzzParseSecurityTxt(f *testing.F) {
	for _, s := range []string{
		"Contact: mailto:security@acme.example\nExpires: 2027-06-01T00:00:00Z\n",
		"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: tel:+1\n- Expires: 2027-06-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n",
		"-----BEGIN PGP SIGNED MESSAGE-----\n",
		"X: a\r\n\tb\r\n \r\n\tc\r\nPreferred-Languages: en, fr\nPreferred-Languages: ,\n",
		"Expires: 2023-06-07 13:08:19+00:00\nExpires: x\nContact: http://a\nContact: /b\n",
		"\xff\xfe:\n: \n:\n#\n",
	} {
		f.Add([]byte(s))
	}
	{
		dir := os.Getenv("VOUCH_TESTSUITES")
		if dir == "" {
			dir = filepath.Join("..", "..", "..", "shared", "testsuites")
		}
		files, _ := filepath.Glob(filepath.Join(dir, "securitytxt", "*", "*.stxt"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	known := map[posture.Code]bool{
		posture.CodeSecTxtNoContact: true, posture.CodeSecTxtNoExpires: true, posture.CodeSecTxtExpired: true, posture.CodeSecTxtExpiresTooFar: true,
		posture.CodeSecTxtMultipleExpires: true, posture.CodeSecTxtDuplicateField: true, posture.CodeSecTxtInvalidField: true,
		posture.CodeSecTxtSyntax: true, posture.CodeSecTxtNotUTF8: true,
	}
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		st := ParseSecurityTxt(b, now)
		seen := map[posture.Code]bool{}
		for _, c := range st.Issues {
			if !known[c] || seen[c] {
				t.Fatalf("issue %q unknown or repeated: %q", c, st.Issues)
			}
			seen[c] = true
		}
		if len(st.IssueDetails) > maxIssueDetails || len(st.IssueDetails) < len(st.Issues) {
			t.Fatalf("%d details for %d issues", len(st.IssueDetails), len(st.Issues))
		}
		if (len(st.Contact) == 0) != seen[posture.CodeSecTxtNoContact] {
			t.Fatalf("contact %q but issues %q", st.Contact, st.Issues)
		}
		if seen[posture.CodeSecTxtExpired] && st.Expires.After(now) {
			t.Fatalf("expired issue for %s", st.Expires)
		}
		for _, c := range st.Contact {
			if !utf8.ValidString(c) || strings.ContainsAny(c, " \t\r\n") {
				t.Fatalf("contact %q", c)
			}
		}
		again := ParseSecurityTxt(b, now)
		if !slices.Equal(again.Issues, st.Issues) || !slices.Equal(again.Contact, st.Contact) || !again.Expires.Equal(st.Expires) {
			t.Fatalf("not deterministic")
		}
	})
}

// FuzzParseCSP feeds ParseCSP arbitrary policies, seeded with policies real
// sites send, and checks that it never panics and that its directives are
// well-formed and unique.
func FuzzParseCSP(f *testing.F) {
	for _, s := range []string{
		"default-src 'self'; frame-ancestors 'none'",
		"default-src 'none'; script-src 'self' 'nonce-r4nd0m' 'strict-dynamic'; object-src 'none'; base-uri 'none'",
		"script-src 'self' 'unsafe-inline' 'unsafe-eval' https: data:; img-src * blob:",
		"upgrade-insecure-requests; block-all-mixed-content",
		"default-src 'self'; default-src *",
		";;; ,, \t\f",
		"dëfault-src x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p := ParseCSP(raw)
		if p.Raw != raw || len(p.Directives) > maxCSPDirectives {
			t.Fatalf("raw %q, %d directives", p.Raw, len(p.Directives))
		}
		seen := map[string]bool{}
		for _, d := range p.Directives {
			if !isDirectiveName(d.Name) || seen[d.Name] {
				t.Fatalf("directive %q invalid or repeated", d.Name)
			}
			seen[d.Name] = true
			for _, v := range d.Values {
				if v == "" || strings.ContainsAny(v, asciiWS+";") {
					t.Fatalf("value %q", v)
				}
			}
		}
		if seen["frame-ancestors"] == slices.Contains(p.Issues, posture.CodeCSPNoFrameAncestors) {
			t.Fatalf("frame-ancestors %v but issues %q", seen["frame-ancestors"], p.Issues)
		}
	})
}

// FuzzFrameOptions feeds X-Frame-Options fields through HTML's reading of
// them: it never panics, names only what a browser enforces, and every
// part of a split keeps its bytes (quotes included).
func FuzzFrameOptions(f *testing.F) {
	for _, s := range []string{"DENY", "SAMEORIGIN,SAMEORIGIN", "DENY, SAMEORIGIN", `"DENY"`, `"a\"b,c", deny`, "ALLOWALL", `"open`, "SAMEORİGIN", ",,"} {
		f.Add(s, "sameorigin")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got, invalid := frameOptions([]string{a, b})
		if got != "" && got != "DENY" && got != "SAMEORIGIN" {
			t.Fatalf("frameOptions(%q, %q) = %q", a, b, got)
		}
		if got == "SAMEORIGIN" && invalid {
			t.Fatalf("frameOptions(%q, %q): sameorigin alone, yet invalid", a, b)
		}
		if parts := splitOutsideQuotes(a, ','); strings.Join(parts, ",") != a {
			t.Fatalf("splitOutsideQuotes(%q) = %q loses bytes", a, parts)
		}
	})
}
