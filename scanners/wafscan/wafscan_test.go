package wafscan

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

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

// the queries vouch sends, encoded
var (
	qBaseline  = "q=vouch-baseline"
	qXSS       = "q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
	qSQLi      = "q=%27+OR+%271%27%3D%271"
	qTraversal = "q=..%2F..%2Fetc%2Fpasswd"
)

func scanOne(t *testing.T, s *Scanner, tg posture.Target) posture.WAFObservation {
	t.Helper()
	snap := s.Scan(context.Background(), tg)
	if len(snap.WAF) != 1 || len(snap.TLS)+len(snap.HTTP)+len(snap.DNS) != 0 {
		t.Fatalf("want exactly one WAF observation, got %+v", snap)
	}
	o := snap.WAF[0]
	if o.Scanner != "waf" || o.Target != tg || o.URL != tg.Address {
		t.Fatalf("observation header %+v url %q", o.Observation, o.URL)
	}
	ids := map[string]bool{}
	for _, e := range o.Evidence {
		if ids[e.ID] {
			t.Errorf("evidence ID %q twice", e.ID)
		}
		ids[e.ID] = true
		if e.Kind == posture.EvidenceHTTP && !strings.Contains(e.Data, "User-Agent: "+DefaultUserAgent+"\r\n") {
			t.Errorf("evidence %s lacks the User-Agent:\n%s", e.ID, e.Data)
		}
	}
	for _, h := range o.Exchanges {
		if !ids[h.Evidence] {
			t.Errorf("exchange %s: evidence %q not in the observation", h.URL, h.Evidence)
		}
	}
	return o
}

func statuses(hops []posture.HTTPHop) []int {
	var out []int
	for _, h := range hops {
		out = append(out, h.Status)
	}
	return out
}

func TestActive(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		present  posture.Tri
		queries  []string
		statuses []int
		signal   string // one of the signals
		vendor   string
	}{
		{"403 blocks", blockWith(403), posture.Yes,
			[]string{qBaseline, qXSS}, []int{200, 403},
			"blocked: probe 1 (xss) answered 403; baseline answered 200", ""},
		{"406 blocks", blockWith(406), posture.Yes,
			[]string{qBaseline, qXSS}, []int{200, 406}, "blocked: probe 1 (xss) answered 406; baseline answered 200", ""},
		{"429 blocks", blockWith(429), posture.Yes,
			[]string{qBaseline, qXSS}, []int{200, 429}, "blocked: probe 1 (xss) answered 429; baseline answered 200", ""},
		{"501 blocks", blockWith(501), posture.Yes,
			[]string{qBaseline, qXSS}, []int{200, 501}, "blocked: probe 1 (xss) answered 501; baseline answered 200", ""},
		{"only SQL injection blocked", func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Query().Get("q"), "' OR '") {
				w.WriteHeader(403)
			}
		}, posture.Yes,
			[]string{qBaseline, qXSS, qSQLi}, []int{200, 200, 403},
			"blocked: probe 2 (sqli) answered 403; baseline answered 200", ""},
		{"plain server", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) }, posture.No,
			[]string{qBaseline, qXSS, qSQLi, qTraversal}, []int{200, 200, 200, 200},
			"not blocked: probe 3 (traversal) answered 200 like the baseline (200)", ""},
		{"plain server that redirects", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/login", http.StatusFound) }, posture.No,
			[]string{qBaseline, qXSS, qSQLi, qTraversal}, []int{302, 302, 302, 302},
			"not blocked: probe 1 (xss) answered 302 like the baseline (302)", ""},
		{"baseline 404 is comparable", http.NotFound, posture.No,
			[]string{qBaseline, qXSS, qSQLi, qTraversal}, []int{404, 404, 404, 404},
			"not blocked: probe 2 (sqli) answered 404 like the baseline (404)", ""},
		{"block page with 200", func(w http.ResponseWriter, r *http.Request) {
			if attackShaped(r) {
				w.Write([]byte("<html><title>Request Rejected</title><body>The requested URL was rejected. Please consult with your administrator.</body></html>"))
				return
			}
			w.Write([]byte("<html>shop</html>"))
		}, posture.Yes,
			[]string{qBaseline, qXSS}, []int{200, 200},
			`blocked: probe 1 (xss) answered 200 with a block page ("the requested url was rejected"); baseline answered 200`, VendorF5},
		{"a probe answers 500: undecided", func(w http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Query().Get("q"), "'") {
				w.WriteHeader(500)
			}
		}, posture.Unknown,
			[]string{qBaseline, qXSS, qSQLi, qTraversal}, []int{200, 200, 500, 200},
			"undecided: probe 2 (sqli) answered 500, baseline 200: not a recognised block", ""},
		{"baseline forbidden: no probe", answerAll(403), posture.Unknown,
			[]string{qBaseline}, []int{403},
			"undecided: baseline answered 403; with nothing to compare against, no probe was sent", ""},
		{"baseline 500: no probe", answerAll(503), posture.Unknown,
			[]string{qBaseline}, []int{503},
			"undecided: baseline answered 503; with nothing to compare against, no probe was sent", ""},
	}
	ca := newCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rc recorder
			srv := tlsServer(t, ca, rc.wrap(tt.handler))
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second}), target(srv.URL))
			if o.Present != tt.present || !o.Active || o.Missing != nil {
				t.Errorf("present %s active %v missing %v; want %s true nil", o.Present, o.Active, o.Missing, tt.present)
			}
			queries, agents := rc.seen()
			if !slices.Equal(queries, tt.queries) {
				t.Errorf("server saw queries\n %q\nwant\n %q", queries, tt.queries)
			}
			for _, a := range agents {
				if a != DefaultUserAgent {
					t.Errorf("User-Agent %q", a)
				}
			}
			if got := statuses(o.Exchanges); !slices.Equal(got, tt.statuses) {
				t.Errorf("exchange statuses %v, want %v", got, tt.statuses)
			}
			for i, h := range o.Exchanges {
				wantURL, wantID := srv.URL+"/?"+tt.queries[i], "waf/"+srv.URL+"/probe"+strconv.Itoa(i)
				if i == 0 {
					wantID = "waf/" + srv.URL + "/baseline"
				}
				if h.URL != wantURL || h.Evidence != wantID {
					t.Errorf("exchange %d: url %q evidence %q; want %q %q", i, h.URL, h.Evidence, wantURL, wantID)
				}
			}
			if !slices.Contains(o.Signals, tt.signal) {
				t.Errorf("signals %q lack %q", o.Signals, tt.signal)
			}
			if o.Vendor != tt.vendor {
				t.Errorf("vendor %q, want %q", o.Vendor, tt.vendor)
			}
			if o.Source != strings.TrimPrefix(srv.URL, "https://") {
				t.Errorf("source %q", o.Source)
			}
		})
	}
}

// answerAll is a server that answers everything with status.
func answerAll(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }
}

// A server dressed as Cloudflare, blocking with Cloudflare's block page.
func cloudflare(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "cloudflare")
	w.Header().Set("CF-RAY", "8a1b2c3d4e5f6789-AMS")
	w.Header().Add("Set-Cookie", "__cf_bm=abc.def-1700000000-0-AQ==; path=/; expires=Thu, 23-Nov-26 10:30:00 GMT; domain=.acme.example; HttpOnly; Secure; SameSite=None")
	if attackShaped(r) {
		w.WriteHeader(403)
		w.Write([]byte("<title>Attention Required! | Cloudflare</title> ... Cloudflare Ray ID: 8a1b2c3d4e5f6789"))
		return
	}
	w.Write([]byte("<html>acme</html>"))
}

func TestCloudflare(t *testing.T) {
	ca := newCA(t)
	srv := tlsServer(t, ca, http.HandlerFunc(cloudflare))
	o := scanOne(t, New(Options{RootCAs: ca.Pool()}), target(srv.URL))
	if o.Present != posture.Yes || o.Vendor != VendorCloudflare {
		t.Errorf("present %s vendor %q", o.Present, o.Vendor)
	}
	want := []string{
		"Cloudflare: header Cf-Ray",
		"Cloudflare: header Server: cloudflare",
		"Cloudflare: cookie __cf_bm",
		`Cloudflare: block page ("attention required! | cloudflare")`,
		"blocked: probe 1 (xss) answered 403; baseline answered 200",
	}
	if !slices.Equal(o.Signals, want) {
		t.Errorf("signals\n %q\nwant\n %q", o.Signals, want)
	}
}

// Passive mode sends exactly one request, without a query, and records
// fingerprints only.
func TestPassive(t *testing.T) {
	ca := newCA(t)
	var rc recorder
	srv := tlsServer(t, ca, rc.wrap(cloudflare))
	tg := target(srv.URL)
	var asked []posture.Target
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	s := New(Options{RootCAs: ca.Pool(), Passive: func(t posture.Target) bool { asked = append(asked, t); return true }, Now: func() time.Time { return at }})
	o := scanOne(t, s, tg)
	if !o.ObservedAt.Equal(at) {
		t.Errorf("observed at %v", o.ObservedAt)
	}
	queries, _ := rc.seen()
	if !slices.Equal(queries, []string{""}) {
		t.Errorf("server saw %d requests with queries %q, want exactly one without a query", len(queries), queries)
	}
	if !slices.Equal(asked, []posture.Target{tg}) {
		t.Errorf("Passive asked about %v", asked)
	}
	if o.Active || o.Present != posture.Unknown || o.Vendor != VendorCloudflare || o.Missing != nil {
		t.Errorf("active %v present %s vendor %q missing %v", o.Active, o.Present, o.Vendor, o.Missing)
	}
	if len(o.Exchanges) != 1 || o.Exchanges[0].URL != srv.URL+"/" || o.Exchanges[0].Evidence != "waf/"+srv.URL+"/passive" {
		t.Errorf("exchanges %+v", o.Exchanges)
	}
	if !slices.Contains(o.Signals, "passive: active probing is off for this target; presence not tested") {
		t.Errorf("signals %q", o.Signals)
	}
}

func TestVendors(t *testing.T) {
	tests := []struct {
		name    string
		headers [][2]string
		vendor  string
		signals int
	}{
		{"none", [][2]string{{"Server", "nginx"}}, "", 0},
		{"Cloudflare by Server", [][2]string{{"Server", "cloudflare"}}, VendorCloudflare, 1},
		{"Cloudflare by cookie", [][2]string{{"Set-Cookie", "__cf_bm=x; Secure"}}, VendorCloudflare, 1},
		{"AWS CloudFront", [][2]string{{"X-Amz-Cf-Id", "Zt6yM6PzZ1a=="}, {"Via", "1.1 abc.cloudfront.net (CloudFront)"}}, VendorAWS, 1},
		{"AWS ELB", [][2]string{{"Server", "awselb/2.0"}, {"Set-Cookie", "AWSALB=abc; Path=/"}, {"Set-Cookie", "AWSALBCORS=abc; Path=/; SameSite=None; Secure"}}, VendorAWS, 2},
		{"Akamai", [][2]string{{"Akamai-GRN", "0.1b2c3d4e.1700000000.5f6a7b8"}, {"X-Akamai-Transformed", "9 - 0 pmb=mRUM,1"}}, VendorAkamai, 2},
		{"Akamai by Server", [][2]string{{"Server", "AkamaiGHost"}}, VendorAkamai, 1},
		{"Imperva", [][2]string{{"X-Iinfo", "10-123-0 0NNN RT(1700000000 0) q(0 0 0 -1) r(0 0) U6"}, {"X-CDN", "Imperva"}, {"Set-Cookie", "incap_ses_1234_5678=abc; path=/; Domain=.acme.example"}, {"Set-Cookie", "visid_incap_5678=xyz; expires=Fri, 22 Nov 2027 10:00:00 GMT; HttpOnly; path=/"}}, VendorImperva, 3},
		{"F5 BIG-IP", [][2]string{{"Set-Cookie", "BIGipServerpool_web=1677787402.20480.0000; path=/; Httponly; Secure"}, {"Set-Cookie", "TS01a2b3c4=01abcdef; Path=/"}}, VendorF5, 2},
		{"Fastly", [][2]string{{"X-Served-By", "cache-ams21080-AMS"}, {"X-Fastly-Request-ID", "0d4f2c1e"}}, VendorFastly, 2},
		{"Fastly needs cache- first", [][2]string{{"X-Served-By", "app-server-3"}}, "", 0},
		{"Sucuri", [][2]string{{"X-Sucuri-ID", "17001"}, {"Server", "Sucuri/Cloudproxy"}}, VendorSucuri, 2},
		{"Azure", [][2]string{{"X-Azure-Ref", "0abcDEF=="}}, VendorAzure, 1},
		{"most signals wins", [][2]string{{"X-Served-By", "cache-ams21080-AMS"}, {"Server", "cloudflare"}, {"CF-RAY", "8a1b-AMS"}}, VendorCloudflare, 3},
		{"a tie goes to the table order", [][2]string{{"X-Served-By", "cache-ams21080-AMS"}, {"X-Azure-Ref", "0abc"}}, VendorAzure, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, h := range tt.headers {
					w.Header().Add(h[0], h[1])
				}
			}))
			o := scanOne(t, New(Options{Passive: func(posture.Target) bool { return true }}), target(srv.URL))
			n := 0
			for _, s := range o.Signals {
				if !strings.HasPrefix(s, "passive:") {
					n++
				}
			}
			if o.Vendor != tt.vendor || n != tt.signals {
				t.Errorf("vendor %q with %d signals %q; want %q with %d", o.Vendor, n, o.Signals, tt.vendor, tt.signals)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	for _, passive := range []bool{false, true} {
		o := scanOne(t, New(Options{Passive: func(posture.Target) bool { return passive }}), target("https://"+refusedAddr(t)))
		if o.Missing == nil || o.Missing.Reason != posture.ReasonRefused || o.Present != posture.Unknown || len(o.Exchanges) != 0 {
			t.Errorf("passive %v: missing %v present %s exchanges %d; want refused unknown 0", passive, o.Missing, o.Present, len(o.Exchanges))
		}
	}
}

// A silent server costs one timeout and gives timeout, Unknown.
func TestSilent(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var b [1024]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				return
			}
		}
	})
	const timeout = 300 * time.Millisecond
	start := time.Now()
	o := scanOne(t, New(Options{Timeout: timeout}), target("http://"+addr))
	if took := time.Since(start); took > 3*timeout {
		t.Errorf("scan took %s", took)
	}
	if o.Missing == nil || o.Missing.Reason != posture.ReasonTimeout || o.Present != posture.Unknown {
		t.Errorf("missing %v present %s", o.Missing, o.Present)
	}
}

// A WAF that swallows attack-shaped requests: each probe times out, and
// the presence is undecided rather than guessed.
func TestProbesUnanswered(t *testing.T) {
	srv := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attackShaped(r) {
			<-r.Context().Done()
			return
		}
	}))
	const timeout = 300 * time.Millisecond
	start := time.Now()
	o := scanOne(t, New(Options{Timeout: timeout}), target(srv.URL))
	if took := time.Since(start); took > 3*timeout+time.Second {
		t.Errorf("scan took %s", took)
	}
	if o.Present != posture.Unknown || o.Missing != nil || len(o.Exchanges) != 1 {
		t.Errorf("present %s missing %v exchanges %d", o.Present, o.Missing, len(o.Exchanges))
	}
	if !slices.Contains(o.Signals, "undecided: probe 3 (traversal) got no response (timeout)") {
		t.Errorf("signals %q", o.Signals)
	}
}

// The context bounds the scan, whatever Options.Timeout says.
func TestContextBoundsScan(t *testing.T) {
	srv := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attackShaped(r) {
			<-r.Context().Done()
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	snap := New(Options{Timeout: time.Minute}).Scan(ctx, target(srv.URL))
	if took := time.Since(start); took > time.Second {
		t.Errorf("scan took %s", took)
	}
	if o := snap.WAF[0]; o.Present != posture.Unknown || !slices.Contains(o.Signals, "undecided: probe 1 (xss) got no response (timeout)") {
		t.Errorf("present %s signals %q", o.Present, o.Signals)
	}
}

// An untrusted certificate is the TLS scanner's finding: the WAF is still
// observed, and a note says the certificate was not verified.
func TestUntrustedCertificate(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	srv := tlsServer(t, ca, blockWith(403))
	o := scanOne(t, New(Options{RootCAs: other.Pool()}), target(srv.URL))
	if o.Present != posture.Yes || len(o.Exchanges) != 2 {
		t.Errorf("present %s exchanges %d", o.Present, len(o.Exchanges))
	}
	var notes string
	for _, e := range o.Evidence {
		if e.ID == "waf/"+srv.URL+"/notes" {
			notes = e.Data
		}
	}
	if strings.Count(notes, "certificate not trusted; headers observed without verification") != 1 {
		t.Errorf("notes %q", notes)
	}
}

func TestDefaults(t *testing.T) {
	s := New(Options{})
	if s.Name() != "waf" || !s.Accepts(posture.TargetWeb) || s.Accepts(posture.TargetMail) {
		t.Errorf("name %q", s.Name())
	}
	if s.timeout != 10*time.Second || s.userAgent != "vouch/dev (+security posture scan)" || s.passive(target("https://a.example")) {
		t.Errorf("defaults: timeout %s user agent %q", s.timeout, s.userAgent)
	}
	o := scanOne(t, s, target("mailto:security@acme.example"))
	if o.Missing == nil || o.Missing.Reason != posture.ReasonError || len(o.Exchanges) != 0 {
		t.Errorf("not a URL: missing %v", o.Missing)
	}
}

// A hostile server costs vouch no more than 64 KiB of body and 64 KiB of
// head per request.
func TestHostileServers(t *testing.T) {
	chunk := make([]byte, 32<<10)
	huge := plainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 1<<15; i++ { // 1 GiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	start := time.Now()
	o := scanOne(t, New(Options{Timeout: 5 * time.Second}), target(huge.URL))
	if took := time.Since(start); took > 2*time.Second || o.Present != posture.No || len(o.Exchanges) != 4 {
		t.Errorf("huge bodies: took %s, present %s, %d exchanges", took, o.Present, len(o.Exchanges))
	}

	headers := rawServer(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		var b [4096]byte
		c.Read(b[:])
		c.Write([]byte("HTTP/1.1 200 OK\r\n"))
		line := []byte("X-Pad: " + strings.Repeat("a", 1000) + "\r\n")
		for i := 0; i < 1<<16; i++ {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
	})
	o = scanOne(t, New(Options{Timeout: 5 * time.Second}), target("http://"+headers))
	if o.Missing == nil || o.Missing.Reason != posture.ReasonTooLarge || o.Present != posture.Unknown {
		t.Errorf("huge head: missing %v present %s", o.Missing, o.Present)
	}
}
