package httpscan

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/dnsscan"
)

const (
	yes = posture.Yes
	no  = posture.No
	unk = posture.Unknown
)

// route is one canned answer of a test server.
type route struct {
	status   int
	location string // {P}, {T} and {R} are replaced by the plain, TLS and refused origins
}

// countingDialer returns a Dialer whose resolver fails every lookup and
// counts them: targets here are IP literals, so any lookup means a hop to
// another host was followed.
func countingDialer(lookups *atomic.Int32) *net.Dialer {
	return &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		lookups.Add(1)
		return nil, errors.New("no resolver in this test")
	}}}
}

func TestRedirectChain(t *testing.T) {
	refused := "http://" + refusedAddr(t)
	refusedTLS := "https://" + strings.TrimPrefix(refused, "http://")
	tests := []struct {
		name         string
		plain, tls   map[string]route
		maxRedirects int
		hops         []hopSummary
		upgrades     posture.Tri
		sameHost     posture.Tri
		missing      posture.Reason
		loop         bool
		leaves       string
	}{
		{
			name:     "upgrade on the same host",
			plain:    map[string]route{"/": {301, "{T}/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, "{T}/"}, {"{T}/", 200, ""}},
			upgrades: yes, sameHost: yes,
		},
		{
			name:     "upgrade, then a relative redirect over https",
			plain:    map[string]route{"/": {301, "{T}/"}},
			tls:      map[string]route{"/": {302, "/home"}, "/home": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, "{T}/"}, {"{T}/", 302, "/home"}, {"{T}/home", 200, ""}},
			upgrades: yes, sameHost: yes,
		},
		{
			name:     "plain-HTTP hop before the upgrade; 303 and 307 are redirects",
			plain:    map[string]route{"/": {303, "/www"}, "/www": {307, "{T}/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 303, "/www"}, {"{P}/www", 307, "{T}/"}, {"{T}/", 200, ""}},
			upgrades: yes, sameHost: no,
		},
		{
			name:     "to https on another host: recorded, not followed",
			plain:    map[string]route{"/": {301, "https://elsewhere.vouch.test/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, "https://elsewhere.vouch.test/"}},
			upgrades: yes, sameHost: no, leaves: "https://elsewhere.vouch.test/",
		},
		{
			// Where the chain goes from there is not observed: that
			// host may well upgrade.
			name:     "to http on another host",
			plain:    map[string]route{"/": {302, "//elsewhere.vouch.test/x"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 302, "//elsewhere.vouch.test/x"}},
			upgrades: unk, sameHost: no, leaves: "http://elsewhere.vouch.test/x", missing: posture.ReasonNotScanned,
		},
		{
			name:     "to another scheme",
			plain:    map[string]route{"/": {302, "ftp://elsewhere.vouch.test/x"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 302, "ftp://elsewhere.vouch.test/x"}},
			upgrades: no, sameHost: no, leaves: "ftp://elsewhere.vouch.test/x",
		},
		{
			name:     "loop over plain HTTP",
			plain:    map[string]route{"/": {302, "/a"}, "/a": {302, "/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 302, "/a"}, {"{P}/a", 302, "/"}},
			upgrades: no, sameHost: no, missing: posture.ReasonProtocolError, loop: true,
		},
		{
			name:     "loop between http and https",
			plain:    map[string]route{"/": {301, "{T}/"}},
			tls:      map[string]route{"/": {301, "{P}/"}},
			hops:     []hopSummary{{"{P}/", 301, "{T}/"}, {"{T}/", 301, "{P}/"}},
			upgrades: no, sameHost: yes, missing: posture.ReasonProtocolError, loop: true,
		},
		{
			name:     "back down to http",
			plain:    map[string]route{"/": {301, "{T}/"}, "/landing": {200, ""}},
			tls:      map[string]route{"/": {301, "{P}/landing"}},
			hops:     []hopSummary{{"{P}/", 301, "{T}/"}, {"{T}/", 301, "{P}/landing"}, {"{P}/landing", 200, ""}},
			upgrades: no, sameHost: yes,
		},
		{
			name:     "no redirect",
			plain:    map[string]route{"/": {200, ""}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 200, ""}},
			upgrades: no, sameHost: no,
		},
		{
			name:     "not found",
			plain:    map[string]route{},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 404, ""}},
			upgrades: no, sameHost: no,
		},
		{
			name:     "redirect status without Location",
			plain:    map[string]route{"/": {301, ""}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, ""}},
			upgrades: no, sameHost: no,
		},
		{
			name:     "300 is not followed",
			plain:    map[string]route{"/": {300, "{T}/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 300, "{T}/"}},
			upgrades: no, sameHost: no,
		},
		{
			name:         "too many redirects",
			plain:        map[string]route{"/": {302, "/1"}, "/1": {302, "/2"}, "/2": {302, "/3"}, "/3": {302, "{T}/"}},
			tls:          map[string]route{"/": {200, ""}},
			maxRedirects: 3,
			hops:         []hopSummary{{"{P}/", 302, "/1"}, {"{P}/1", 302, "/2"}, {"{P}/2", 302, "/3"}, {"{P}/3", 302, "{T}/"}},
			upgrades:     yes, sameHost: no, missing: posture.ReasonProtocolError,
		},
		{
			name:     "upgrade to an https port that refuses",
			plain:    map[string]route{"/": {301, "{RS}/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, "{RS}/"}},
			upgrades: yes, sameHost: yes, missing: posture.ReasonRefused,
		},
		{
			name:     "plain-HTTP hop that refuses",
			plain:    map[string]route{"/": {301, "{R}/"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, "{R}/"}},
			upgrades: unk, sameHost: no, missing: posture.ReasonRefused,
		},
		{
			name:     "Location that is not a URL",
			plain:    map[string]route{"/": {301, "http://[::1"}},
			tls:      map[string]route{"/": {200, ""}},
			hops:     []hopSummary{{"{P}/", 301, "http://[::1"}},
			upgrades: unk, sameHost: no, missing: posture.ReasonProtocolError,
		},
	}
	ca := newCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plainURL, tlsURL string
			expand := func(s string) string {
				return strings.NewReplacer("{P}", plainURL, "{T}", tlsURL, "{RS}", refusedTLS, "{R}", refused).Replace(s)
			}
			serve := func(routes map[string]route) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					rt, ok := routes[r.URL.Path]
					if !ok {
						http.NotFound(w, r)
						return
					}
					if rt.location != "" {
						w.Header().Set("Location", expand(rt.location))
					}
					w.WriteHeader(rt.status)
				})
			}
			plainURL = plainServer(t, serve(tt.plain)).URL
			tlsURL = tlsServer(t, ca, serve(tt.tls)).URL

			var lookups atomic.Int32
			s := New(Options{
				Dialer: countingDialer(&lookups), RootCAs: ca.Pool(), Timeout: 2 * time.Second,
				MaxRedirects: tt.maxRedirects, PlainHTTP: plainAt(plainURL + "/"),
			})
			o := scanOne(t, s, target(tlsURL))

			var want []hopSummary
			for _, h := range tt.hops {
				want = append(want, hopSummary{expand(h.URL), h.Status, expand(h.Location)})
			}
			if got := summarize(o.Redirects); !slices.Equal(got, want) {
				t.Errorf("hops\n got %v\nwant %v", got, want)
			}
			if o.UpgradesToHTTPS != tt.upgrades || o.SameHostFirst != tt.sameHost || reasonOf(o.RedirectMissing) != tt.missing {
				t.Errorf("upgrades %s same host first %s redirect missing %v; want %s %s %q",
					o.UpgradesToHTTPS, o.SameHostFirst, o.RedirectMissing, tt.upgrades, tt.sameHost, tt.missing)
			}
			if o.RedirectLoop != tt.loop {
				t.Errorf("redirect loop %v, want %v", o.RedirectLoop, tt.loop)
			}
			if o.LeavesHost != tt.leaves {
				t.Errorf("leaves host %q, want %q", o.LeavesHost, tt.leaves)
			}
			if o.StartURL != plainURL+"/" {
				t.Errorf("start URL %q", o.StartURL)
			}
			if o.Missing != nil || o.HTTPSMissing != nil || o.HTTPS == nil || o.HTTPS.URL != tlsURL+"/" || o.HTTPS.Status != tt.tls["/"].status {
				t.Errorf("HTTPS %+v missing %v / %v", o.HTTPS, o.HTTPSMissing, o.Missing)
			}
			if o.Source != strings.TrimPrefix(tlsURL, "https://") {
				t.Errorf("source %q, want the HTTPS address %s", o.Source, tlsURL)
			}
			for i, h := range o.Redirects {
				if wantID := "http/" + tlsURL + "/hop" + strconv.Itoa(i+1); h.Evidence != wantID {
					t.Errorf("hop %d evidence %q, want %q", i+1, h.Evidence, wantID)
				}
			}
			if o.HTTPS != nil && o.HTTPS.Evidence != "http/"+tlsURL+"/https" {
				t.Errorf("HTTPS evidence %q", o.HTTPS.Evidence)
			}
			if n := lookups.Load(); n != 0 {
				t.Errorf("%d name lookups: a hop off the target's host was followed", n)
			}
		})
	}
}

// The evidence of a hop is the request as sent and the response head as
// received; the server sees vouch's User-Agent.
func TestEvidence(t *testing.T) {
	ca := newCA(t)
	var (
		mu     sync.Mutex
		agents []string
	)
	saw := func(r *http.Request) {
		mu.Lock()
		agents = append(agents, r.UserAgent())
		mu.Unlock()
	}
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw(r)
		w.Header().Set("Strict-Transport-Security", "max-age=600")
		w.Header().Add("X-Two", "a")
		w.Header().Add("X-Two", "b")
		w.Write([]byte("hello"))
	}))
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw(r)
		w.Header().Set("Location", ts.URL+"/")
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(ps.URL + "/"), Now: func() time.Time { return at }}), target(ts.URL))
	if !o.ObservedAt.Equal(at) || o.ObservedAt.Location() != time.UTC {
		t.Errorf("observed at %v, want %v in UTC", o.ObservedAt, at)
	}
	mu.Lock()
	defer mu.Unlock()
	// The chain (two hops), the HTTPS response, security.txt.
	if want := []string{DefaultUserAgent, DefaultUserAgent, DefaultUserAgent, DefaultUserAgent}; !slices.Equal(agents, want) {
		t.Errorf("server saw User-Agents %q, want %q", agents, want)
	}
	hop1, ok := evidenceByID(o, "http/"+ts.URL+"/hop1")
	if !ok || hop1.Kind != posture.EvidenceHTTP {
		t.Fatalf("hop1 evidence %+v", hop1)
	}
	host := strings.TrimPrefix(ps.URL, "http://")
	for _, line := range []string{
		"GET / HTTP/1.1\r\n",
		"Host: " + host + "\r\n",
		"User-Agent: " + DefaultUserAgent + "\r\n",
		"\r\n\r\nHTTP/1.1 301 Moved Permanently\r\n",
		"Location: " + ts.URL + "/\r\n",
		"[body: 0 bytes read]",
	} {
		if !strings.Contains(hop1.Data, line) {
			t.Errorf("hop1 evidence lacks %q:\n%s", line, hop1.Data)
		}
	}
	if !strings.Contains(hop1.Label, "connected to "+host) {
		t.Errorf("hop1 label %q", hop1.Label)
	}
	https, ok := evidenceByID(o, "http/"+ts.URL+"/https")
	if !ok || !strings.Contains(https.Data, "Strict-Transport-Security: max-age=600\r\n") ||
		!strings.Contains(https.Data, "X-Two: a\r\nX-Two: b\r\n") || !strings.Contains(https.Data, "[body: 5 bytes read]") {
		t.Errorf("https evidence %+v", https)
	}
	if got := o.HTTPS.Headers["X-Two"]; !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("HTTPS headers X-Two = %q", got)
	}
	if _, ok := evidenceByID(o, "http/"+ts.URL+"/notes"); ok {
		t.Errorf("unexpected notes evidence")
	}
}

func TestHSTS(t *testing.T) {
	tests := []struct {
		name    string
		headers []string // Strict-Transport-Security fields of the HTTPS response
		want    *posture.HSTS
	}{
		{"absent", nil, nil},
		{"valid", []string{"max-age=31536000; includeSubDomains; preload"},
			&posture.HSTS{Raw: "max-age=31536000; includeSubDomains; preload", Valid: true, MaxAge: 31536000, IncludeSubDomains: true, Preload: true}},
		{"quoted max-age", []string{`max-age="600"`},
			&posture.HSTS{Raw: `max-age="600"`, Valid: true, MaxAge: 600}},
		{"malformed", []string{"max-age=forever"},
			&posture.HSTS{Raw: "max-age=forever", Issues: []posture.Code{posture.CodeHSTSMaxAgeInvalid}}},
		{"duplicate directive", []string{"max-age=600; max-age=0"},
			&posture.HSTS{Raw: "max-age=600; max-age=0", MaxAge: 600, Issues: []posture.Code{posture.CodeHSTSDuplicateDirective}}},
		{"empty", []string{""},
			&posture.HSTS{Raw: "", Issues: []posture.Code{posture.CodeHSTSEmpty}}},
		{"two fields: the first counts", []string{"max-age=600", "max-age=0; includeSubDomains"},
			&posture.HSTS{Raw: "max-age=600", Valid: true, MaxAge: 600, Issues: []posture.Code{posture.CodeHSTSMultipleHeaders}}},
		{"two fields, the first invalid", []string{"includeSubDomains", "max-age=600"},
			&posture.HSTS{Raw: "includeSubDomains", IncludeSubDomains: true, Issues: []posture.Code{posture.CodeHSTSMaxAgeMissing, posture.CodeHSTSMultipleHeaders}}},
	}
	ca := newCA(t)
	// The plain-HTTP origin sends HSTS too: it must be ignored (RFC 6797 §8.1).
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=1")
	}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, v := range tt.headers {
					w.Header().Add("Strict-Transport-Security", v)
				}
			}))
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(ps.URL + "/")}), target(ts.URL))
			if o.UpgradesToHTTPS != no {
				t.Errorf("upgrades %s", o.UpgradesToHTTPS)
			}
			switch got := o.HSTS; {
			case tt.want == nil && got != nil:
				t.Errorf("HSTS %+v, want none", got)
			case tt.want != nil && got == nil:
				t.Errorf("no HSTS, want %+v", tt.want)
			case tt.want != nil && (got.Raw != tt.want.Raw || got.Valid != tt.want.Valid || got.MaxAge != tt.want.MaxAge ||
				got.IncludeSubDomains != tt.want.IncludeSubDomains || got.Preload != tt.want.Preload || !slices.Equal(got.Issues, tt.want.Issues)):
				t.Errorf("HSTS\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestCookies(t *testing.T) {
	ca := newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "__Host-sid=abc; Secure; HttpOnly; SameSite=Strict; Path=/")
		w.Header().Add("Set-Cookie", "pref=dark")
		w.Header().Add("Set-Cookie", "lang=en; Domain=example.test; Path=/docs; SameSite=None; Secure")
		w.Header().Add("Set-Cookie", "odd=1; SameSite=Sometimes")
		w.Header().Add("Set-Cookie", "no equals sign")
	}))
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "track=1; SameSite=Lax")
		w.Header().Set("Location", ts.URL+"/")
		w.WriteHeader(http.StatusFound)
	}))
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(ps.URL + "/")}), target(ts.URL))
	httpsCookies := func(u string) []posture.Cookie {
		return []posture.Cookie{
			{URL: u, Raw: "__Host-sid=abc; Secure; HttpOnly; SameSite=Strict; Path=/", Name: "__Host-sid", Secure: true, HttpOnly: true, SameSite: "Strict", Path: "/"},
			{URL: u, Raw: "pref=dark", Name: "pref"},
			{URL: u, Raw: "lang=en; Domain=example.test; Path=/docs; SameSite=None; Secure", Name: "lang", Secure: true, SameSite: "None", Domain: "example.test", Path: "/docs", Issues: []posture.Code{posture.CodeCookieDomainMismatch}},
			{URL: u, Raw: "odd=1; SameSite=Sometimes", Name: "odd"},
		}
	}
	// Hop 1 (plain), hop 2 (the https:// URL in the chain), then the
	// HTTPS request itself.
	want := append([]posture.Cookie{{URL: ps.URL + "/", Raw: "track=1; SameSite=Lax", Name: "track", SameSite: "Lax"}}, httpsCookies(ts.URL+"/")...)
	want = append(want, httpsCookies(ts.URL+"/")...)
	if !reflect.DeepEqual(o.Cookies, want) {
		t.Errorf("cookies\n got %+v\nwant %+v", o.Cookies, want)
	}
	notes, ok := evidenceByID(o, "http/"+ts.URL+"/notes")
	if !ok || strings.Count(notes.Data, `"no equals sign"`) != 2 {
		t.Errorf("notes should name the unparsable Set-Cookie twice: %+v", notes)
	}
}

// Nothing on the plain-HTTP port: the chain is not observed (Unknown, not
// No); the HTTPS response still is.
func TestPlainHTTPRefused(t *testing.T) {
	ca := newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=600")
	}))
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt("http://" + refusedAddr(t) + "/")}), target(ts.URL))
	if reasonOf(o.RedirectMissing) != posture.ReasonRefused || o.UpgradesToHTTPS != unk || o.SameHostFirst != unk || len(o.Redirects) != 0 {
		t.Errorf("redirect missing %v upgrades %s same host %s hops %d; want refused unknown unknown 0",
			o.RedirectMissing, o.UpgradesToHTTPS, o.SameHostFirst, len(o.Redirects))
	}
	if o.Missing != nil || o.HTTPS == nil || o.HTTPS.Status != 200 || o.HSTS == nil || !o.HSTS.Valid {
		t.Errorf("missing %v HTTPS %+v HSTS %+v", o.Missing, o.HTTPS, o.HSTS)
	}
}

// Nothing anywhere: the observation itself is missing, as refused.
func TestAllRefused(t *testing.T) {
	tg := target("https://" + refusedAddr(t))
	o := scanOne(t, New(Options{PlainHTTP: plainAt("http://" + refusedAddr(t) + "/")}), tg)
	if reasonOf(o.Missing) != posture.ReasonRefused || reasonOf(o.HTTPSMissing) != posture.ReasonRefused ||
		reasonOf(o.RedirectMissing) != posture.ReasonRefused || o.UpgradesToHTTPS != unk || o.SameHostFirst != unk {
		t.Errorf("missing %v https %v redirect %v upgrades %s same host %s", o.Missing, o.HTTPSMissing, o.RedirectMissing, o.UpgradesToHTTPS, o.SameHostFirst)
	}
	if o.HTTPS != nil || o.HSTS != nil || len(o.Redirects) != 0 || o.Source != tg.HostPort() {
		t.Errorf("HTTPS %+v HSTS %+v hops %d source %q", o.HTTPS, o.HSTS, len(o.Redirects), o.Source)
	}
}

// silent accepts connections and never answers.
func silent(t *testing.T) string {
	return rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var b [1024]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	})
}

// Silent servers cost one timeout per request, and give timeout, Unknown.
func TestSilentServers(t *testing.T) {
	addr := silent(t)
	const timeout = 300 * time.Millisecond
	start := time.Now()
	o := scanOne(t, New(Options{Timeout: timeout, PlainHTTP: plainAt("http://" + addr + "/")}), target("https://"+addr))
	if took := time.Since(start); took > 4*timeout {
		t.Errorf("scan took %s, want about %s (two requests)", took, 2*timeout)
	}
	if reasonOf(o.RedirectMissing) != posture.ReasonTimeout || reasonOf(o.HTTPSMissing) != posture.ReasonTimeout ||
		reasonOf(o.Missing) != posture.ReasonTimeout || o.UpgradesToHTTPS != unk || o.SameHostFirst != unk {
		t.Errorf("redirect %v https %v missing %v upgrades %s same host %s",
			o.RedirectMissing, o.HTTPSMissing, o.Missing, o.UpgradesToHTTPS, o.SameHostFirst)
	}
}

// The context bounds the whole scan, whatever Options.Timeout says.
func TestContextBoundsScan(t *testing.T) {
	addr := silent(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	o := scanCtx(t, ctx, New(Options{Timeout: time.Minute, PlainHTTP: plainAt("http://" + addr + "/")}), target("https://"+addr))
	if took := time.Since(start); took > time.Second {
		t.Errorf("scan took %s, want about 300ms", took)
	}
	if reasonOf(o.RedirectMissing) != posture.ReasonTimeout || reasonOf(o.HTTPSMissing) != posture.ReasonTimeout {
		t.Errorf("redirect %v https %v, want timeouts", o.RedirectMissing, o.HTTPSMissing)
	}
}

// A head that arrives and a body that trickles: the hop is observed, the
// body read stops at the deadline.
func TestTricklingBody(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var b [4096]byte
		c.Read(b[:])
		c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"))
		for {
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	const timeout = 400 * time.Millisecond
	start := time.Now()
	o := scanOne(t, New(Options{Timeout: timeout, PlainHTTP: plainAt("http://" + addr + "/")}), target("https://"+refusedAddr(t)))
	if took := time.Since(start); took > 3*timeout {
		t.Errorf("scan took %s", took)
	}
	if len(o.Redirects) != 1 || o.Redirects[0].Status != 200 || o.RedirectMissing != nil || o.UpgradesToHTTPS != no {
		t.Fatalf("hops %+v missing %v upgrades %s", o.Redirects, o.RedirectMissing, o.UpgradesToHTTPS)
	}
	ev, _ := evidenceByID(o, o.Redirects[0].Evidence)
	if !strings.Contains(ev.Data, "bytes read, then") {
		t.Errorf("evidence should say the body read stopped:\n%s", ev.Data)
	}
}

// A body of a gigabyte is not read: 64 KiB is, and the connection closed.
func TestHugeBody(t *testing.T) {
	var written atomic.Int64
	chunk := make([]byte, 32<<10)
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for written.Load() < 1<<30 {
			n, err := w.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	tg := target("https://" + refusedAddr(t))
	start := time.Now()
	var o posture.HTTPObservation
	alloc := allocated(func() { o = scanOne(t, New(Options{Timeout: 5 * time.Second, PlainHTTP: plainAt(ps.URL + "/")}), tg) })
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("scan took %s", took)
	}
	if alloc > 1<<20 {
		t.Errorf("scan allocated %d bytes", alloc)
	}
	if len(o.Redirects) != 1 || o.Redirects[0].Status != 200 {
		t.Fatalf("hops %+v missing %v", o.Redirects, o.RedirectMissing)
	}
	ev, _ := evidenceByID(o, o.Redirects[0].Evidence)
	if !strings.Contains(ev.Data, "[body: first 65536 bytes read, the rest not read]") {
		t.Errorf("evidence:\n%s", ev.Data)
	}
	ps.Close() // wait for the handler to see the closed connection
	if n := written.Load(); n > 32<<20 {
		t.Errorf("server wrote %d bytes before the client went away", n)
	}
}

// A response head beyond 64 KiB is refused as too large, whatever its size.
func TestHugeHeaders(t *testing.T) {
	var sent atomic.Int64
	addr := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var b [4096]byte
		c.Read(b[:])
		c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		line := []byte("X-Pad: " + strings.Repeat("a", 1000) + "\r\n")
		for sent.Load() < 64<<20 {
			n, err := c.Write(line)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	tg := target("https://" + refusedAddr(t))
	start := time.Now()
	var o posture.HTTPObservation
	alloc := allocated(func() {
		o = scanOne(t, New(Options{Timeout: 5 * time.Second, PlainHTTP: plainAt("http://" + addr + "/")}), tg)
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("scan took %s", took)
	}
	if alloc > 1<<20 {
		t.Errorf("scan allocated %d bytes", alloc)
	}
	if reasonOf(o.RedirectMissing) != posture.ReasonTooLarge || len(o.Redirects) != 0 || o.UpgradesToHTTPS != unk {
		t.Errorf("redirect missing %v hops %d upgrades %s, want too_large 0 unknown", o.RedirectMissing, len(o.Redirects), o.UpgradesToHTTPS)
	}
}

// A certificate the roots do not trust is the TLS scanner's finding: the
// headers are still observed, and a note says they were not verified.
func TestUntrustedCertificate(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=600")
	}))
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", ts.URL+"/")
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	o := scanOne(t, New(Options{RootCAs: other.Pool(), PlainHTTP: plainAt(ps.URL + "/")}), target(ts.URL))
	if o.HTTPS == nil || o.HTTPS.Status != 200 || o.HSTS == nil || o.HSTS.MaxAge != 600 || o.HTTPSMissing != nil {
		t.Fatalf("HTTPS %+v HSTS %+v missing %v", o.HTTPS, o.HSTS, o.HTTPSMissing)
	}
	if len(o.Redirects) != 2 || o.UpgradesToHTTPS != yes || o.SameHostFirst != yes {
		t.Errorf("hops %v upgrades %s same host %s", summarize(o.Redirects), o.UpgradesToHTTPS, o.SameHostFirst)
	}
	// RFC 6797 §8.1: a UA ignores the header of a response received with
	// certificate errors: it is recorded, but not valid.
	for _, h := range []*posture.HSTS{o.HSTS, o.Redirects[1].HSTS} {
		if h == nil || h.Valid || len(h.Issues) == 0 || h.Issues[0] != posture.CodeHSTSUntrustedCertificate {
			t.Errorf("HSTS over an untrusted certificate: %+v; want invalid, %s first", h, posture.CodeHSTSUntrustedCertificate)
		}
	}
	notes, ok := evidenceByID(o, "http/"+ts.URL+"/notes")
	if !ok || strings.Count(notes.Data, "certificate not trusted; headers observed without verification") != 1 ||
		!strings.Contains(notes.Data, "x509:") {
		t.Errorf("notes %+v", notes)
	}

	// With the right roots there is no such note.
	o = scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(ps.URL + "/")}), target(ts.URL))
	if _, ok := evidenceByID(o, "http/"+ts.URL+"/notes"); ok {
		t.Errorf("notes with trusted roots")
	}
	if o.HSTS == nil || !o.HSTS.Valid || len(o.HSTS.Issues) != 0 {
		t.Errorf("HSTS over a trusted certificate: %+v", o.HSTS)
	}
}

// A TLS port that does not speak TLS: handshake_failed, not retried.
func TestNotTLS(t *testing.T) {
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	o := scanOne(t, New(Options{PlainHTTP: plainAt(ps.URL + "/")}), target("https://"+strings.TrimPrefix(ps.URL, "http://")))
	if reasonOf(o.HTTPSMissing) != posture.ReasonHandshakeFailed || o.Missing != nil || len(o.Redirects) != 1 {
		t.Errorf("https missing %v missing %v hops %d", o.HTTPSMissing, o.Missing, len(o.Redirects))
	}
}

// A server that answers with something other than HTTP.
func TestGarbage(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var b [4096]byte
		c.Read(b[:])
		c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	})
	o := scanOne(t, New(Options{Timeout: time.Second, PlainHTTP: plainAt("http://" + addr + "/")}), target("https://"+refusedAddr(t)))
	if reasonOf(o.RedirectMissing) != posture.ReasonProtocolError || o.UpgradesToHTTPS != unk {
		t.Errorf("redirect missing %v upgrades %s", o.RedirectMissing, o.UpgradesToHTTPS)
	}
}

func TestNoPlainHTTPOrigin(t *testing.T) {
	ca := newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt("")}), target(ts.URL))
	if reasonOf(o.RedirectMissing) != posture.ReasonNotScanned || o.UpgradesToHTTPS != unk || o.HTTPS == nil || o.Missing != nil {
		t.Errorf("redirect missing %v upgrades %s HTTPS %+v missing %v", o.RedirectMissing, o.UpgradesToHTTPS, o.HTTPS, o.Missing)
	}
}

func TestDefaults(t *testing.T) {
	s := New(Options{})
	if s.Name() != "http" || !s.Accepts(posture.TargetWeb) || s.Accepts(posture.TargetMail) {
		t.Errorf("name %q accepts web %v mail %v", s.Name(), s.Accepts(posture.TargetWeb), s.Accepts(posture.TargetMail))
	}
	if s.timeout != 10*time.Second || s.maxRedirects != 10 || s.userAgent != "vouch/dev (+security posture scan)" || s.maxPages != 5 || s.pages != nil {
		t.Errorf("defaults: timeout %s max redirects %d user agent %q max pages %d", s.timeout, s.maxRedirects, s.userAgent, s.maxPages)
	}
	for addr, want := range map[string]string{
		"https://app.acme.example":       "http://app.acme.example/",
		"https://APP.acme.example:8443/": "http://app.acme.example/",
		"https://127.0.0.1:8443":         "http://127.0.0.1/",
		"https://[::1]:8443/login":       "http://[::1]/",
	} {
		if got := DefaultPlainHTTP(target(addr)); got != want {
			t.Errorf("DefaultPlainHTTP(%s) = %q, want %q", addr, got, want)
		}
	}
}

// Host names resolve through the Dialer's Resolver, for the chain and for
// the HTTPS request; a name that does not exist is nxdomain, one whose
// lookup fails with SERVFAIL is servfail.
func TestResolution(t *testing.T) {
	ca := newCA(t)
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=600")
	}), "app.vouch.test")
	_, tport, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "https://"))
	ps := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://"+r.Host[:strings.LastIndexByte(r.Host, ':')]+":"+tport+"/")
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	_, pport, _ := net.SplitHostPort(strings.TrimPrefix(ps.URL, "http://"))
	srv, err := dnstest.Start("vouch.test.", "app A 127.0.0.1\nbroken A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.ServFail("broken.vouch.test")
	d := &net.Dialer{Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Addr)
	}}}
	plain := func(tg posture.Target) string { return "http://" + tg.Host() + ":" + pport + "/" }
	// The Dialer's resolver, or the scan's one resolver (Options.Resolver,
	// dnsscan's client as cmd/vouch gives it): the same answers, and the
	// Dialer then only dials addresses.
	for _, s := range []*Scanner{
		New(Options{Dialer: d, RootCAs: ca.Pool(), Timeout: 2 * time.Second, PlainHTTP: plain}),
		New(Options{Dialer: &net.Dialer{}, Resolver: dnsscan.NewResolver(srv.Addr, time.Second), RootCAs: ca.Pool(), Timeout: 2 * time.Second, PlainHTTP: plain}),
	} {
		asked := srv.Queries()
		o := scanOne(t, s, target("https://app.vouch.test:"+tport))
		want := []hopSummary{
			{"http://app.vouch.test:" + pport + "/", 301, "https://app.vouch.test:" + tport + "/"},
			{"https://app.vouch.test:" + tport + "/", 200, ""},
		}
		if got := summarize(o.Redirects); !slices.Equal(got, want) || o.UpgradesToHTTPS != yes || o.SameHostFirst != yes {
			t.Errorf("resolver %T: hops %v upgrades %s same host %s", s.resolver, got, o.UpgradesToHTTPS, o.SameHostFirst)
		}
		if o.Source != "127.0.0.1:"+tport || o.HSTS == nil || !o.HSTS.Valid || o.Missing != nil {
			t.Errorf("resolver %T: source %q HSTS %+v missing %v", s.resolver, o.Source, o.HSTS, o.Missing)
		}
		if srv.Queries() == asked {
			t.Errorf("resolver %T: no question reached the test server", s.resolver)
		}

		// The same reasons as every scanner's (posture.MissingFor): a
		// SERVFAIL is servfail here as in tlsscan, not dns_error.
		for host, want := range map[string]posture.Reason{"missing": posture.ReasonNXDomain, "broken": posture.ReasonServFail} {
			o = scanOne(t, s, target("https://"+host+".vouch.test:"+tport))
			if reasonOf(o.Missing) != want || reasonOf(o.RedirectMissing) != want || o.UpgradesToHTTPS != unk {
				t.Errorf("resolver %T: %s: missing %v redirect missing %v upgrades %s, want %s", s.resolver, host, o.Missing, o.RedirectMissing, o.UpgradesToHTTPS, want)
			}
		}
	}
}

// allocated returns how many bytes the process allocated while f ran
// (servers of the test included, so it bounds the scanner from above).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A server error or a rate limit (5xx, 429) is not the site's answer: the
// headers of an error page (nginx leaves add_header off them) say nothing
// of its HSTS, redirects or cookies. The response is kept as evidence and
// the part is not observed, so that no check judges it.
func TestServerErrorsAreNotObservations(t *testing.T) {
	ca := newCA(t)
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			fail := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "try later", status) })
			ts := tlsServer(t, ca, fail)
			plain := plainServer(t, fail)
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(plain.URL + "/")}), target(ts.URL))
			if reasonOf(o.RedirectMissing) != posture.ReasonError || o.UpgradesToHTTPS != unk || o.SameHostFirst != unk || len(o.Redirects) != 0 {
				t.Errorf("plain HTTP %d: redirect missing %v upgrades %s same host %s hops %d; want error unknown unknown 0",
					status, o.RedirectMissing, o.UpgradesToHTTPS, o.SameHostFirst, len(o.Redirects))
			}
			if reasonOf(o.HTTPSMissing) != posture.ReasonError || o.HTTPS == nil || o.HTTPS.Status != status {
				t.Errorf("HTTPS %d: missing %v response %+v; want error, and the response kept", status, o.HTTPSMissing, o.HTTPS)
			}
			if o.SecurityTxt == nil || o.SecurityTxt.Missing == nil {
				t.Errorf("security.txt %+v; want not observed", o.SecurityTxt)
			}

			// The chain reached https:// before the error: it upgrades.
			plain2 := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, ts.URL+"/", http.StatusMovedPermanently)
			}))
			o = scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(plain2.URL + "/")}), target(ts.URL))
			if reasonOf(o.RedirectMissing) != posture.ReasonError || o.UpgradesToHTTPS != yes || len(o.Redirects) != 1 {
				t.Errorf("chain to an HTTPS %d: redirect missing %v upgrades %s hops %d; want error yes 1", status, o.RedirectMissing, o.UpgradesToHTTPS, len(o.Redirects))
			}
		})
	}
}
