package httpscan

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

func TestCookieIssues(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	const https, plain = "https://app.acme.example/", "http://app.acme.example/"
	tests := []struct {
		name   string
		c      posture.Cookie
		url    string
		issues []posture.Code
	}{
		{"__Host- done right", posture.Cookie{Name: "__Host-sid", Secure: true, Path: "/"}, https, nil},
		{"__Host- case-insensitive, no Secure", posture.Cookie{Name: "__HOST-sid", Path: "/"}, https, []posture.Code{posture.CodeCookieHostPrefix}},
		{"__Host- with Domain", posture.Cookie{Name: "__Host-sid", Secure: true, Path: "/", Domain: "app.acme.example"}, https, []posture.Code{posture.CodeCookieHostPrefix}},
		{"__Host- without Path=/", posture.Cookie{Name: "__Host-sid", Secure: true, Path: "/app"}, https, []posture.Code{posture.CodeCookieHostPrefix}},
		{"__Host- over http", posture.Cookie{Name: "__Host-sid", Secure: true, Path: "/"}, plain, []posture.Code{posture.CodeCookieHostPrefix, posture.CodeCookieSecureOverHTTP}},
		{"__Secure- done right", posture.Cookie{Name: "__Secure-id", Secure: true, Domain: "app.acme.example"}, https, nil},
		{"__Secure- without Secure", posture.Cookie{Name: "__Secure-id"}, https, []posture.Code{posture.CodeCookieSecurePrefix}},
		{"Domain of a parent", posture.Cookie{Name: "a", Domain: ".acme.example"}, https, []posture.Code{posture.CodeCookieDomainBroad}},
		{"Domain of another site", posture.Cookie{Name: "a", Domain: "evil.example"}, https, []posture.Code{posture.CodeCookieDomainMismatch}},
		{"Domain that only ends alike", posture.Cookie{Name: "a", Domain: "p.acme.example"}, "https://app.acme.example/", []posture.Code{posture.CodeCookieDomainMismatch}},
		{"Max-Age two years", posture.Cookie{Name: "a", MaxAge: 2 * 365 * 86400}, https, []posture.Code{posture.CodeCookieLongLived}},
		{"Max-Age one year", posture.Cookie{Name: "a", MaxAge: 365 * 86400}, https, nil},
		{"Expires in five years", posture.Cookie{Name: "a", Expires: now.AddDate(5, 0, 0)}, https, []posture.Code{posture.CodeCookieLongLived}},
		{"Max-Age wins over Expires", posture.Cookie{Name: "a", MaxAge: 60, Expires: now.AddDate(5, 0, 0)}, https, nil},
		{"session cookie", posture.Cookie{Name: "a"}, plain, nil},
	}
	for _, tt := range tests {
		if got := cookieIssues(tt.c, tt.url, now); !slices.Equal(got, tt.issues) {
			t.Errorf("httpscan: %s: issues %q, want %q", tt.name, got, tt.issues)
		}
	}
}

// Over the wire: attributes and issues as a browser would see them.
func TestScanCookieAttributes(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	ca := newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "__Host-bad=1; Secure; Path=/x")
		w.Header().Add("Set-Cookie", "__Secure-ok=1; Secure; HttpOnly; SameSite=Lax; Max-Age=3600")
		w.Header().Add("Set-Cookie", "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT")
		w.Header().Add("Set-Cookie", "forever=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT")
		w.Header().Add("Set-Cookie", "gone=1; Max-Age=0")
	}))
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(""), Now: func() time.Time { return now }}), target(ts.URL))
	type sum struct {
		name   string
		maxAge int
		exp    string
		issues []posture.Code
	}
	want := []sum{
		{"__Host-bad", 0, "", []posture.Code{posture.CodeCookieHostPrefix}},
		{"__Secure-ok", 3600, "", nil},
		{"old", 0, "2015-10-21T07:28:00Z", nil},
		{"forever", 0, "2100-01-01T00:00:00Z", []posture.Code{posture.CodeCookieLongLived}},
		{"gone", -1, "", nil},
	}
	if len(o.Cookies) != len(want) {
		t.Fatalf("httpscan: %d cookies: %+v", len(o.Cookies), o.Cookies)
	}
	for i, c := range o.Cookies {
		exp := ""
		if !c.Expires.IsZero() {
			exp = c.Expires.Format(time.RFC3339)
		}
		got := sum{c.Name, c.MaxAge, exp, c.Issues}
		if got.name != want[i].name || got.maxAge != want[i].maxAge || got.exp != want[i].exp || !slices.Equal(got.issues, want[i].issues) {
			t.Errorf("httpscan: cookie %d = %+v, want %+v", i, got, want[i])
		}
	}
}
