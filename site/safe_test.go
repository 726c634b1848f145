package site

import (
	"testing"
)

func TestLinks(t *testing.T) {
	tests := []struct {
		in              string
		contact, webURL link
	}{
		{"mailto:security@acme.example", link{"security@acme.example", "mailto:security@acme.example"}, link{Text: "mailto:security@acme.example"}},
		{"mailto:security@acme.example?subject=Report", link{"security@acme.example", "mailto:security@acme.example?subject=Report"}, link{Text: "mailto:security@acme.example?subject=Report"}},
		{"https://acme.example/security", link{"https://acme.example/security", "https://acme.example/security"}, link{"https://acme.example/security", "https://acme.example/security"}},
		{"http://acme.example", link{Text: "http://acme.example"}, link{Text: "http://acme.example"}},
		{"javascript:alert(1)", link{Text: "javascript:alert(1)"}, link{Text: "javascript:alert(1)"}},
		{"JavaScript:alert(1)//https://x", link{Text: "JavaScript:alert(1)//https://x"}, link{Text: "JavaScript:alert(1)//https://x"}},
		{"data:text/html,<script>", link{Text: "data:text/html,<script>"}, link{Text: "data:text/html,<script>"}},
		{"security@acme.example", link{Text: "security@acme.example"}, link{Text: "security@acme.example"}},
		{"mailto:nobody", link{Text: "mailto:nobody"}, link{Text: "mailto:nobody"}},
		{"https://", link{Text: "https://"}, link{Text: "https://"}},
		{"https:acme.example", link{Text: "https:acme.example"}, link{Text: "https:acme.example"}},
		{"https://a.example/\"onmouseover=x", link{Text: "https://a.example/\"onmouseover=x"}, link{Text: "https://a.example/\"onmouseover=x"}},
		{"https://a.example/ x", link{Text: "https://a.example/ x"}, link{Text: "https://a.example/ x"}},
		{"//evil.example", link{Text: "//evil.example"}, link{Text: "//evil.example"}},
		{"", link{}, link{}},
	}
	for _, tt := range tests {
		if got := contactLink(tt.in); got != tt.contact {
			t.Errorf("site: contactLink(%q) = %+v, want %+v", tt.in, got, tt.contact)
		}
		if got := websiteLink(tt.in); got != tt.webURL {
			t.Errorf("site: websiteLink(%q) = %+v, want %+v", tt.in, got, tt.webURL)
		}
	}
}

func TestLogoPath(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"logo.png", true},
		{"assets/logo-dark_2.svg", true},
		{"javascript:alert(1)", false},
		{"https://cdn.example/logo.png", false}, // would load from elsewhere
		{"http://cdn.example/logo.png", false},
		{"//cdn.example/logo.png", false},
		{"/logo.png", false}, // root-relative breaks file://
		{"../logo.png", false},
		{"a/../../logo.png", false},
		{".hidden/logo.png", false},
		{"data:image/png;base64,AAAA", false},
		{"logo.png?x=1", false},
		{"logo.png\"onerror=x", false},
		{"a//b.png", false},
		{"", false},
	}
	for _, tt := range tests {
		got, ok := logoPath(tt.in)
		if ok != tt.ok || (ok && got != tt.in) {
			t.Errorf("site: logoPath(%q) = %q, %v; want ok=%v", tt.in, got, ok, tt.ok)
		}
	}
}

func TestSlugAnchors(t *testing.T) {
	taken := map[string]bool{}
	for _, tt := range []struct{ in, want string }{
		{"Encryption in transit", "section-encryption-in-transit"},
		{"Encryption — in transit!", "section-encryption-in-transit-2"},
		{"<<>>", "section-x"},
		{"Шифрование", "section-x-2"},
	} {
		if got := uniqueAnchor("section-"+slug(tt.in), taken); got != tt.want {
			t.Errorf("site: anchor for %q = %q, want %q", tt.in, got, tt.want)
		}
	}
}
