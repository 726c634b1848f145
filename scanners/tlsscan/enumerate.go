package tlsscan

import (
	"context"
	"sync/atomic"

	"github.com/vouchdev/vouch/posture"
)

// Cipher suite enumeration.
//
// A server picks one suite from those a ClientHello offers (RFC 5246
// §7.4.1.3, RFC 8446 §4.1.3). So the version probe for V, which offers
// every suite defined for V, already names one accepted suite. The same
// hello is sent again with that suite taken out, and again, until the
// server refuses: n accepted suites cost n+1 hellos in all, counting the
// version probe, instead of one hello per known suite.
//
// The server picks either by its own preference or by the client's order.
// To tell which, the accepted suites are offered once more in reverse
// order: a server that still picks the first suite it picked before
// enforces its own order, which is then the order of the enumeration; one
// that picks the other end follows the client.

// suiteStep is one hello of an enumeration, for the evidence.
type suiteStep struct {
	Offered int    `json:"offered"`
	Chosen  string `json:"chosen,omitempty"`
	// Group and DHBits come from the ServerKeyExchange of an (EC)DHE
	// suite: the curve the server picked, or its DH prime size.
	Group   string `json:"group,omitempty"`
	DHBits  int    `json:"dh_bits,omitempty"`
	Refused string `json:"refused,omitempty"`
	Missing string `json:"missing,omitempty"`
}

// suiteEnumeration is what enumerating one protocol version found.
type suiteEnumeration struct {
	version  uint16
	accepted []uint16
	order    posture.Tri
	probes   int // connections opened, the version probe included
	// dhBits is the smallest DH prime seen with an accepted DHE suite.
	dhBits  int
	steps   []suiteStep
	missing *posture.Missing
}

// suiteChunks is how many chunks enumerate the suites of version v at
// once (removal.go) when perHost connections may be open to the host.
// Servers accept up to about thirty TLS 1.2 suites, and few of the older
// versions' or TLS 1.3's: more chunks than that would cost a refused
// hello each and save no round trip. TLS 1.2 gets half the budget (4 of
// the default 8, at most 8): the other enumerations run beside it; the
// older versions get two chunks from a budget of 16.
func suiteChunks(v uint16, perHost int) int {
	switch {
	case v == versionTLS12:
		return min(max(perHost/2, 1), 8)
	case v < versionTLS12 && perHost >= 16:
		return 2
	}
	return 1
}

// chosenSuite names the suite of an accepted hello.
func chosenSuite(r probeResult) (uint16, bool) { return r.hello.suite, true }

// enumerateSuites continues from first, the accepted version probe for v,
// until the server refuses, then tests the order. Every step is a
// connection of its own, bounded as every probe is; each chain runs at
// most once per suite it offers. hint, when not nil, is the answer to the
// version probe's hello with its suites reversed, sent already beside it
// (removal.go); it is used when the version is enumerated in chunks.
func (s *Scanner) enumerateSuites(ctx context.Context, addr, serverName string, first probeResult, hint *pick) suiteEnumeration {
	spec := specFor(first.version, serverName)
	if first.version >= versionTLS13 {
		// No key share after the version probe: the server answers with
		// a HelloRetryRequest, which names the suite as a ServerHello
		// would, without the key exchange and signature of a full first
		// flight (on loopback, 0.15 ms against 0.8 ms for OpenSSL).
		spec.keyShares = []uint16{}
	}
	// withKeys: a hello without a key share was refused, so every later
	// one sends one.
	var withKeys atomic.Bool
	chosen := chosenSuite
	send := func(ctx context.Context, offer []uint16) pick {
		next := spec
		next.suites = offer
		if withKeys.Load() {
			next.keyShares = nil
		}
		r := s.probe(ctx, addr, next)
		p := pickOf(r, chosen)
		if keyless(next) && r.outcome == rejected && (r.alert == nil || r.alert.description != alertHandshakeFailure) {
			// Not the refusal of a server out of suites (that is
			// handshake_failure) but maybe of a hello without a key
			// share: ask once more with one, and keep sending one.
			withKeys.Store(true)
			next.keyShares = nil
			n := p.probes
			p = pickOf(s.probe(ctx, addr, next), chosen)
			p.probes += n
		}
		return p
	}
	fp := pickOf(first, chosen)
	fp.probes = 1
	en := enumerator{addr: addr, candidates: spec.suites, chunks: suiteChunks(first.version, s.perHost), name: suiteName, send: send, first: &fp, hint: hint}
	res := en.enumerate(ctx)
	e := suiteEnumeration{version: first.version, accepted: res.accepted, order: res.order, probes: res.probes, missing: res.missing}
	for _, st := range res.steps {
		step := suiteStep{Offered: st.offered}
		switch {
		case st.p.outcome == failed:
			step.Missing = st.p.missing.Error()
		case st.p.outcome == rejected:
			step.Refused = st.p.note
		case st.p.named:
			step.Chosen = suiteName(st.p.id)
		}
		if kx := st.p.r.kx; kx != nil && !st.check && st.p.outcome == accepted {
			if kx.group != 0 {
				step.Group = groupName(kx.group)
			}
			if step.DHBits = kx.dhBits; kx.dhBits > 0 && (e.dhBits == 0 || kx.dhBits < e.dhBits) {
				e.dhBits = kx.dhBits
			}
		}
		e.steps = append(e.steps, step)
	}
	return e
}

// record converts an enumeration into the posture record.
func (e suiteEnumeration) record() posture.CipherSuiteProbe {
	p := posture.CipherSuiteProbe{
		Protocol:    versionName(e.version),
		Accepted:    []string{},
		ServerOrder: e.order,
		Probes:      e.probes,
		Missing:     e.missing,
	}
	for _, id := range e.accepted {
		p.Accepted = append(p.Accepted, suiteName(id))
	}
	return p
}

// suitesRecord is one protocol in the cipher suite evidence.
type suitesRecord struct {
	Protocol    string      `json:"protocol"`
	Accepted    []string    `json:"accepted"`
	ServerOrder posture.Tri `json:"server_order"`
	Steps       []suiteStep `json:"steps"`
}

// alertHandshakeFailure is the handshake_failure alert (RFC 8446 §6.2).
const alertHandshakeFailure = 40

// keyless reports whether spec is a TLS 1.3 hello with no key share.
func keyless(spec helloSpec) bool {
	return spec.version >= versionTLS13 && spec.keyShares != nil && len(spec.keyShares) == 0
}
