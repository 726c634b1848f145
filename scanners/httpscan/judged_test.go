package httpscan_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/httpscan"
)

// From the wire to the verdict: real loopback servers, scanned, then
// judged by the HTTP checks. Each case is one of the issue's: a preload-
// ready site, HTTP that redirects to another host first, a first HTTPS
// redirect without HSTS, a redirect loop, a malformed HSTS value, and a
// login page whose cookie has no flags.
func TestScannedAndJudged(t *testing.T) {
	const good = "max-age=63072000; includeSubDomains; preload"
	type verdict struct {
		kind    string
		params  map[string]string
		verdict posture.Verdict
		code    posture.Code
	}
	tests := []struct {
		name  string
		path  string // of the target's https:// URL
		tls   func(w http.ResponseWriter, r *http.Request)
		plain func(tlsURL string) http.HandlerFunc
		pages []string // paths
		want  []verdict
	}{
		{
			name: "preload-ready",
			tls: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", good)
			},
			plain: func(tlsURL string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, tlsURL+"/", http.StatusMovedPermanently)
				}
			},
			want: []verdict{
				{"http.https_redirect", nil, posture.Verified, ""},
				{"http.hsts", map[string]string{"include_subdomains": "true", "preload": "true"}, posture.Verified, ""},
				{"http.hsts_preload_ready", nil, posture.Verified, ""},
			},
		},
		{
			name: "HTTP redirects to another host first",
			tls: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", good)
			},
			plain: func(string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, "https://www.vouch.test/", http.StatusMovedPermanently)
				}
			},
			want: []verdict{
				{"http.https_redirect", nil, posture.Verified, ""},
				{"http.hsts_preload_ready", nil, posture.Contradicted, checks.CodeHSTSRedirectNotSameHostFirst},
			},
		},
		{
			name: "the first HTTPS redirect sends no HSTS",
			path: "/app",
			tls: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/" {
					http.Redirect(w, r, "/app", http.StatusFound)
					return
				}
				w.Header().Set("Strict-Transport-Security", good)
			},
			plain: func(tlsURL string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, tlsURL+"/", http.StatusMovedPermanently)
				}
			},
			want: []verdict{
				{"http.hsts", nil, posture.Verified, ""},
				{"http.hsts_preload_ready", nil, posture.Contradicted, checks.CodeHSTSRedirectNoHSTS},
			},
		},
		{
			name: "redirect loop",
			tls: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", good)
			},
			plain: func(string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/" {
						http.Redirect(w, r, "/a", http.StatusFound)
						return
					}
					http.Redirect(w, r, "/", http.StatusFound)
				}
			},
			want: []verdict{
				{"http.https_redirect", nil, posture.Contradicted, checks.CodeRedirectLoop},
				{"http.hsts_preload_ready", nil, posture.Contradicted, checks.CodeHSTSRedirectNotSameHostFirst},
			},
		},
		{
			name: "malformed HSTS",
			tls: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", "max-age=forever; includeSubDomains")
			},
			plain: func(tlsURL string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, tlsURL+"/", http.StatusMovedPermanently)
				}
			},
			want: []verdict{
				{"http.hsts", nil, posture.Contradicted, posture.CodeHSTSMaxAgeInvalid},
				{"http.hsts_preload_ready", nil, posture.Contradicted, posture.CodeHSTSMaxAgeInvalid},
			},
		},
		{
			name: "a login page sets a cookie without flags",
			tls: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Strict-Transport-Security", good)
				if r.URL.Path == "/login" {
					w.Header().Add("Set-Cookie", "session=abc")
					return
				}
				w.Header().Add("Set-Cookie", "__Host-pref=1; Secure; HttpOnly; SameSite=Lax; Path=/")
			},
			plain: func(tlsURL string) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, tlsURL+"/", http.StatusMovedPermanently)
				}
			},
			pages: []string{"/login"},
			want: []verdict{
				{"http.cookies_secure", nil, posture.Contradicted, checks.CodeCookieNotSecure},
				{"http.cookies_secure", map[string]string{"names": "__Host-pref"}, posture.Verified, ""},
			},
		},
	}
	ca, err := pki.NewCA("judged test CA")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := nettest.TLSServer(t, ca, http.HandlerFunc(tt.tls))
			ps := nettest.PlainServer(t, tt.plain(ts.URL))
			var pages []string
			for _, p := range tt.pages {
				pages = append(pages, ts.URL+p)
			}
			var lookups atomic.Int32
			s := httpscan.New(httpscan.Options{
				Dialer: &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
					lookups.Add(1)
					return nil, errors.New("no resolver in this test")
				}}},
				RootCAs: ca.Pool(), Timeout: 2 * time.Second,
				PlainHTTP: func(posture.Target) string { return ps.URL + "/" },
				Pages:     func(posture.Target) []string { return pages },
			})
			snap := s.Scan(context.Background(), posture.Target{Kind: posture.TargetWeb, Address: ts.URL + tt.path})
			if lookups.Load() != 0 {
				t.Errorf("a host off the target was contacted")
			}
			for _, w := range tt.want {
				c, ok := checks.Lookup(w.kind)
				if !ok {
					t.Fatalf("no check %s", w.kind)
				}
				args, perrs := c.Args(w.params)
				if len(perrs) > 0 {
					t.Fatalf("%s %v: %v", w.kind, w.params, perrs)
				}
				fs := c.Run(checks.Input{Args: args, Snapshot: &snap, Now: time.Now()})
				if len(fs) != 1 || fs[0].Verdict != w.verdict || fs[0].Code != w.code {
					t.Errorf("%s %v: got %+v, want %s %q", w.kind, w.params, fs, w.verdict, w.code)
				}
			}
		})
	}
}
