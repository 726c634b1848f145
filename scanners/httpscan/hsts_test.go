package httpscan

import (
	"math"
	"slices"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestParseHSTS(t *testing.T) {
	tests := []struct {
		raw               string
		valid             bool
		maxAge            int64
		includeSubDomains bool
		preload           bool
		issues            []posture.Code
	}{
		// Valid headers.
		{"max-age=31536000", true, 31536000, false, false, nil},
		{"max-age=63072000; includeSubDomains; preload", true, 63072000, true, true, nil},
		{"MAX-AGE=10;INCLUDESUBDOMAINS;PreLoad", true, 10, true, true, nil},
		{`max-age="31536000"`, true, 31536000, false, false, nil},
		{`max-age="\31\32"`, true, 3132, false, false, nil},
		{"max-age = 100 ; includeSubDomains", true, 100, true, false, nil},
		{"\tmax-age=5\t;\tincludeSubDomains\t", true, 5, true, false, nil},
		{";;max-age=1;;", true, 1, false, false, nil},
		{"max-age=0", true, 0, false, false, nil},
		{"max-age=000300", true, 300, false, false, nil},
		{"includeSubDomains; max-age=7", true, 7, true, false, nil},
		{"max-age=1; foo=bar; baz", true, 1, false, false, nil},
		{`max-age=1; report-uri="https://r.example/a;b"`, true, 1, false, false, nil},
		{"max-age=99999999999999999999999", true, math.MaxInt64, false, false, nil},
		{"max-age=9223372036854775807", true, math.MaxInt64, false, false, nil},
		// preload is not RFC 6797's: with a value it is an unknown directive.
		{"max-age=1; preload=yes", true, 1, false, false, []posture.Code{posture.CodeHSTSUnexpectedValue}},

		// Empty.
		{"", false, 0, false, false, []posture.Code{posture.CodeHSTSEmpty}},
		{" \t ", false, 0, false, false, []posture.Code{posture.CodeHSTSEmpty}},

		// max-age missing or invalid.
		{"includeSubDomains", false, 0, true, false, []posture.Code{posture.CodeHSTSMaxAgeMissing}},
		{";", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeMissing}},
		{"max-age", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=abc", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=-1", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=+1", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=1.5", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{`max-age=""`, false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{`max-age="abc"`, false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{`max-age="123`, false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{`max-age="12"3`, false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{`max-age=12"3"`, false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=1 includeSubDomains", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max-age=31536000, includeSubDomains", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid}},
		{"max_age=300", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeMissing}},

		// Duplicates (RFC 6797 §6.1 rule 2).
		{"max-age=1; max-age=2", false, 1, false, false, []posture.Code{posture.CodeHSTSDuplicateDirective}},
		{"max-age=1; MAX-AGE=1", false, 1, false, false, []posture.Code{posture.CodeHSTSDuplicateDirective}},
		{"max-age=1; includeSubDomains; includesubdomains", false, 1, true, false, []posture.Code{posture.CodeHSTSDuplicateDirective}},
		// A repeated directive the UA does not know is ignored (§6.1 rule 3),
		// as browsers do: preload is not an RFC 6797 directive.
		{"max-age=1; foo; foo=2", true, 1, false, false, nil},
		{"max-age=31536000; preload; preload", true, 31536000, false, true, nil},
		// A repeated unknown directive must still follow the grammar
		// (§6.1 rule 4: a header that does not is ignored).
		{"max-age=1; foo; foo=\"open", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{"max-age=31536000; includeSubDomains; preload; PRELOAD", true, 31536000, true, true, nil},
		{"max-age=abc; max-age=1", false, 0, false, false, []posture.Code{posture.CodeHSTSMaxAgeInvalid, posture.CodeHSTSDuplicateDirective}},

		// Syntax (RFC 6797 §6.1 rule 4).
		{"max-age=1; includeSubDomains=yes", false, 1, false, false, []posture.Code{posture.CodeHSTSUnexpectedValue}},
		{`max-age=1; includeSubDomains=""`, false, 1, false, false, []posture.Code{posture.CodeHSTSUnexpectedValue}},
		{"max-age=1; foo bar", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{"max-age=1; =x", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{"max-age=1; foo=", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{`max-age=1; foo="unterminated`, false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{"max-age=1; f\x00o", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{"max-age=1; föo", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax}},
		{"=1", false, 0, false, false, []posture.Code{posture.CodeHSTSSyntax, posture.CodeHSTSMaxAgeMissing}},
		{"max-age=1; a b; c d; max-age=2", false, 1, false, false, []posture.Code{posture.CodeHSTSSyntax, posture.CodeHSTSDuplicateDirective}},
	}
	for _, tt := range tests {
		got := ParseHSTS(tt.raw)
		if got.Raw != tt.raw || got.Valid != tt.valid || got.MaxAge != tt.maxAge ||
			got.IncludeSubDomains != tt.includeSubDomains || got.Preload != tt.preload ||
			!slices.Equal(got.Issues, tt.issues) {
			t.Errorf("ParseHSTS(%q) = valid %v max-age %d includeSubDomains %v preload %v issues %q;\nwant valid %v max-age %d includeSubDomains %v preload %v issues %q",
				tt.raw, got.Valid, got.MaxAge, got.IncludeSubDomains, got.Preload, got.Issues,
				tt.valid, tt.maxAge, tt.includeSubDomains, tt.preload, tt.issues)
		}
	}
}
