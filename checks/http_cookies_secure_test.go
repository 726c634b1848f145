package checks

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func cookieObs(cs ...posture.Cookie) posture.HTTPObservation {
	o := hstsObs(nil)
	o.Redirects = []posture.HTTPHop{hop301, hop200}
	o.Cookies = cs
	return o
}

func cookie(name string, secure, httpOnly bool, sameSite string, issues ...posture.Code) posture.Cookie {
	return posture.Cookie{URL: "https://app.acme.example/", Raw: name + "=1", Name: name, Secure: secure, HttpOnly: httpOnly, SameSite: sameSite, Issues: issues}
}

func TestCookiesSecure(t *testing.T) {
	good := cookie("__Host-sid", true, true, "Strict")
	sidOnly := map[string]string{"names": " __Host-sid , csrf"}
	tests := []struct {
		name   string
		params map[string]string
		o      posture.HTTPObservation
		want   row
	}{
		{"all good", nil, cookieObs(good, cookie("lang", true, true, "Lax")), row{posture.Verified, ""}},
		{"no cookies", nil, cookieObs(), row{posture.Verified, ""}},
		{"not secure", nil, cookieObs(good, cookie("lang", false, true, "Lax")), row{posture.Contradicted, CodeCookieNotSecure}},
		{"not httponly", nil, cookieObs(cookie("lang", true, false, "Lax")), row{posture.Contradicted, CodeCookieNotHTTPOnly}},
		// The claim is "Secure and HttpOnly": SameSite is judged only when
		// the control asks (RFC 6265bis §4.1.2.7 is a separate promise).
		{"no samesite, not asked", nil, cookieObs(cookie("lang", true, true, "")), row{posture.Verified, ""}},
		{"samesite none, not asked", nil, cookieObs(cookie("lang", true, true, "None")), row{posture.Verified, ""}},
		{"samesite: any", map[string]string{"samesite": "any"}, cookieObs(cookie("lang", true, true, "")), row{posture.Verified, ""}},
		{"samesite: lax, none set", map[string]string{"samesite": "lax"}, cookieObs(cookie("lang", true, true, "")), row{posture.Contradicted, CodeCookieNoSameSite}},
		{"samesite: lax, None", map[string]string{"samesite": "lax"}, cookieObs(cookie("lang", true, true, "None")), row{posture.Contradicted, CodeCookieSameSiteNone}},
		{"samesite: lax, Lax", map[string]string{"samesite": "lax"}, cookieObs(cookie("lang", true, true, "Lax")), row{posture.Verified, ""}},
		{"samesite: lax, Strict", map[string]string{"samesite": "lax"}, cookieObs(cookie("lang", true, true, "Strict")), row{posture.Verified, ""}},
		{"samesite: strict, Lax", map[string]string{"samesite": "Strict"}, cookieObs(cookie("lang", true, true, "Lax")), row{posture.Contradicted, CodeCookieSameSiteLax}},
		{"samesite: strict, Strict", map[string]string{"samesite": "strict"}, cookieObs(cookie("lang", true, true, "Strict")), row{posture.Verified, ""}},
		{"host prefix broken", nil, cookieObs(cookie("__Host-sid", true, true, "Lax", posture.CodeCookieHostPrefix)), row{posture.Contradicted, posture.CodeCookieHostPrefix}},
		{"secure prefix broken", nil, cookieObs(cookie("__Secure-x", true, true, "Lax", posture.CodeCookieSecurePrefix)), row{posture.Contradicted, posture.CodeCookieSecurePrefix}},
		{"other scanner facts are not this check's", nil, cookieObs(cookie("lang", true, true, "Lax", "http.cookie.domain_broad")), row{posture.Verified, ""}},
		{"names: others are not judged", map[string]string{"names": "__Host-sid"}, cookieObs(good, cookie("track", false, false, "")), row{posture.Verified, ""}},
		{"names: a named cookie is bad", sidOnly, cookieObs(good, cookie("csrf", true, false, "Strict")), row{posture.Contradicted, CodeCookieNotHTTPOnly}},
		{"names: a named cookie not seen", sidOnly, cookieObs(good), row{posture.Inconclusive, ""}},
		{"set over plain HTTP: its hop is the evidence", nil, func() posture.HTTPObservation {
			c := cookie("track", false, false, "")
			c.URL = "http://app.acme.example/"
			o := cookieObs(c)
			return o
		}(), row{posture.Contradicted, CodeCookieNotSecure}},
		{"a page's cookie without flags: its response is the evidence", nil, func() posture.HTTPObservation {
			c := cookie("sid", false, false, "")
			c.URL = "https://app.acme.example/login"
			o := cookieObs(c)
			o.Pages = []posture.HTTPPage{{URL: c.URL, Responses: []posture.HTTPHop{{URL: c.URL, Status: 200, Evidence: "page-1"}}}}
			return o
		}(), row{posture.Contradicted, CodeCookieNotSecure}},
		{"a page not fetched: inconclusive", nil, func() posture.HTTPObservation {
			o := cookieObs(good)
			o.Pages = []posture.HTTPPage{{URL: "https://app.acme.example/login", Missing: miss(posture.ReasonTimeout)}}
			return o
		}(), row{posture.Inconclusive, ""}},
		{"a page not fetched, a gap elsewhere", nil, func() posture.HTTPObservation {
			o := cookieObs(cookie("lang", true, false, "Lax"))
			o.Pages = []posture.HTTPPage{{URL: "https://app.acme.example/login", Missing: miss(posture.ReasonTimeout)}}
			return o
		}(), row{posture.Contradicted, CodeCookieNotHTTPOnly}},
		{"pages fetched, sound", nil, func() posture.HTTPObservation {
			c := good
			c.URL = "https://app.acme.example/login"
			o := cookieObs(c)
			o.Pages = []posture.HTTPPage{{URL: c.URL, Responses: []posture.HTTPHop{{URL: c.URL, Status: 200, Evidence: "page-1"}}}}
			return o
		}(), row{posture.Verified, ""}},
		{"https not reachable", nil, func() posture.HTTPObservation {
			o := cookieObs(cookie("lang", false, false, ""))
			o.HTTPS, o.HTTPSMissing = nil, miss(posture.ReasonRefused)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"unreachable", nil, func() posture.HTTPObservation {
			o := cookieObs()
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := expectOne(t, runKind(t, "http.cookies_secure", tt.params, &posture.Snapshot{HTTP: []posture.HTTPObservation{tt.o}}), tt.want)
			want := "https-1"
			if len(tt.o.Cookies) == 1 && tt.o.Cookies[0].URL == "http://app.acme.example/" {
				want = "hop-1"
			}
			if len(tt.o.Cookies) == 1 && tt.o.Cookies[0].URL == "https://app.acme.example/login" {
				want = "page-1"
			}
			if f.Verdict == posture.Contradicted && f.Evidence[0] != want {
				t.Errorf("checks: evidence %v, want the response that set the cookie", f.Evidence)
			}
		})
	}
}
