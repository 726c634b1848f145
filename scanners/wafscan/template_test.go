package wafscan

import (
	"strings"
	"testing"
)

func TestValidateTemplate(t *testing.T) {
	const head = "id: t\ninfo: {name: t, author: a, severity: info}\n"
	tests := []struct {
		name, body string
		err        string // "" when valid
	}{
		{"path on the target", "http:\n  - method: GET\n    path: [\"{{BaseURL}}/health\", \"{{RootURL}}?x=1\", \"{{BaseURL}}\"]\n    matchers: [{type: status, status: [200]}]\n", ""},
		{"raw to the target", "http:\n  - raw:\n      - |\n        GET /admin HTTP/1.1\n        Host: {{Hostname}}\n\n    host-redirects: true\n", ""},
		{"redirects off", "http:\n  - method: GET\n    path: [\"{{BaseURL}}/admin\"]\n    redirects: false\n", ""},
		{"legacy requests key", "requests:\n  - method: GET\n    path: [\"{{BaseURL}}/\"]\n", ""},
		{"another host", "http:\n  - method: GET\n    path: [\"https://other.example/\"]\n", "must be {{BaseURL}}"},
		{"userinfo trick", "http:\n  - method: GET\n    path: [\"{{BaseURL}}@other.example/\"]\n", "must be {{BaseURL}}"},
		{"variable after the base", "variables: {x: \"@other.example\"}\nhttp:\n  - method: GET\n    path: [\"{{BaseURL}}{{x}}\"]\n", "must be {{BaseURL}}"},
		{"raw absolute URL", "http:\n  - raw:\n      - |\n        GET http://other.example/ HTTP/1.1\n        Host: {{Hostname}}\n", "must be a path on the target"},
		{"raw other Host", "http:\n  - raw:\n      - |\n        GET / HTTP/1.1\n        Host: other.example\n", "must be {{Hostname}}"},
		{"code", "code:\n  - engine: [sh]\n    source: id\n", "only HTTP templates"},
		{"dns", "dns:\n  - name: \"{{FQDN}}\"\n    type: A\n", "only HTTP templates"},
		{"network", "tcp:\n  - host: [\"{{Hostname}}\"]\n", "only HTTP templates"},
		{"javascript", "javascript:\n  - code: x\n", "only HTTP templates"},
		{"redirects anywhere", "http:\n  - method: GET\n    path: [\"{{BaseURL}}/\"]\n    redirects: true\n", "http[0].redirects: not allowed"},
		{"payloads", "http:\n  - method: GET\n    path: [\"{{BaseURL}}/{{p}}\"]\n    payloads: {p: [a, b]}\n", "http[0].payloads: not allowed"},
		{"fuzzing", "http:\n  - method: GET\n    path: [\"{{BaseURL}}/\"]\n    fuzzing: [{part: query}]\n", "http[0].fuzzing: not allowed"},
		{"too many requests", "http:\n  - method: GET\n    path: [" + strings.Repeat("\"{{BaseURL}}/\", ", 10) + "\"{{BaseURL}}/\"]\n", "at most 10"},
		{"unsafe off", "http:\n  - raw:\n      - |\n        GET / HTTP/1.1\n        Host: {{Hostname}}\n\n    unsafe: false\n", ""},
		{"unsafe", "http:\n  - raw:\n      - |+\n        GET / HTTP/1.1\n        Host: {{Hostname}}\n\n    unsafe: true\n", "http[0].unsafe: not allowed"},
		{"no requests", "variables: {a: b}\n", "no http requests"},
		{"not YAML", "http: [\n", "not a YAML template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateTemplate([]byte(head + tt.body))
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
	if err := ValidateTemplate([]byte("info: {name: x}\nhttp:\n  - path: [\"{{BaseURL}}/\"]\n")); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Errorf("no id: %v", err)
	}
}
