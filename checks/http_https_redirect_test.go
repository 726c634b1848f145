package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func redirectObs(up posture.Tri, hops ...posture.HTTPHop) posture.HTTPObservation {
	return posture.HTTPObservation{
		Observation:     obs(web("https://app.acme.example"), "http", "192.0.2.10:80", "http-1"),
		StartURL:        "http://app.acme.example/",
		Redirects:       hops,
		UpgradesToHTTPS: up,
	}
}

var (
	hop301 = posture.HTTPHop{URL: "http://app.acme.example/", Status: 301, Location: "https://app.acme.example/", Evidence: "hop-1"}
	hop200 = posture.HTTPHop{URL: "https://app.acme.example/", Status: 200, Evidence: "hop-2"}
	plain  = posture.HTTPHop{URL: "http://app.acme.example/", Status: 200, Evidence: "hop-1"}
)

func TestHTTPSRedirect(t *testing.T) {
	tests := []struct {
		name string
		o    posture.HTTPObservation
		want row
	}{
		{"redirects", redirectObs(posture.Yes, hop301, hop200), row{posture.Verified, ""}},
		{"serves plain HTTP", redirectObs(posture.No, plain), row{posture.Contradicted, CodeRedirectNoHTTPS}},
		{"unknown", redirectObs(posture.Unknown, hop301), row{posture.Inconclusive, ""}},
		{"unset", redirectObs("", hop301), row{posture.Inconclusive, ""}},
		{"nothing on port 80", func() posture.HTTPObservation {
			o := redirectObs(posture.Unknown)
			o.RedirectMissing = miss(posture.ReasonRefused)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"redirect missing wins over a stray No", func() posture.HTTPObservation {
			o := redirectObs(posture.No)
			o.RedirectMissing = miss(posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"loop between http and https", func() posture.HTTPObservation {
			o := redirectObs(posture.No, hop301, posture.HTTPHop{URL: "https://app.acme.example/", Status: 301, Location: "http://app.acme.example/", Evidence: "hop-2"})
			o.RedirectLoop, o.RedirectMissing = true, miss(posture.ReasonProtocolError)
			return o
		}(), row{posture.Contradicted, CodeRedirectLoop}},
		{"too many redirects: not followed to the end", func() posture.HTTPObservation {
			o := redirectObs(posture.Yes, hop301)
			o.RedirectMissing = miss(posture.ReasonProtocolError)
			return o
		}(), row{posture.Inconclusive, ""}},
		{"unreachable", func() posture.HTTPObservation {
			o := redirectObs(posture.Unknown)
			o.Observation = failed(o.Observation, posture.ReasonUnreachable)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectOne(t, runKind(t, "http.https_redirect", nil, &posture.Snapshot{HTTP: []posture.HTTPObservation{tt.o}}), tt.want)
		})
	}
}

func TestHTTPSRedirectDetails(t *testing.T) {
	f := expectOne(t, runKind(t, "http.https_redirect", nil, &posture.Snapshot{HTTP: []posture.HTTPObservation{redirectObs(posture.Yes, hop301, hop200)}}), row{posture.Verified, ""})
	if strings.Join(f.Evidence, ",") != "hop-1,hop-2" {
		t.Errorf("checks: evidence %v, want the hops", f.Evidence)
	}
	if f.Observed != "http://app.acme.example/ 301 → https://app.acme.example/ 200" {
		t.Errorf("checks: observed %q", f.Observed)
	}

	o := redirectObs(posture.Unknown)
	o.RedirectMissing = miss(posture.ReasonRefused)
	f = expectOne(t, runKind(t, "http.https_redirect", nil, &posture.Snapshot{HTTP: []posture.HTTPObservation{o}}), row{posture.Inconclusive, ""})
	if f.Reason.Reason != posture.ReasonRefused || !strings.Contains(f.Message, "plain HTTP at http://app.acme.example/ was not reachable") {
		t.Errorf("checks: reason %v message %q", f.Reason, f.Message)
	}
}
