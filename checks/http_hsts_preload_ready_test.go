package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// preloadable is a header the preload list accepts.
func preloadable() *posture.HSTS {
	return &posture.HSTS{Raw: "max-age=63072000; includeSubDomains; preload", Valid: true, MaxAge: 63072000, IncludeSubDomains: true, Preload: true}
}

// preloadObs is a target whose HTTPS response sends h and whose chain is
// hops (the https:// hops carry hopHSTS).
func preloadObs(h *posture.HSTS, hopHSTS *posture.HSTS, same posture.Tri, hops ...posture.HTTPHop) posture.HTTPObservation {
	o := hstsObs(h)
	o.SameHostFirst = same
	for i := range hops {
		if strings.HasPrefix(hops[i].URL, "https:") {
			hops[i].HSTS = hopHSTS
		}
	}
	o.Redirects = hops
	return o
}

func hop(url string, status int, loc, ev string) posture.HTTPHop {
	return posture.HTTPHop{URL: url, Status: status, Location: loc, Evidence: ev}
}

func TestHSTSPreloadReady(t *testing.T) {
	const (
		plainRoot = "http://app.acme.example/"
		tlsRoot   = "https://app.acme.example/"
	)
	up := hop(plainRoot, 301, tlsRoot, "hop-1")
	final := hop(tlsRoot, 200, "", "hop-2")
	short := &posture.HSTS{Raw: "max-age=86400", Valid: true, MaxAge: 86400}
	tests := []struct {
		name string
		o    posture.HTTPObservation
		want row
	}{
		{"ready", preloadObs(preloadable(), preloadable(), posture.Yes, up, final), row{posture.Verified, ""}},
		{"nothing listens on plain HTTP", func() posture.HTTPObservation {
			o := preloadObs(preloadable(), nil, posture.Unknown)
			o.RedirectMissing = miss(posture.ReasonRefused)
			return o
		}(), row{posture.Verified, ""}},
		{"no header", preloadObs(nil, nil, posture.Yes, up, final), row{posture.Contradicted, CodeHSTSMissing}},
		{"malformed header: the parse issue", preloadObs(&posture.HSTS{Raw: "max-age=forever", Issues: []posture.Code{"http.hsts.max_age_invalid"}}, nil, posture.Yes, up, final),
			row{posture.Contradicted, "http.hsts.max_age_invalid"}},
		{"max-age below a year", preloadObs(&posture.HSTS{Raw: "max-age=31535999; includeSubDomains; preload", Valid: true, MaxAge: 31535999, IncludeSubDomains: true, Preload: true}, preloadable(), posture.Yes, up, final),
			row{posture.Contradicted, CodeHSTSMaxAgeShort}},
		{"exactly a year", preloadObs(&posture.HSTS{Raw: "max-age=31536000; includeSubDomains; preload", Valid: true, MaxAge: 31536000, IncludeSubDomains: true, Preload: true}, preloadable(), posture.Yes, up, final),
			row{posture.Verified, ""}},
		{"no includeSubDomains", preloadObs(hsts(63072000, false, true), preloadable(), posture.Yes, up, final), row{posture.Contradicted, CodeHSTSNoIncludeSubdomains}},
		{"no preload", preloadObs(hsts(63072000, true, false), preloadable(), posture.Yes, up, final), row{posture.Contradicted, CodeHSTSNoPreload}},
		{"two headers", preloadObs(func() *posture.HSTS {
			h := preloadable()
			h.Issues = []posture.Code{posture.CodeHSTSMultipleHeaders}
			return h
		}(), preloadable(), posture.Yes, up, final),
			row{posture.Contradicted, posture.CodeHSTSMultipleHeaders}},
		{"plain HTTP served", preloadObs(preloadable(), nil, posture.No, hop(plainRoot, 200, "", "hop-1")), row{posture.Contradicted, CodeHSTSHTTPNotRedirected}},
		{"redirect without Location", preloadObs(preloadable(), nil, posture.No, hop(plainRoot, 301, "", "hop-1")), row{posture.Contradicted, CodeHSTSHTTPNotRedirected}},
		{"www first", preloadObs(preloadable(), preloadable(), posture.No,
			hop(plainRoot, 301, "https://www.app.acme.example/", "hop-1")), row{posture.Contradicted, CodeHSTSRedirectNotSameHostFirst}},
		{"plain-HTTP hop first", preloadObs(preloadable(), preloadable(), posture.No,
			hop(plainRoot, 301, "/en/", "hop-1"), hop(plainRoot+"en/", 301, tlsRoot, "hop-2"), final), row{posture.Contradicted, CodeHSTSRedirectNotSameHostFirst}},
		{"first HTTPS redirect without HSTS", preloadObs(preloadable(), nil, posture.Yes, up, hop(tlsRoot, 302, "/home", "hop-2"), hop(tlsRoot+"home", 200, "", "hop-3")),
			row{posture.Contradicted, CodeHSTSRedirectNoHSTS}},
		{"first HTTPS redirect with a short max-age", preloadObs(preloadable(), short, posture.Yes, up, final), row{posture.Contradicted, CodeHSTSRedirectNoHSTS}},
		{"a bad main header masks the redirect's", preloadObs(short, nil, posture.Yes, up, final), row{posture.Contradicted, CodeHSTSMaxAgeShort}},
		{"back to plain HTTP", preloadObs(preloadable(), preloadable(), posture.Yes, up, hop(tlsRoot, 302, "http://app.acme.example/landing", "hop-2"), hop(plainRoot+"landing", 200, "", "hop-3")),
			row{posture.Contradicted, CodeHSTSRedirectInsecure}},
		{"back to plain HTTP on another host (not followed)", preloadObs(preloadable(), preloadable(), posture.Yes, up, hop(tlsRoot, 302, "http://other.example/", "hop-2")),
			row{posture.Contradicted, CodeHSTSRedirectInsecure}},
		{"relative redirect over https stays secure", preloadObs(preloadable(), preloadable(), posture.Yes, up, hop(tlsRoot, 302, "//other.example/", "hop-2")),
			row{posture.Verified, ""}},
		{"four redirects", preloadObs(preloadable(), preloadable(), posture.Yes, up,
			hop(tlsRoot, 302, "/a", "hop-2"), hop(tlsRoot+"a", 302, "/b", "hop-3"), hop(tlsRoot+"b", 302, "/c", "hop-4"), hop(tlsRoot+"c", 200, "", "hop-5")),
			row{posture.Contradicted, CodeHSTSTooManyRedirects}},
		{"three redirects", preloadObs(preloadable(), preloadable(), posture.Yes, up,
			hop(tlsRoot, 302, "/a", "hop-2"), hop(tlsRoot+"a", 302, "/b", "hop-3"), hop(tlsRoot+"b", 200, "", "hop-4")),
			row{posture.Verified, ""}},
		{"loop", func() posture.HTTPObservation {
			o := preloadObs(preloadable(), preloadable(), posture.Yes, up, hop(tlsRoot, 302, "/a", "hop-2"), hop(tlsRoot+"a", 302, "/", "hop-3"))
			o.RedirectLoop, o.RedirectMissing = true, miss(posture.ReasonProtocolError)
			return o
		}(), row{posture.Contradicted, CodeHSTSRedirectLoop}},
		{"first HTTPS redirect not observed", func() posture.HTTPObservation {
			o := preloadObs(preloadable(), nil, posture.Yes, up)
			o.RedirectMissing = miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"later hop not observed", func() posture.HTTPObservation {
			o := preloadObs(preloadable(), preloadable(), posture.Yes, up, hop(tlsRoot, 302, "/a", "hop-2"))
			o.RedirectMissing = miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"a gap wins over what was not observed", func() posture.HTTPObservation {
			o := preloadObs(hsts(63072000, true, false), nil, posture.Yes, up)
			o.RedirectMissing = miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Contradicted, CodeHSTSNoPreload}},
		{"plain HTTP times out", func() posture.HTTPObservation {
			o := preloadObs(preloadable(), nil, posture.Unknown)
			o.RedirectMissing = miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"chain not scanned", preloadObs(preloadable(), nil, posture.Unknown), row{posture.Inconclusive, ""}},
		{"https not reachable", func() posture.HTTPObservation {
			o := preloadObs(nil, nil, posture.Yes, up, final)
			o.HTTPS, o.HTTPSMissing = nil, miss(posture.ReasonHandshakeFailed)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"unreachable", func() posture.HTTPObservation {
			o := preloadObs(nil, nil, posture.Yes)
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "http.hsts_preload_ready", nil, &posture.Snapshot{HTTP: []posture.HTTPObservation{tt.o}}), tt.want)
			if tt.o.Missing == nil && tt.o.HTTPS != nil && f.Evidence[0] != "https-1" {
				t.Errorf("checks: evidence %v, want the HTTPS response first", f.Evidence)
			}
		})
	}
}

func TestPreloadDomainNote(t *testing.T) {
	for host, want := range map[string]string{
		"acme.example":          "",
		"acme.co.uk":            "",
		"app.acme.co.uk":        "the preload list takes acme.co.uk",
		"127.0.0.1":             "IP address",
		"::1":                   "IP address",
		"www.acme.example.":     "the preload list takes acme.example",
		"WWW.ACME.EXAMPLE":      "the preload list takes acme.example",
		"localhost":             "",
		"":                      "",
		"app.acme.example.test": "the preload list takes example.test",
	} {
		got := domainNote(host)
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checks: domainNote(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestResolveScheme(t *testing.T) {
	for _, c := range [][3]string{
		{"https://a/", "http://b/", "http://b/"},
		{"https://a/", "HTTP://b/", "HTTP://b/"},
		{"https://a/", "//b/", "https://b/"},
		{"http://a/", "/x", "http:/x"},
		{"https://a/", "x:y", "x:y"},
		{"https://a/", "1x:y", "https:1x:y"},
		{"https://a/", "a/b:c", "https:a/b:c"},
	} {
		if got := resolveScheme(c[0], c[1]); got != c[2] {
			t.Errorf("checks: resolveScheme(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}
