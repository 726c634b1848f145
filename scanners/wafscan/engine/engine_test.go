package engine

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// TestMain keeps nuclei's start-up files out of the developer's home: the
// library writes ~/.config/nuclei when it initialises, which vouch avoids by
// giving vouch-waf a private HOME; the in-process tests do the same here.
func TestMain(m *testing.M) {
	if os.Getenv("VOUCH_ENGINE_HELPER") == "" {
		home, err := os.MkdirTemp("", "vouch-engine-test-home-*")
		if err == nil {
			os.Setenv("HOME", home)
			os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
			defer os.RemoveAll(home)
		}
	}
	os.Exit(m.Run())
}

// recorder counts the requests a test server gets.
type recorder struct {
	mu      sync.Mutex
	queries []string // raw query of each request
	agents  []string
}

func (rc *recorder) wrap(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		rc.queries = append(rc.queries, r.URL.RawQuery)
		rc.agents = append(rc.agents, r.UserAgent())
		rc.mu.Unlock()
		h(w, r)
	})
}

func (rc *recorder) seen() (queries, agents []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.queries), slices.Clone(rc.agents)
}

// attackShaped reports whether q looks like one of the probes, as a
// simple WAF rule would see it.
func attackShaped(r *http.Request) bool {
	q := r.URL.Query().Get("q")
	return strings.Contains(q, "<script") || strings.Contains(q, "' OR '") || strings.Contains(q, "../")
}

// blockWith is a server that answers attack-shaped queries with status.
func blockWith(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if attackShaped(r) {
			w.WriteHeader(status)
			w.Write([]byte("blocked"))
			return
		}
		w.Write([]byte("<html>welcome</html>"))
	}
}

// answerAll is a server that answers everything with status.
func answerAll(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }
}

// scanAll scans every target with one Scanner, so one engine run serves
// them all, and returns the observations by address.
func scanAll(t *testing.T, o wafscan.Options, addrs ...string) map[string]posture.WAFObservation {
	t.Helper()
	var targets []posture.Target
	for _, a := range addrs {
		targets = append(targets, target(a))
	}
	o.Engine = &Engine{}
	o.Targets = targets
	s := wafscan.New(o)
	out := map[string]posture.WAFObservation{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, tg := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snap := s.Scan(context.Background(), tg)
			if len(snap.WAF) != 1 {
				t.Errorf("%s: %d WAF observations", tg.Address, len(snap.WAF))
				return
			}
			mu.Lock()
			out[tg.Address] = snap.WAF[0]
			mu.Unlock()
		}()
	}
	wg.Wait()
	if st := s.Stats(); st.Engines < 1 {
		t.Errorf("stats %+v: want at least one engine", st)
	}
	for a, o := range out {
		ids := map[string]bool{}
		for _, e := range o.Evidence {
			if ids[e.ID] {
				t.Errorf("%s: evidence ID %q twice", a, e.ID)
			}
			ids[e.ID] = true
		}
		for _, h := range o.Exchanges {
			if !ids[h.Evidence] {
				t.Errorf("%s: exchange %s: evidence %q not in the observation", a, h.URL, h.Evidence)
			}
		}
	}
	return out
}

// The active probe against servers that block in different ways, all in
// one engine run: a baseline, then three attack-shaped requests, with
// vouch's User-Agent, and nothing more.
func TestActive(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		present posture.Tri
		vendor  string
	}{
		{"403 blocks", blockWith(403), posture.Yes, ""},
		{"406 blocks", blockWith(406), posture.Yes, ""},
		{"429 blocks", blockWith(429), posture.Yes, ""},
		{"501 blocks", blockWith(501), posture.Yes, ""},
		{"only SQL injection blocked", func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Query().Get("q"), "' OR '") {
				w.WriteHeader(403)
			}
		}, posture.Yes, ""},
		{"plain server", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, posture.No, ""},
		{"plain server that redirects", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusFound) }, posture.No, ""},
		{"baseline 404 is comparable", http.NotFound, posture.No, ""},
		{"block page with 200", func(w http.ResponseWriter, r *http.Request) {
			if attackShaped(r) {
				w.Write([]byte("<html><title>Request Rejected</title><body>The requested URL was rejected. Please consult with your administrator.</body></html>"))
				return
			}
			w.Write([]byte("<html>shop</html>"))
		}, posture.Yes, ""},
		{"a probe answers 500: undecided", func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Query().Get("q"), "'") {
				w.WriteHeader(500)
			}
		}, posture.Unknown, ""},
		{"baseline forbidden: undecided", answerAll(403), posture.Unknown, ""},
		{"baseline 503: undecided", answerAll(503), posture.Unknown, ""},
		{"Cloudflare, blocking", cloudflare, posture.Yes, "Cloudflare"},
	}
	ca := newCA(t)
	recs := make([]*recorder, len(tests))
	var addrs []string
	for i, tt := range tests {
		recs[i] = &recorder{}
		srv := tlsServer(t, ca, recs[i].wrap(tt.handler))
		addrs = append(addrs, srv.URL)
	}
	obs := scanAll(t, wafscan.Options{Timeout: 3 * time.Second}, addrs...)
	for i, tt := range tests {
		o := obs[addrs[i]]
		if o.Present != tt.present || !o.Active || o.Missing != nil || o.Vendor != tt.vendor {
			t.Errorf("%s: present %s active %v missing %v vendor %q; want %s true nil %q; signals %q",
				tt.name, o.Present, o.Active, o.Missing, o.Vendor, tt.present, tt.vendor, o.Signals)
		}
		queries, agents := recs[i].seen()
		probes := 0
		for _, q := range queries {
			if strings.HasPrefix(q, "q=") {
				probes++
			}
		}
		if probes != 4 || len(queries) > 5 {
			t.Errorf("%s: server saw %d requests %q; want the 4 of the probe and at most one more", tt.name, len(queries), queries)
		}
		for _, a := range agents {
			if a != wafscan.DefaultUserAgent {
				t.Errorf("%s: User-Agent %q", tt.name, a)
			}
		}
		if tt.present != posture.Unknown && len(o.Exchanges) == 0 {
			t.Errorf("%s: no exchange recorded as evidence", tt.name)
		}
	}
}

// A server dressed as Cloudflare, blocking with Cloudflare's block page.
func cloudflare(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "cloudflare")
	w.Header().Set("CF-RAY", "8a1b2c3d4e5f6789-AMS")
	w.Header().Add("Set-Cookie", "__cf_bm=abc.def-1700000000-0-AQ==; path=/; HttpOnly; Secure; SameSite=None")
	if attackShaped(r) {
		w.WriteHeader(403)
		w.Write([]byte("<title>Attention Required! | Cloudflare</title> ... Cloudflare Ray ID: 8a1b2c3d4e5f6789"))
		return
	}
	w.Write([]byte("<html>acme</html>"))
}

// Go servers that mimic CDNs' and WAFs' headers are fingerprinted by
// vendor, passively: one request each, no query.
func TestVendors(t *testing.T) {
	tests := []struct {
		name    string
		headers [][2]string
		body    string
		vendor  string
	}{
		{"none", [][2]string{{"Server", "nginx"}}, "", ""},
		{"Cloudflare by Server", [][2]string{{"Server", "cloudflare"}}, "", "Cloudflare"},
		{"Cloudflare by cookie", [][2]string{{"Set-Cookie", "__cf_bm=x; Secure"}}, "", "Cloudflare"},
		{"AWS CloudFront", [][2]string{{"X-Amz-Cf-Id", "Zt6yM6PzZ1a=="}, {"Via", "1.1 abc.cloudfront.net (CloudFront)"}}, "", "AWS"},
		{"AWS ELB", [][2]string{{"Server", "awselb/2.0"}, {"Set-Cookie", "AWSALB=abc; Path=/"}}, "", "AWS"},
		{"Azure Front Door", [][2]string{{"X-Azure-Ref", "0abcDEF=="}}, "", "Azure"},
		{"Azure Application Gateway", [][2]string{{"Server", "Microsoft-Azure-Application-Gateway/v2"}}, "", "Azure"},
		{"Akamai", [][2]string{{"Akamai-GRN", "0.1b2c3d4e.1700000000.5f6a7b8"}}, "", "Akamai"},
		{"Akamai by Server", [][2]string{{"Server", "AkamaiGHost"}}, "", "Akamai"},
		{"Imperva", [][2]string{{"X-Iinfo", "10-123-0 0NNN RT(1700000000 0)"}, {"Set-Cookie", "incap_ses_1234_5678=abc; path=/"}}, "", "Imperva"},
		{"F5 BIG-IP", [][2]string{{"Set-Cookie", "BIGipServerpool_web=1677787402.20480.0000; path=/"}}, "", "F5"},
		{"Fastly", [][2]string{{"X-Served-By", "cache-ams21080-AMS"}, {"X-Fastly-Request-ID", "0d4f2c1e"}}, "", "Fastly"},
		{"Fastly needs cache- first", [][2]string{{"X-Served-By", "app-server-3"}}, "", ""},
		{"Sucuri", [][2]string{{"X-Sucuri-ID", "17001"}, {"Server", "Sucuri/Cloudproxy"}}, "", "Sucuri"},
		{"ModSecurity by block page", nil, "<html>This error was generated by Mod_Security.</html>", "ModSecurity"},
		{"Barracuda", [][2]string{{"Set-Cookie", "barra_counter_session=abc; path=/"}}, "", "Barracuda"},
		{"Citrix NetScaler", [][2]string{{"Set-Cookie", "citrix_ns_id=abc; path=/"}}, "", "Citrix"},
		{"Imperva block page", nil, "Request unsuccessful. Incapsula incident ID: 1234", "Imperva"},
	}
	var addrs []string
	recs := make([]*recorder, len(tests))
	for i, tt := range tests {
		recs[i] = &recorder{}
		srv := plainServer(t, recs[i].wrap(func(w http.ResponseWriter, r *http.Request) {
			for _, h := range tt.headers {
				w.Header().Add(h[0], h[1])
			}
			w.Write([]byte(tt.body))
		}))
		addrs = append(addrs, srv.URL)
	}
	obs := scanAll(t, wafscan.Options{Passive: func(posture.Target) bool { return true }}, addrs...)
	for i, tt := range tests {
		o := obs[addrs[i]]
		if o.Vendor != tt.vendor || o.Active || o.Present != posture.Unknown {
			t.Errorf("%s: vendor %q active %v present %s; want %q false unknown; signals %q", tt.name, o.Vendor, o.Active, o.Present, tt.vendor, o.Signals)
		}
		if queries, _ := recs[i].seen(); len(queries) != 1 || queries[0] != "" {
			t.Errorf("%s: server saw %q; want exactly one request without a query", tt.name, queries)
		}
	}
}

// Nothing listening, a server that never answers: unknown, with why, and
// in bounded time.
func TestUnreachable(t *testing.T) {
	silent := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		var b [1024]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	})
	refused := "http://" + refusedAddr(t)
	start := time.Now()
	obs := scanAll(t, wafscan.Options{Timeout: time.Second}, refused, "http://"+silent)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %s", took)
	}
	for a, o := range obs {
		if o.Present != posture.Unknown || o.Missing == nil {
			t.Errorf("%s: present %s missing %v signals %q; want unknown with a reason", a, o.Present, o.Missing, o.Signals)
		}
	}
}

// A hostile server cannot exhaust the engine: a 1 GiB body is cut.
func TestHostileBody(t *testing.T) {
	chunk := make([]byte, 32<<10)
	huge := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 1<<15; i++ { // 1 GiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	start := time.Now()
	obs := scanAll(t, wafscan.Options{Timeout: 5 * time.Second}, huge.URL)
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("huge bodies: took %s", took)
	}
	if o := obs[huge.URL]; o.Present == posture.Yes {
		t.Errorf("huge bodies: present %s", o.Present)
	}
}

// User templates: the control's own template runs against its target and
// its match, or no match, is the observation.
func TestUserTemplates(t *testing.T) {
	dir := t.TempDir()
	tpl := filepath.Join(dir, "acme-hardened.yaml")
	os.WriteFile(tpl, []byte(`id: acme-hardened-header
info:
  name: Acme hardened header
  author: acme
  severity: info
http:
  - method: GET
    path:
      - "{{BaseURL}}/health"
    matchers:
      - type: regex
        name: hardened
        part: header
        regex:
          - "(?im)^x-acme-hardened:\\s*1"
`), 0o644)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("id: [\n"), 0o644)
	with := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Acme-Hardened", "1")
	}))
	without := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	templates := func(tg posture.Target) []string { return []string{tpl, filepath.Join(dir, "absent.yaml")} }
	obs := scanAll(t, wafscan.Options{Passive: func(posture.Target) bool { return true }, Templates: templates}, with.URL, without.URL)
	check := func(addr string, want posture.Tri) {
		t.Helper()
		o := obs[addr]
		if len(o.Templates) != 2 {
			t.Fatalf("%s: templates %+v", addr, o.Templates)
		}
		m := o.Templates[0]
		if m.Template != tpl || m.ID != "acme-hardened-header" || m.Matched != want || m.Missing != nil {
			t.Errorf("%s: %+v; want matched %s", addr, m, want)
		}
		if a := o.Templates[1]; a.Matched != posture.Unknown || a.Missing == nil {
			t.Errorf("%s: absent template: %+v; want unknown with a reason", addr, a)
		}
	}
	check(with.URL, posture.Yes)
	check(without.URL, posture.No)

	// A template that is not one, or that would reach beyond the target,
	// is not run: its control says why.
	s := wafscan.New(wafscan.Options{Engine: &Engine{}, Passive: func(posture.Target) bool { return true },
		Templates: func(posture.Target) []string { return []string{broken} }})
	o := s.Scan(context.Background(), target(with.URL)).WAF[0]
	if len(o.Templates) != 1 || o.Templates[0].Matched != posture.Unknown || o.Templates[0].Missing == nil ||
		!strings.Contains(o.Templates[0].Missing.Detail, "not a YAML template") {
		t.Errorf("broken template: %+v", o.Templates)
	}
}

// A template that passes vouch's rules but that nuclei cannot load makes
// only its own control inconclusive; WAF detection still runs.
func TestUnloadableUserTemplate(t *testing.T) {
	tpl := filepath.Join(t.TempDir(), "bad-matcher.yaml")
	os.WriteFile(tpl, []byte(`id: bad-matcher
info: {name: bad, author: a, severity: info}
http:
  - method: GET
    path: ["{{BaseURL}}/"]
    matchers:
      - type: no-such-matcher-type
`), 0o644)
	srv := plainServer(t, blockWith(403))
	obs := scanAll(t, wafscan.Options{Templates: func(posture.Target) []string { return []string{tpl} }}, srv.URL)
	o := obs[srv.URL]
	if o.Present != posture.Yes || o.Missing != nil {
		t.Errorf("WAF detection suffered: present %s missing %v", o.Present, o.Missing)
	}
	if len(o.Templates) != 1 || o.Templates[0].Matched != posture.Unknown || o.Templates[0].Missing == nil ||
		!strings.Contains(o.Templates[0].Missing.Detail, "could not load") {
		t.Errorf("template result %+v", o.Templates)
	}
}

func TestEmbedded(t *testing.T) {
	names := Embedded()
	if len(names) < 10 || !slices.Contains(names, "probe.yaml") {
		t.Fatalf("embedded templates %q", names)
	}
	for _, n := range names {
		data, _ := embedded.ReadFile("templates/" + n)
		s := string(data)
		if !strings.Contains(s, "author: vouch") || !strings.Contains(s, "kind: ") {
			t.Errorf("%s: no author vouch or no metadata kind", n)
		}
		if n != "probe.yaml" && (!strings.Contains(s, "vendor: ") || !strings.Contains(s, "passive")) {
			t.Errorf("%s: fingerprint without vendor or passive tag", n)
		}
	}
}

func TestSystemResolvers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(p, []byte("# comment\nnameserver 10.0.0.53\nsearch example\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:2\n"), 0o644)
	if got := systemResolvers(p); !slices.Equal(got, []string{"10.0.0.53:53", "[fe80::1]:53"}) {
		t.Errorf("got %q", got)
	}
	if got := systemResolvers(filepath.Join(t.TempDir(), "absent")); got != nil {
		t.Errorf("absent file: %q", got)
	}
}
