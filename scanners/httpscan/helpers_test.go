package httpscan

import (
	"context"
	"testing"

	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("httpscan test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// The loopback servers are shared with the other scanner tests.
var (
	tlsServer   = nettest.TLSServer
	plainServer = nettest.PlainServer
	refusedAddr = nettest.RefusedAddr
	rawServer   = nettest.RawServer
)

// target is the web target of an https:// URL.
func target(u string) posture.Target {
	return posture.Target{Kind: posture.TargetWeb, Address: u}
}

// plainAt makes a PlainHTTP option that starts every chain at u.
func plainAt(u string) func(posture.Target) string {
	return func(posture.Target) string { return u }
}

// scanOne scans one target and returns its only HTTP observation.
func scanOne(t *testing.T, s *Scanner, tg posture.Target) posture.HTTPObservation {
	t.Helper()
	return scanCtx(t, context.Background(), s, tg)
}

func scanCtx(t *testing.T, ctx context.Context, s *Scanner, tg posture.Target) posture.HTTPObservation {
	t.Helper()
	snap := s.Scan(ctx, tg)
	if len(snap.HTTP) != 1 || len(snap.TLS)+len(snap.DNS)+len(snap.WAF) != 0 {
		t.Fatalf("want exactly one HTTP observation, got %+v", snap)
	}
	o := snap.HTTP[0]
	if o.Scanner != "http" || o.Target != tg {
		t.Fatalf("observation header %+v", o.Observation)
	}
	ids := map[string]bool{}
	for _, e := range o.Evidence {
		if ids[e.ID] {
			t.Errorf("evidence ID %q twice", e.ID)
		}
		ids[e.ID] = true
	}
	hops := append([]posture.HTTPHop{}, o.Redirects...)
	if o.HTTPS != nil {
		hops = append(hops, *o.HTTPS)
	}
	for _, h := range hops {
		if !ids[h.Evidence] {
			t.Errorf("hop %s: evidence %q not in the observation", h.URL, h.Evidence)
		}
	}
	return o
}

// hopSummary is what a test compares of a hop.
type hopSummary struct {
	URL      string
	Status   int
	Location string
}

func summarize(hops []posture.HTTPHop) []hopSummary {
	var out []hopSummary
	for _, h := range hops {
		out = append(out, hopSummary{h.URL, h.Status, h.Location})
	}
	return out
}

func reasonOf(m *posture.Missing) posture.Reason {
	if m == nil {
		return ""
	}
	return m.Reason
}

func evidenceByID(o posture.HTTPObservation, id string) (posture.Evidence, bool) {
	for _, e := range o.Evidence {
		if e.ID == id {
			return e, true
		}
	}
	return posture.Evidence{}, false
}
