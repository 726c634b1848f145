package httpscan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// suiteDir returns the folder of the RFC 9116 conformance files:
// $VOUCH_TESTSUITES/securitytxt, else ../../../shared/testsuites/securitytxt
// (the shared folder beside the checkout). Missing: skip, or fail when
// CI=true.
func suiteDir(t *testing.T) string {
	t.Helper()
	root := os.Getenv("VOUCH_TESTSUITES")
	if root == "" {
		root = filepath.Join("..", "..", "..", "shared", "testsuites")
	}
	dir := filepath.Join(root, "securitytxt")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("httpscan: security.txt suite not found at %s (set VOUCH_TESTSUITES): %v", dir, err)
		}
		t.Skipf("httpscan: security.txt suite not found at %s (set VOUCH_TESTSUITES)", dir)
	}
	return dir
}

// Every file of the suite must parse without a syntax error or an invalid
// field; those whose Expires has passed are flagged expired.
func TestSecurityTxtSuite(t *testing.T) {
	dir := suiteDir(t)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".stxt") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 108 {
		t.Fatalf("httpscan: %d suite files, want 108", len(files))
	}
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	signed, expired := 0, 0
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			st := ParseSecurityTxt(b, now)
			for _, bad := range []posture.Code{posture.CodeSecTxtSyntax, posture.CodeSecTxtInvalidField, posture.CodeSecTxtNotUTF8, posture.CodeSecTxtNoContact} {
				if slices.Contains(st.Issues, bad) {
					t.Errorf("httpscan: %s: %s\n%s", rel, bad, strings.Join(st.IssueDetails, "\n"))
				}
			}
			if len(st.Contact) == 0 {
				t.Errorf("httpscan: %s: no contact parsed", rel)
			}
			if st.Signed != strings.HasPrefix(rel, "valid_signed") {
				t.Errorf("httpscan: %s: signed = %v", rel, st.Signed)
			}
			if st.Signed {
				signed++
			}
			if st.ExpiresRaw != "" {
				if st.Expires.IsZero() {
					t.Errorf("httpscan: %s: Expires %q not parsed", rel, st.ExpiresRaw)
				}
				if isExp := slices.Contains(st.Issues, posture.CodeSecTxtExpired); isExp != st.Expires.Before(now) {
					t.Errorf("httpscan: %s: Expires %s, expired issue %v", rel, st.Expires, isExp)
				}
				if st.Expires.Before(now) {
					expired++
				}
			}
		})
	}
	if signed != 4 || expired < 8 {
		t.Errorf("httpscan: %d signed, %d expired files; want 4 and at least 8", signed, expired)
	}
}

func TestParseSecurityTxt(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	const good = "Contact: mailto:security@acme.example\nExpires: 2027-06-01T00:00:00Z\n"
	signed := func(body string) string {
		return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + body +
			"-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAd\n=BfcH\n-----END PGP SIGNATURE-----\n"
	}
	tests := []struct {
		name    string
		text    string
		issues  []posture.Code
		signed  bool
		contact []string
		langs   []string
		expires string
	}{
		{"minimal", good, nil, false, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"CRLF, case, comments, folding of an unknown field",
			"# hi\r\ncOnTaCt: https://acme.example/report\r\nX-Thing: a\r\n\tb\r\nEXPIRES: 2027-01-01t10:00:00z\r\nPreferred-Languages: en, fr-CA\r\n",
			nil, false, []string{"https://acme.example/report"}, []string{"en", "fr-CA"}, "2027-01-01T10:00:00Z"},
		{"every field", good + "Encryption: https://acme.example/k.asc\nAcknowledgments: https://acme.example/thanks\nCanonical: https://acme.example/.well-known/security.txt\nPolicy: https://acme.example/p\nHiring: https://acme.example/jobs\n",
			nil, false, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"signed", signed("Contact: tel:+1-201-555-0123\n- Expires: 2027-06-01T00:00:00Z\n"), nil, true, []string{"tel:+1-201-555-0123"}, nil, "2027-06-01T00:00:00Z"},
		{"signed without signature", "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + good, []posture.Code{posture.CodeSecTxtSyntax}, true, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"unescaped dash in signed body", signed(good + "-- oops\n"), []posture.Code{posture.CodeSecTxtSyntax}, true, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"empty", "", []posture.Code{posture.CodeSecTxtNoContact, posture.CodeSecTxtNoExpires}, false, nil, nil, ""},
		{"html page", "<html><body>Not here</body></html>\n", []posture.Code{posture.CodeSecTxtSyntax, posture.CodeSecTxtNoContact, posture.CodeSecTxtNoExpires}, false, nil, nil, ""},
		{"expired", "Contact: mailto:a@acme.example\nExpires: 2025-01-01T00:00:00Z\n", []posture.Code{posture.CodeSecTxtExpired}, false, []string{"mailto:a@acme.example"}, nil, "2025-01-01T00:00:00Z"},
		{"expires now is expired", "Contact: mailto:a@acme.example\nExpires: 2026-11-23T09:30:00Z\n", []posture.Code{posture.CodeSecTxtExpired}, false, []string{"mailto:a@acme.example"}, nil, "2026-11-23T09:30:00Z"},
		{"too far", "Contact: mailto:a@acme.example\nExpires: 2030-01-01T00:00:00Z\n", []posture.Code{posture.CodeSecTxtExpiresTooFar}, false, []string{"mailto:a@acme.example"}, nil, "2030-01-01T00:00:00Z"},
		{"two expires, the first counts", good + "Expires: 2020-01-01T00:00:00Z\n", []posture.Code{posture.CodeSecTxtMultipleExpires}, false, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"bad date", "Contact: mailto:a@acme.example\nExpires: next year\n", []posture.Code{posture.CodeSecTxtInvalidField}, false, []string{"mailto:a@acme.example"}, nil, ""},
		{"http contact", "Contact: http://acme.example/\n" + good, []posture.Code{posture.CodeSecTxtInvalidField}, false, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"relative contact only", "Contact: /report\nExpires: 2027-06-01T00:00:00Z\n", []posture.Code{posture.CodeSecTxtInvalidField, posture.CodeSecTxtNoContact}, false, nil, nil, "2027-06-01T00:00:00Z"},
		{"bad languages, twice", good + "Preferred-Languages: en,,fr\nPreferred-Languages: de\n", []posture.Code{posture.CodeSecTxtInvalidField, posture.CodeSecTxtDuplicateField}, false, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"indented line after a blank", good + "\n  stray\n", []posture.Code{posture.CodeSecTxtSyntax}, false, []string{"mailto:security@acme.example"}, nil, "2027-06-01T00:00:00Z"},
		{"not UTF-8", "Contact: mailto:a@acme.example\nExpires: 2027-06-01T00:00:00Z\n# \xff\n", []posture.Code{posture.CodeSecTxtNotUTF8}, false, []string{"mailto:a@acme.example"}, nil, "2027-06-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := ParseSecurityTxt([]byte(tt.text), now)
			if !slices.Equal(st.Issues, tt.issues) || st.Signed != tt.signed || !slices.Equal(st.Contact, tt.contact) || !slices.Equal(st.PreferredLanguages, tt.langs) {
				t.Errorf("httpscan: issues %q signed %v contact %q langs %q; want %q %v %q %q\n%s",
					st.Issues, st.Signed, st.Contact, st.PreferredLanguages, tt.issues, tt.signed, tt.contact, tt.langs, strings.Join(st.IssueDetails, "\n"))
			}
			got := ""
			if !st.Expires.IsZero() {
				got = st.Expires.Format(time.RFC3339)
			}
			if got != tt.expires {
				t.Errorf("httpscan: expires %q, want %q", got, tt.expires)
			}
			if len(st.IssueDetails) < len(st.Issues) {
				t.Errorf("httpscan: %d issues but %d details", len(st.Issues), len(st.IssueDetails))
			}
		})
	}
	st := ParseSecurityTxt([]byte(tests[2].text), now)
	if !slices.Equal(st.Encryption, []string{"https://acme.example/k.asc"}) || !slices.Equal(st.Acknowledgments, []string{"https://acme.example/thanks"}) ||
		!slices.Equal(st.Canonical, []string{"https://acme.example/.well-known/security.txt"}) || !slices.Equal(st.Policy, []string{"https://acme.example/p"}) ||
		!slices.Equal(st.Hiring, []string{"https://acme.example/jobs"}) {
		t.Errorf("httpscan: fields %+v", st)
	}
}
