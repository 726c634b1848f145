package dnsscan

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

func TestParseMTASTSPolicy(t *testing.T) {
	tests := []struct {
		name, text string
		mode       string
		maxAge     int
		mx         []string
		issues     []posture.Code
	}{
		{"rfc example", "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
			"enforce", 604800, []string{"mail.example.com", "*.example.net", "backupmx.example.com"}, nil},
		{"lf and no final newline", "version: STSv1\nmode: testing\nmx: MX.Example.COM.\nmax_age: 86400", "testing", 86400, []string{"mx.example.com"}, nil},
		{"mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 86400\n", "none", 86400, nil, nil},
		{"extension ignored", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nfoo_bar: x y z\n", "enforce", 1, []string{"a.example"}, nil},
		{"no version", "mode: enforce\nmx: a.example\nmax_age: 1\n", "enforce", 1, []string{"a.example"}, []posture.Code{posture.CodeMTASTSPolicyVersion}},
		{"wrong version case", "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", "enforce", 1, []string{"a.example"}, []posture.Code{posture.CodeMTASTSPolicyVersion}},
		{"bad mode", "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", "", 1, []string{"a.example"}, []posture.Code{posture.CodeMTASTSPolicyMode}},
		{"max_age too big", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "enforce", 0, []string{"a.example"}, []posture.Code{posture.CodeMTASTSPolicyMaxAge}},
		{"max_age signed", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "enforce", 0, []string{"a.example"}, []posture.Code{posture.CodeMTASTSPolicyMaxAge}},
		{"no mx", "version: STSv1\nmode: enforce\nmax_age: 1\n", "enforce", 1, nil, []posture.Code{posture.CodeMTASTSPolicyNoMX}},
		{"bad mx and junk line", "version: STSv1\nmode: enforce\nmx: *.*.example\nnot a field\nmx: ok.example\nmax_age: 1\n", "enforce", 1, []string{"ok.example"}, []posture.Code{posture.CodeMTASTSPolicySyntax}},
		{"duplicate mode keeps the first", "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmax_age: 1\n", "testing", 1, []string{"a.example"}, []posture.Code{posture.CodeMTASTSPolicyDuplicate}},
		{"html error page", "<html><body>Not here</body></html>\n", "", 0, nil,
			[]posture.Code{posture.CodeMTASTSPolicySyntax, posture.CodeMTASTSPolicyVersion, posture.CodeMTASTSPolicyMode, posture.CodeMTASTSPolicyMaxAge, posture.CodeMTASTSPolicyNoMX}},
		{"empty", "", "", 0, nil, []posture.Code{posture.CodeMTASTSPolicyVersion, posture.CodeMTASTSPolicyMode, posture.CodeMTASTSPolicyMaxAge, posture.CodeMTASTSPolicyNoMX}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ParseMTASTSPolicy(tt.text)
			if p.Mode != tt.mode || p.MaxAge != tt.maxAge || !slices.Equal(p.MX, tt.mx) || !slices.Equal(p.Issues, tt.issues) {
				t.Errorf("dnsscan: ParseMTASTSPolicy = mode %q max_age %d mx %v issues %v; want %q %d %v %v", p.Mode, p.MaxAge, p.MX, p.Issues, tt.mode, tt.maxAge, tt.mx, tt.issues)
			}
			wantValid := len(tt.issues) == 0 || slices.Equal(tt.issues, []posture.Code{posture.CodeMTASTSPolicyDuplicate})
			if p.Valid() != wantValid {
				t.Errorf("dnsscan: Valid() = %v, want %v", p.Valid(), wantValid)
			}
		})
	}
}

func TestMatchMXPattern(t *testing.T) {
	for _, tt := range []struct {
		pattern, host string
		want          bool
	}{
		{"mail.example.com", "mail.example.com", true},
		{"mail.example.com", "MAIL.example.com.", true},
		{"*.example.com", "mx1.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "mx1.example.org", false},
		{"mail.example.com", "mx.example.com", false},
	} {
		if got := MatchMXPattern(tt.pattern, tt.host); got != tt.want {
			t.Errorf("dnsscan: MatchMXPattern(%q, %q) = %v", tt.pattern, tt.host, got)
		}
	}
}

// policyServer serves MTA-STS policies over TLS on 127.0.0.1 with a
// certificate for the mta-sts hosts of the given domains, issued by a
// fresh CA. Requests are answered by handler.
func policyServer(t *testing.T, handler http.HandlerFunc, domains ...string) (*httptest.Server, *pki.CA) {
	t.Helper()
	ca, err := pki.NewCA("vouch test CA")
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, d := range domains {
		hosts = append(hosts, "mta-sts."+d)
	}
	leaf, err := ca.Issue(pki.LeafOptions{Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted case makes the client hang up
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, ca
}

// toServer dials srv whatever address is asked, and counts the dials.
func toServer(srv *httptest.Server, dials *[]string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		*dials = append(*dials, addr)
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
}

func TestScanMTASTSPolicy(t *testing.T) {
	policies := map[string]string{
		"enforce.test": "version: STSv1\r\nmode: enforce\r\nmx: mx1.enforce.test\r\nmx: *.mx.enforce.test\r\nmax_age: 604800\r\n",
		"testing.test": "version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 86400\n",
		"badtype.test": "version: STSv1\nmode: enforce\nmx: mx.badtype.test\nmax_age: 86400\n",
		"garbage.test": "<html>hello</html>",
		"big.test":     strings.Repeat("x", maxPolicyBytes+10),
	}
	srv, ca := policyServer(t, func(w http.ResponseWriter, r *http.Request) {
		d := strings.TrimPrefix(r.Host, "mta-sts.")
		if ua := r.Header.Get("User-Agent"); ua != "vouch/test" || r.URL.Path != "/.well-known/mta-sts.txt" {
			http.Error(w, "bad request "+ua+" "+r.URL.Path, http.StatusBadRequest)
			return
		}
		switch d {
		case "redirect.test":
			http.Redirect(w, r, "https://elsewhere.test/policy.txt", http.StatusFound)
			return
		case "gone.test":
			http.NotFound(w, r)
			return
		case "unavailable.test":
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		case "ratelimited.test":
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		case "slowpolicy.test":
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
			return
		case "badtype.test":
			w.Header().Set("Content-Type", "text/html")
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
		w.Write([]byte(policies[d]))
	}, "enforce.test", "testing.test", "badtype.test", "garbage.test", "big.test", "redirect.test", "gone.test", "slowpolicy.test", "unavailable.test", "ratelimited.test")

	zone := `
nohost.test.                  TXT "v=STSv1; id=1"
_mta-sts.nohost.test.         TXT "v=STSv1; id=1"
_mta-sts.nourl.test.          TXT "v=spf1 -all"
mta-sts.nourl.test.           A   127.0.0.1
`
	for _, d := range []string{"enforce.test", "testing.test", "badtype.test", "garbage.test", "big.test", "redirect.test", "gone.test", "slowpolicy.test", "untrusted.test", "unavailable.test", "ratelimited.test"} {
		zone += "_mta-sts." + d + ". TXT \"v=STSv1; id=20261123\"\nmta-sts." + d + ". A 127.0.0.1\nmta-sts." + d + ". AAAA ::1\n"
	}
	zone += `
enforce.test.   MX 10 mx1.enforce.test.
enforce.test.   MX 20 b.mx.enforce.test.
testing.test.   MX 10 mx.testing.test.
`
	dns, err := dnstest.Start("test", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	res := NewResolver(dns.Addr, time.Second)

	var dials []string
	scanWith := func(domain string, roots bool) posture.DNSObservation {
		t.Helper()
		o := Options{Resolver: res, Now: func() time.Time { return fixedNow }, DialContext: toServer(srv, &dials),
			PolicyTimeout: 500 * time.Millisecond, UserAgent: "vouch/test"}
		if roots {
			o.RootCAs = ca.Pool()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		snap := New(o).Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: domain})
		checkEvidence(t, snap.DNS[0])
		return snap.DNS[0]
	}

	type want struct {
		found      posture.Tri
		status     int
		mode       string
		valid      bool
		issues     []posture.Code
		missing    posture.Reason
		unmatched  []string
		maxAge     int
		mx         []string
		untrusted  bool
		addresses  int
		nilPolicy  bool
		bodyPrefix string
	}
	for _, tc := range []struct {
		domain string
		roots  bool
		want   want
	}{
		{"enforce.test", true, want{found: posture.Yes, status: 200, mode: "enforce", valid: true, maxAge: 604800,
			mx: []string{"mx1.enforce.test", "*.mx.enforce.test"}, addresses: 2, bodyPrefix: "version: STSv1"}},
		{"testing.test", true, want{found: posture.Yes, status: 200, mode: "testing", valid: true, maxAge: 86400, mx: []string{"mx.elsewhere.test"},
			unmatched: []string{"mx.testing.test"}, issues: []posture.Code{posture.CodeMTASTSPolicyMXUnmatched}, addresses: 2}},
		{"badtype.test", true, want{found: posture.Yes, status: 200, mode: "enforce", valid: true, maxAge: 86400, mx: []string{"mx.badtype.test"},
			issues: []posture.Code{posture.CodeMTASTSPolicyContentType}, addresses: 2}},
		{"garbage.test", true, want{found: posture.Yes, status: 200, issues: []posture.Code{posture.CodeMTASTSPolicySyntax, posture.CodeMTASTSPolicyVersion, posture.CodeMTASTSPolicyMode, posture.CodeMTASTSPolicyMaxAge, posture.CodeMTASTSPolicyNoMX}, addresses: 2}},
		{"big.test", true, want{found: posture.Unknown, status: 200, missing: posture.ReasonTooLarge, addresses: 2}},
		{"redirect.test", true, want{found: posture.No, status: 302, issues: []posture.Code{posture.CodeMTASTSPolicyHTTPStatus}, addresses: 2}},
		{"gone.test", true, want{found: posture.No, status: 404, issues: []posture.Code{posture.CodeMTASTSPolicyHTTPStatus}, addresses: 2}},
		// A server error or a rate limit says nothing of whether the
		// policy is published: not observed, not absent.
		{"unavailable.test", true, want{found: posture.Unknown, status: 503, missing: posture.ReasonError, addresses: 2}},
		{"ratelimited.test", true, want{found: posture.Unknown, status: 429, missing: posture.ReasonError, addresses: 2}},
		{"slowpolicy.test", true, want{found: posture.Unknown, missing: posture.ReasonTimeout, addresses: 2}},
		{"untrusted.test", false, want{found: posture.No, issues: []posture.Code{posture.CodeMTASTSPolicyTLS}, untrusted: true, addresses: 2}},
		{"nohost.test", true, want{found: posture.No, issues: []posture.Code{posture.CodeMTASTSPolicyHostMissing}}},
		{"nourl.test", true, want{nilPolicy: true}},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			start := time.Now()
			o := scanWith(tc.domain, tc.roots)
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("dnsscan: scan took %s", el)
			}
			p := o.MTASTS.Policy
			if tc.want.nilPolicy {
				if p != nil {
					t.Errorf("dnsscan: policy fetched with no v=STSv1 record: %+v", p)
				}
				return
			}
			if p == nil {
				t.Fatal("dnsscan: no policy")
			}
			var reason posture.Reason
			if p.Missing != nil {
				reason = p.Missing.Reason
			}
			w := tc.want
			if p.Found != w.found || p.Status != w.status || p.Mode != w.mode || p.Valid != w.valid || !slices.Equal(p.Issues, w.issues) ||
				reason != w.missing || !slices.Equal(p.UnmatchedMX, w.unmatched) || p.MaxAge != w.maxAge || !slices.Equal(p.MX, w.mx) ||
				(p.TLSError != "") != w.untrusted || len(p.Addresses) != w.addresses {
				t.Errorf("dnsscan: policy %+v\nwant %+v", p, w)
			}
			if p.URL != "https://mta-sts."+tc.domain+"/.well-known/mta-sts.txt" || !strings.HasPrefix(p.Body, w.bodyPrefix) {
				t.Errorf("dnsscan: policy URL %q body %q", p.URL, p.Body)
			}
			if w.addresses > 0 && p.Address != "127.0.0.1" {
				t.Errorf("dnsscan: fetched from %q, want the first address", p.Address)
			}
			var ev *posture.Evidence
			for i := range o.Evidence {
				if o.Evidence[i].ID == p.Evidence {
					ev = &o.Evidence[i]
				}
			}
			if ev == nil || ev.Kind != posture.EvidenceHTTP || !strings.HasPrefix(ev.Data, "GET "+p.URL+"\n") {
				t.Fatalf("dnsscan: policy evidence %+v", ev)
			}
			if w.found == posture.Yes && !strings.Contains(ev.Data, "\n"+p.Body) {
				t.Errorf("dnsscan: evidence lacks the body: %q", ev.Data)
			}
		})
	}
	for _, d := range dials {
		if d != "127.0.0.1:443" {
			t.Errorf("dnsscan: dialled %s; want the resolved address, port 443", d)
		}
	}
}
