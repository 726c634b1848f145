package tlsscan

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// Key-exchange groups, downgrade protection and renegotiation.
//
// Groups are enumerated as suites are: one hello offers every group of a
// list, the server names the one it picks, and the same hello goes again
// without it until the server refuses; then the accepted groups are
// offered once in reverse to tell the server's order from the client's.
// n accepted groups cost n+1 hellos, plus one for the order when n > 1.
//
// Under TLS 1.3 the hello sends an empty key_share list (RFC 8446 §4.2.8),
// so every server must answer with a HelloRetryRequest that names the
// group it wants: its choice is then not biased by a key share the client
// happened to send, and no key for a post-quantum group is ever needed.
// Under TLS 1.2 the curve is in the ServerKeyExchange that follows the
// ServerHello (RFC 8422 §5.4), so those hellos offer only the ECDHE suites
// the endpoint accepted (ECDHE_RSA alone when there are some) and read on
// to that message; with only ECDHE_ECDSA suites the certificate's curve
// stays in every offer (enumerateGroups12).

// groupsTLS13 are offered to TLS 1.3 endpoints, the hybrid post-quantum
// groups first.
var groupsTLS13 = []uint16{
	groupX25519MLKEM768, groupSecP256r1MLKEM768, groupSecP384r1MLKEM1024,
	groupMLKEM512, groupMLKEM768, groupMLKEM1024,
	groupX25519, groupSecp256r1, groupSecp384r1, groupSecp521r1, groupX448,
	31, 32, 33, // brainpoolP{256,384,512}r1tls13
	groupFFDHE2048, groupFFDHE3072, groupFFDHE4096, groupFFDHE6144, groupFFDHE8192,
}

// groupsTLS12 are the elliptic curves offered to TLS 1.2-and-older
// endpoints: the ones in use, then brainpool and the deprecated binary
// and small prime curves of RFC 4492.
var groupsTLS12 = []uint16{
	groupX25519, groupSecp256r1, groupSecp384r1, groupSecp521r1, groupX448,
	26, 27, 28, // brainpoolP{256,384,512}r1
	22, 21, 20, 19, 18, 17, 16, 15, // secp256k1 ... secp160k1
	14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, // sect571r1 ... sect163k1
}

// groupStep is one hello of a group enumeration, for the evidence.
type groupStep struct {
	Offered int    `json:"offered"`
	Chosen  string `json:"chosen,omitempty"`
	Refused string `json:"refused,omitempty"`
	Missing string `json:"missing,omitempty"`
}

// groupEnumeration is what enumerating the groups of one version found.
type groupEnumeration struct {
	version  uint16
	accepted []uint16
	order    posture.Tri
	probes   int
	steps    []groupStep
	missing  *posture.Missing
}

// groupsRecord is one protocol in the groups evidence.
type groupsRecord struct {
	Protocol    string      `json:"protocol"`
	Suites      []string    `json:"suites_offered,omitempty"`
	Accepted    []string    `json:"accepted"`
	ServerOrder posture.Tri `json:"server_order"`
	Steps       []groupStep `json:"steps"`
}

// enumerateGroups13 enumerates the TLS 1.3 groups of addr.
func (s *Scanner) enumerateGroups13(ctx context.Context, addr, serverName string) groupEnumeration {
	base := specFor(versionTLS13, serverName)
	base.keyShares = []uint16{} // none: the server names its group in a HelloRetryRequest
	return s.enumerateGroups(ctx, addr, base, groupsTLS13, func(r probeResult) (uint16, bool) {
		return r.hello.group, r.hello.group != 0
	})
}

// enumerateGroups12 enumerates the curves of version v (TLS 1.2 or
// older), offering only the ECDHE suites the endpoint accepted for it.
//
// pin, when set, is the curve of the server's ECDSA certificate: an
// ECDHE_ECDSA suite needs it among the client's groups (RFC 8422 §5.1), so
// it stays in every offer, last. A server that follows the client's order
// then picks every other curve it accepts before it, and the enumeration
// ends when it picks the pinned one; a server with an order of its own
// that ranks the pinned curve above others hides those: the record then
// says so (Missing).
func (s *Scanner) enumerateGroups12(ctx context.Context, addr, serverName string, v uint16, ecdhe []uint16, pin uint16) groupEnumeration {
	base := helloSpec{version: v, serverName: serverName, suites: ecdhe, readKeyExchange: true}
	groups := groupsTLS12
	if pin != 0 {
		groups = append(slices.DeleteFunc(slices.Clone(groupsTLS12), func(g uint16) bool { return g == pin }), pin)
	}
	e := s.enumerateGroupsPinned(ctx, addr, base, groups, pin, func(r probeResult) (uint16, bool) {
		if r.kx == nil || r.kx.group == 0 {
			return 0, false
		}
		return r.kx.group, true
	})
	if pin != 0 && e.missing == nil && slices.Contains(e.accepted, pin) && e.order != posture.No {
		e.missing = &posture.Missing{Reason: posture.ReasonError,
			Detail: "tlsscan: " + addr + " has an ECDSA certificate on " + groupName(pin) +
				", which every ECDHE_ECDSA hello must offer; curves the server ranks below it cannot be enumerated"}
	}
	return e
}

// rsaSigned returns the ECDHE_RSA suites of ids.
func rsaSigned(ids []uint16) []uint16 {
	var out []uint16
	for _, id := range ids {
		if strings.HasPrefix(suiteName(id), "TLS_ECDHE_RSA_") {
			out = append(out, id)
		}
	}
	return out
}

// leafCurve returns the named group of an ECDSA leaf's curve, 0 for any
// other key.
func leafCurve(chain [][]byte) uint16 {
	if len(chain) == 0 {
		return 0
	}
	c, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return 0
	}
	k, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return 0
	}
	switch k.Curve {
	case elliptic.P256():
		return groupSecp256r1
	case elliptic.P384():
		return groupSecp384r1
	case elliptic.P521():
		return groupSecp521r1
	}
	return 0
}

// groupChunks is how many chunks enumerate the groups of version v at
// once (removal.go) when perHost connections may be open to the host:
// TLS 1.3 servers accept up to about ten (five ECDHE, five FFDHE, the
// post-quantum hybrids), TLS 1.2 servers a handful of curves, worth a
// second chunk only from a budget of 16.
func groupChunks(v uint16, perHost int) int {
	if v >= versionTLS13 || perHost >= 16 {
		return 2
	}
	return 1
}

// groupFamily sorts groups into the families servers rank apart: the
// post-quantum ones (ML-KEM and its hybrids, first where supported), the
// elliptic curves, the finite fields (RFC 7919, last). Each family is
// enumerated by a chain of its own (removal.go).
func groupFamily(g uint16) int {
	switch {
	case g>>8 == 0x02 || (g >= groupSecP256r1MLKEM768 && g <= groupSecP384r1MLKEM1024):
		return 0
	case g>>8 == 0x01:
		return 2
	}
	return 1
}

// enumerateGroups offers groups with base, removing the group picked each
// time, then tests the order. pick reads the chosen group from an accepted
// reply.
func (s *Scanner) enumerateGroups(ctx context.Context, addr string, base helloSpec, groups []uint16, pick func(probeResult) (uint16, bool)) groupEnumeration {
	return s.enumerateGroupsPinned(ctx, addr, base, groups, 0, pick)
}

// enumerateGroupsPinned is enumerateGroups where pin, when not 0, is never
// taken out of the offer: once the server picks it the enumeration ends.
func (s *Scanner) enumerateGroupsPinned(ctx context.Context, addr string, base helloSpec, groups []uint16, pin uint16, chosen func(probeResult) (uint16, bool)) groupEnumeration {
	en := enumerator{addr: addr, candidates: groups, chunks: groupChunks(base.version, s.perHost), pin: pin, what: "group ", name: groupName, family: groupFamily,
		send: func(ctx context.Context, offer []uint16) pick {
			spec := base
			spec.groups = offer
			return pickOf(s.probe(ctx, addr, spec), chosen)
		}}
	if ctx.Err() != nil {
		return groupEnumeration{version: base.version, order: posture.Unknown, missing: posture.MissingFor(ctx, ctx.Err())}
	}
	res := en.enumerate(ctx)
	e := groupEnumeration{version: base.version, accepted: res.accepted, order: res.order, probes: res.probes, missing: res.missing}
	for _, st := range res.steps {
		step := groupStep{Offered: st.offered}
		switch {
		case st.p.named:
			step.Chosen = groupName(st.p.id)
		case st.p.outcome == rejected:
			step.Refused = st.p.note
		case st.p.missing != nil:
			step.Missing = st.p.missing.Error()
		}
		e.steps = append(e.steps, step)
	}
	return e
}

// record converts a group enumeration into the posture record.
func (e groupEnumeration) record() posture.GroupProbe {
	p := posture.GroupProbe{
		Protocol:    versionName(e.version),
		Accepted:    []string{},
		ServerOrder: e.order,
		Probes:      e.probes,
		Missing:     e.missing,
	}
	for _, g := range e.accepted {
		p.Accepted = append(p.Accepted, groupName(g))
	}
	return p
}

// ecdheSuites returns the accepted suites of an enumeration whose key
// exchange is ECDHE.
func ecdheSuites(e suiteEnumeration) []uint16 {
	var out []uint16
	for _, id := range e.accepted {
		if kxOf(id) == kxECDHE {
			out = append(out, id)
		}
	}
	return out
}

// fallbackOutcome is what the downgrade probe saw.
type fallbackOutcome struct {
	Offered string      `json:"offered_version"`
	Highest string      `json:"highest_version"`
	Result  posture.Tri `json:"refused_with_inappropriate_fallback"`
	Reply   string      `json:"reply"`
}

// fallbackSCSV sends one hello for the second-highest version the
// endpoint accepts, with TLS_FALLBACK_SCSV (RFC 7507 §3): a server that
// protects against downgrades refuses it with inappropriate_fallback. It
// needs two accepted versions, newest first in versions; with fewer it
// sends nothing and the answer is Unknown.
func (s *Scanner) fallbackSCSV(ctx context.Context, addr, serverName string, versions []uint16) (posture.Tri, *fallbackOutcome, int) {
	if len(versions) < 2 {
		return posture.Unknown, nil, 0
	}
	spec := specFor(versions[1], serverName)
	spec.readKeyExchange = false
	spec.fallbackSCSV = true
	r := s.probe(ctx, addr, spec)
	n := 0
	if r.connected {
		n = 1
	}
	out := &fallbackOutcome{Offered: versionName(versions[1]), Highest: versionName(versions[0]), Result: posture.Unknown}
	switch {
	case r.alert != nil && r.alert.description == alertInappropriateFallback:
		out.Result, out.Reply = posture.Yes, "alert "+r.alert.String()
	case r.hello != nil:
		out.Result, out.Reply = posture.No, "ServerHello "+versionName(r.hello.version)+" "+suiteName(r.hello.suite)
	case r.alert != nil:
		out.Reply = "alert " + r.alert.String()
	case r.missing != nil:
		out.Reply = r.missing.Error()
	default:
		out.Reply = r.note
	}
	return out.Result, out, n
}

// alertInappropriateFallback is the inappropriate_fallback alert (RFC 7507).
const alertInappropriateFallback = 86

// secureRenegotiation reads RFC 5746 support from the version probes:
// every accepted hello of TLS 1.2 or older offered renegotiation_info (or
// its SCSV, for SSLv3) and the server must echo the extension. Yes when
// all such ServerHellos carried it, No when one did not, "" (not
// applicable) when the endpoint accepted TLS 1.3 alone.
func secureRenegotiation(results map[uint16]probeResult) posture.Tri {
	var out posture.Tri
	for _, v := range []uint16{versionSSL30, versionTLS10, versionTLS11, versionTLS12} {
		r := results[v]
		if r.outcome != accepted || r.hello == nil {
			continue
		}
		if !slices.Contains(r.hello.extensions, extRenegotiationInfo) {
			return posture.No
		}
		out = posture.Yes
	}
	return out
}

// extrasRecord is the evidence of the groups, downgrade and
// renegotiation observations.
type extrasRecord struct {
	Groups              []groupsRecord   `json:"groups,omitempty"`
	Fallback            *fallbackOutcome `json:"fallback_scsv,omitempty"`
	SecureRenegotiation posture.Tri      `json:"secure_renegotiation,omitempty"`
	DHBits              int              `json:"dh_bits,omitempty"`
}

// groupsRun is the curve enumeration of one version before TLS 1.3, with
// the ECDHE suites its hellos offered.
type groupsRun struct {
	v     uint16
	ecdhe []uint16
	g     groupEnumeration
}

// groupsFor enumerates the curves of version v over the ECDHE suites its
// enumeration e accepted: the ECDHE_RSA ones when there are some, else
// the ECDHE_ECDSA ones with certCurve, the certificate's curve, kept in
// every offer.
func (s *Scanner) groupsFor(ctx context.Context, addr, serverName string, v uint16, e suiteEnumeration, certCurve uint16) *groupsRun {
	ecdhe, pin := ecdheSuites(e), uint16(0)
	if rsa := rsaSigned(ecdhe); len(rsa) > 0 {
		ecdhe = rsa // no certificate curve to keep in the offer
	} else {
		pin = certCurve
	}
	return &groupsRun{v: v, ecdhe: ecdhe, g: s.enumerateGroups12(ctx, addr, serverName, v, ecdhe, pin)}
}

// fallbackRun is the TLS_FALLBACK_SCSV probe's answer.
type fallbackRun struct {
	tri    posture.Tri
	out    *fallbackOutcome
	probes int
}

// observeExtras fills Groups, FallbackSCSV and SecureRenegotiation from
// the version probes and the group and downgrade probes already run
// (observe): g12, the curves of the newest version before TLS 1.3 with
// ECDHE suites, and g13, TLS 1.3's groups, are nil when not enumerated.
func (s *Scanner) observeExtras(obs *posture.TLSObservation, addr string, results map[uint16]probeResult, g12 *groupsRun, g13 *groupEnumeration, fb fallbackRun) {
	var rec extrasRecord
	obs.SecureRenegotiation = secureRenegotiation(results)
	rec.SecureRenegotiation = obs.SecureRenegotiation
	rec.DHBits = obs.DHBits

	if g12 != nil {
		g := g12.g
		obs.Probes += g.probes
		obs.Groups = append(obs.Groups, g.record())
		gr := groupsRecord{Protocol: versionName(g12.v), Accepted: g.record().Accepted, ServerOrder: g.order, Steps: g.steps}
		for _, id := range g12.ecdhe {
			gr.Suites = append(gr.Suites, suiteName(id))
		}
		rec.Groups = append(rec.Groups, gr)
	}
	if g13 != nil {
		g := *g13
		obs.Probes += g.probes
		p := g.record()
		if len(p.Accepted) == 0 && p.Missing == nil {
			// Refused a hello without key shares, yet it speaks TLS 1.3:
			// keep the group of the version probe, and say the list is
			// incomplete.
			if h := results[versionTLS13].hello; h != nil && h.group != 0 {
				p.Accepted = []string{groupName(h.group)}
			}
			p.Missing = &posture.Missing{Reason: posture.ReasonHandshakeFailed,
				Detail: "tlsscan: " + addr + " refused a TLS 1.3 hello without key shares; groups not enumerated"}
		}
		obs.Groups = append(obs.Groups, p)
		rec.Groups = append(rec.Groups, groupsRecord{Protocol: p.Protocol, Accepted: p.Accepted, ServerOrder: g.order, Steps: g.steps})
	}

	obs.FallbackSCSV, rec.Fallback = fb.tri, fb.out
	obs.Probes += fb.probes

	b, _ := json.MarshalIndent(rec, "", "  ")
	obs.Evidence = append(obs.Evidence, posture.Evidence{
		ID:    "tls/" + addr + "/key_exchange",
		Kind:  posture.EvidenceTLSHandshake,
		Label: "Key-exchange groups, DH size, TLS_FALLBACK_SCSV and renegotiation_info",
		Data:  string(b),
	})
}
