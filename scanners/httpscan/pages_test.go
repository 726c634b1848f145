package httpscan

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// The pages the scope names are fetched once each, within the budget,
// following redirects only on the target's origin; their cookies are
// recorded with the URL of the response that set them.
func TestPages(t *testing.T) {
	ca := newCA(t)
	var (
		mu       sync.Mutex
		requests []string
	)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/login":
			w.Header().Add("Set-Cookie", "sid=1") // no flags at all
		case "/account":
			http.Redirect(w, r, "/account/", http.StatusFound)
		case "/account/":
			w.Header().Add("Set-Cookie", "__Host-acct=1; Secure; HttpOnly; SameSite=Lax; Path=/")
		case "/sso":
			w.Header().Add("Set-Cookie", "sso_state=x; Secure")
			http.Redirect(w, r, "https://idp.vouch.test/authorize", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/downgrade":
			http.Redirect(w, r, "http://"+r.Host+"/login", http.StatusMovedPermanently)
		}
	}))
	other := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("httpscan: a page on another origin was fetched: %s", r.URL)
	}))
	pages := []string{
		ts.URL + "/login",
		ts.URL + "/account",
		ts.URL + "/sso",
		ts.URL + "/login", // a duplicate is fetched once and listed once
		other.URL + "/login",
		"http://" + strings.TrimPrefix(ts.URL, "https://") + "/plain",
		ts.URL + "/loop",
		ts.URL + "/downgrade",
		ts.URL + "/over-budget",
	}
	var lookups atomic.Int32
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	s := New(Options{
		Dialer: countingDialer(&lookups), RootCAs: ca.Pool(), Timeout: 2 * time.Second, PlainHTTP: plainAt(""),
		Now: func() time.Time { return now }, MaxPages: 5,
		Pages: func(tg posture.Target) []string {
			if tg.Address != ts.URL {
				t.Errorf("httpscan: pages asked for %s", tg.Address)
			}
			return pages
		},
	})
	o := scanOne(t, s, target(ts.URL))

	type pageSum struct {
		url     string
		hops    []hopSummary
		missing posture.Reason
	}
	want := []pageSum{
		{ts.URL + "/login", []hopSummary{{ts.URL + "/login", 200, ""}}, ""},
		{ts.URL + "/account", []hopSummary{{ts.URL + "/account", 302, "/account/"}, {ts.URL + "/account/", 200, ""}}, ""},
		{ts.URL + "/sso", []hopSummary{{ts.URL + "/sso", 302, "https://idp.vouch.test/authorize"}}, ""},
		{other.URL + "/login", nil, posture.ReasonNotScanned},
		{"http://" + strings.TrimPrefix(ts.URL, "https://") + "/plain", nil, posture.ReasonNotScanned},
		{ts.URL + "/loop", []hopSummary{{ts.URL + "/loop", 302, "/loop"}}, ""},
		{ts.URL + "/downgrade", []hopSummary{{ts.URL + "/downgrade", 301, "http://" + strings.TrimPrefix(ts.URL, "https://") + "/login"}}, ""},
		{ts.URL + "/over-budget", nil, posture.ReasonNotScanned},
	}
	var got []pageSum
	for _, p := range o.Pages {
		got = append(got, pageSum{p.URL, summarize(p.Responses), reasonOf(p.Missing)})
	}
	if len(got) != len(want) {
		t.Fatalf("httpscan: pages\n got %+v\nwant %+v", got, want)
	}
	for i := range want {
		if got[i].url != want[i].url || !slices.Equal(got[i].hops, want[i].hops) || got[i].missing != want[i].missing {
			t.Errorf("httpscan: page %d\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if !strings.Contains(o.Pages[7].Missing.Detail, "budget of 5 pages") {
		t.Errorf("httpscan: over-budget page: %v", o.Pages[7].Missing)
	}

	type cookieSum struct{ url, page, name string }
	var cookies []cookieSum
	for _, c := range o.Cookies {
		cookies = append(cookies, cookieSum{c.URL, c.Page, c.Name})
	}
	wantCookies := []cookieSum{
		{ts.URL + "/login", ts.URL + "/login", "sid"},
		{ts.URL + "/account/", ts.URL + "/account", "__Host-acct"},
		{ts.URL + "/sso", ts.URL + "/sso", "sso_state"},
	}
	if !slices.Equal(cookies, wantCookies) {
		t.Errorf("httpscan: cookies\n got %v\nwant %v", cookies, wantCookies)
	}
	if c := o.Cookies[0]; c.Secure || c.HttpOnly || c.SameSite != "" || c.Raw != "sid=1" {
		t.Errorf("httpscan: cookie without flags recorded as %+v", c)
	}

	// Every response is evidence; nothing off the origin was asked for.
	for _, p := range o.Pages {
		for _, h := range p.Responses {
			if _, ok := evidenceByID(o, h.Evidence); !ok {
				t.Errorf("httpscan: page response %s: evidence %q missing", h.URL, h.Evidence)
			}
		}
	}
	if n := lookups.Load(); n != 0 {
		t.Errorf("httpscan: %d name lookups: a redirect off the origin was followed", n)
	}
	mu.Lock()
	defer mu.Unlock()
	// /, security.txt and the pages: each once, the redirects on the
	// origin followed, the loop asked once. They are fetched at once, so
	// the server sees them in any order.
	wantReq := []string{"/", securityTxtPath, "/login", "/account", "/account/", "/sso", "/loop", "/downgrade"}
	slices.Sort(requests)
	slices.Sort(wantReq)
	if !slices.Equal(requests, wantReq) {
		t.Errorf("httpscan: requests\n got %q\nwant %q", requests, wantReq)
	}
	notes, _ := evidenceByID(o, "http/"+ts.URL+"/notes")
	for _, s := range []string{"idp.vouch.test/authorize", "redirect loop", "/downgrade: redirect from"} {
		if !strings.Contains(notes.Data, s) {
			t.Errorf("httpscan: notes lack %q:\n%s", s, notes.Data)
		}
	}
}

// Pages of an origin that does not answer are not fetched, for the same
// reason.
func TestPagesOriginDown(t *testing.T) {
	addr := "https://" + refusedAddr(t)
	o := scanOne(t, New(Options{PlainHTTP: plainAt(""), Pages: func(posture.Target) []string { return []string{addr + "/login"} }}), target(addr))
	if len(o.Pages) != 1 || reasonOf(o.Pages[0].Missing) != posture.ReasonRefused || len(o.Pages[0].Responses) != 0 {
		t.Errorf("httpscan: pages %+v", o.Pages)
	}
}

// Every https:// response of the chain carries its parsed HSTS: the first
// HTTPS redirect's is what a browser following http://host/ learns (the
// preload list's rule). A plain-HTTP response's header is ignored.
func TestChainHSTS(t *testing.T) {
	ca := newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Strict-Transport-Security", "max-age=300")
			http.Redirect(w, r, "/home", http.StatusMovedPermanently)
		case "/home":
			w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload")
		}
	}))
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=63072000")
		http.Redirect(w, r, ts.URL+"/", http.StatusMovedPermanently)
	}))
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(ps.URL + "/")}), target(ts.URL))
	if len(o.Redirects) != 3 {
		t.Fatalf("httpscan: hops %v", summarize(o.Redirects))
	}
	if o.Redirects[0].HSTS != nil {
		t.Errorf("httpscan: plain-HTTP hop has HSTS %+v", o.Redirects[0].HSTS)
	}
	if h := o.Redirects[1].HSTS; h == nil || h.MaxAge != 300 || !h.Valid {
		t.Errorf("httpscan: first HTTPS redirect HSTS %+v, want max-age=300", h)
	}
	if h := o.Redirects[2].HSTS; h == nil || h.MaxAge != 63072000 || !h.Preload || !h.IncludeSubDomains {
		t.Errorf("httpscan: final HSTS %+v", h)
	}
	if o.HSTS == nil || o.HSTS.MaxAge != 300 || o.HTTPS.HSTS == nil || o.HTTPS.HSTS.MaxAge != 300 {
		t.Errorf("httpscan: HTTPS response HSTS %+v / %+v", o.HSTS, o.HTTPS)
	}
}
