package tlsscan

import (
	"context"
	"slices"

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

// enumerateSuites continues from first, the accepted version probe for v,
// until the server refuses, then tests the order. Every step is a
// connection of its own, bounded as every probe is; the loop runs at most
// once per suite offered.
func (s *Scanner) enumerateSuites(ctx context.Context, addr, serverName string, first probeResult) suiteEnumeration {
	spec := specFor(first.version, serverName)
	if first.version >= versionTLS13 {
		// No key share after the version probe: the server answers with
		// a HelloRetryRequest, which names the suite as a ServerHello
		// would, without the key exchange and signature of a full first
		// flight (on loopback, 0.15 ms against 0.8 ms for OpenSSL).
		spec.keyShares = []uint16{}
	}
	e := suiteEnumeration{version: first.version, order: posture.Unknown, probes: 1}
	remaining := slices.Clone(spec.suites)
	r := first
	for range len(spec.suites) + 1 {
		step := suiteStep{Offered: len(remaining)}
		if r.outcome == failed {
			step.Missing = r.missing.Error()
			e.steps = append(e.steps, step)
			e.missing = r.missing
			break
		}
		if r.outcome == rejected {
			step.Refused = r.note
			e.steps = append(e.steps, step)
			break
		}
		chosen := r.hello.suite
		i := slices.Index(remaining, chosen)
		if i < 0 {
			// A suite we did not offer (or offered before): the server
			// breaks RFC 5246 §7.4.1.3, and going on would not end.
			step.Chosen = suiteName(chosen)
			e.steps = append(e.steps, step)
			e.missing = &posture.Missing{Reason: posture.ReasonProtocolError,
				Detail: "tlsscan: " + addr + " chose " + suiteName(chosen) + ", which was not offered"}
			break
		}
		step.Chosen = suiteName(chosen)
		if kx := r.kx; kx != nil {
			if kx.group != 0 {
				step.Group = groupName(kx.group)
			}
			if step.DHBits = kx.dhBits; kx.dhBits > 0 && (e.dhBits == 0 || kx.dhBits < e.dhBits) {
				e.dhBits = kx.dhBits
			}
		}
		e.steps = append(e.steps, step)
		e.accepted = append(e.accepted, chosen)
		remaining = slices.Delete(remaining, i, i+1)
		if len(remaining) == 0 || ctx.Err() != nil {
			if ctx.Err() != nil {
				e.missing = posture.MissingFor(ctx, ctx.Err())
			}
			break
		}
		next := spec
		next.suites = remaining
		r = s.probe(ctx, addr, next)
		if r.connected {
			e.probes++
		}
		if keyless(next) && r.outcome == rejected && (r.alert == nil || r.alert.description != alertHandshakeFailure) {
			// Not the refusal of a server out of suites (that is
			// handshake_failure) but maybe of a hello without a key
			// share: ask once more with one, and keep sending one.
			spec.keyShares = nil
			next.keyShares = nil
			r = s.probe(ctx, addr, next)
			if r.connected {
				e.probes++
			}
		}
	}
	if len(e.accepted) < 2 || e.missing != nil {
		return e
	}
	rev := slices.Clone(e.accepted)
	slices.Reverse(rev)
	next := spec
	next.suites = rev
	r = s.probe(ctx, addr, next)
	if r.connected {
		e.probes++
	}
	step := suiteStep{Offered: len(rev)}
	switch {
	case r.outcome == accepted && r.hello.suite == e.accepted[0]:
		e.order = posture.Yes
		step.Chosen = suiteName(r.hello.suite)
	case r.outcome == accepted && r.hello.suite == rev[0]:
		e.order = posture.No
		step.Chosen = suiteName(r.hello.suite)
	case r.outcome == accepted:
		// Neither end: the server's choice depends on more than an
		// order (a suite it prefers only under some condition).
		step.Chosen = suiteName(r.hello.suite)
	case r.outcome == rejected:
		step.Refused = r.note
	default:
		step.Missing = r.missing.Error()
	}
	e.steps = append(e.steps, step)
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
