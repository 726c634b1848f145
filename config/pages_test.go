package config

import (
	"slices"
	"strings"
	"testing"
)

// scope.pages: https:// pages on the origins of scope.web, for the HTTP
// scan to fetch for their cookies.
func TestScopePages(t *testing.T) {
	const good = `version: 1
organization: {name: Acme}
scope:
  web: [https://app.acme.example, "https://api.acme.example:8443/v1"]
  pages:
    - https://app.acme.example/login
    - https://APP.acme.example:443/account
    - https://api.acme.example:8443/session
controls:
  - {id: a, section: S, statement: T, verify: {kind: http.cookies_secure}}
`
	d, err := ParseDeclaration(New(), "trust.yaml", []byte(good), testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"https://app.acme.example/login", "https://APP.acme.example:443/account", "https://api.acme.example:8443/session"}
	if !slices.Equal(d.Scope.Pages, want) {
		t.Errorf("config: pages %q, want %q", d.Scope.Pages, want)
	}

	bad := []struct{ name, pages, msg string }{
		{"another origin", "[https://www.acme.example/login]", `scope.pages[0]: "https://www.acme.example/login" is not on an origin of scope.web`},
		{"another port", "[https://app.acme.example:8443/login]", "is not on an origin of scope.web"},
		{"plain http", "[http://app.acme.example/login]", "want an https:// URL"},
		{"not a URL", "[/login]", "want an absolute URL"},
		{"a query", `["https://app.acme.example/login?next=/"]`, "without ?query"},
		{"twice", "[https://app.acme.example/login, https://app.acme.example/login]", `scope.pages[1]: "https://app.acme.example/login" is already listed at scope.pages[0]`},
		{"over the budget", "[https://app.acme.example/1, https://app.acme.example/2, https://app.acme.example/3, https://app.acme.example/4, https://app.acme.example/5, https://app.acme.example/6]",
			"scope.pages[5]: more than 5 pages on origin https://app.acme.example:443"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(good, `  pages:
    - https://app.acme.example/login
    - https://APP.acme.example:443/account
    - https://api.acme.example:8443/session
`, "  pages: "+tt.pages+"\n", 1)
			_, err := ParseDeclaration(New(), "trust.yaml", []byte(doc), testRegistry)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("config: error %v, want one containing %q", err, tt.msg)
			}
		})
	}
}
