package httpscan

import (
	"strings"
	"testing"
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
	valid := map[string]bool{
		IssueHSTSEmpty: false, IssueHSTSMaxAgeMissing: false, IssueHSTSMaxAgeInvalid: false,
		IssueHSTSDuplicateDirective: false, IssueHSTSSyntax: false, IssueHSTSUnexpectedValue: true,
	}
	f.Fuzz(func(t *testing.T, raw string) {
		h := ParseHSTS(raw)
		if h.Raw != raw {
			t.Fatalf("Raw = %q, want %q", h.Raw, raw)
		}
		if h.MaxAge < 0 {
			t.Fatalf("MaxAge = %d", h.MaxAge)
		}
		seen := map[string]bool{}
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
