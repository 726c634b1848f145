package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// The TLS grade follows the SSL Labs SSL Server Rating Guide (version
// 2009, with the changes Qualys published up to the TLS 1.0/1.1 cap of
// January 2020). docs/tls-grade.md lists every rule with its source; the
// table gradeRules below is the same list, and a test keeps the two
// together.
//
// A grade is computed in two steps, as the guide does: a numerical score
// from three categories (protocol support 30%, key exchange 30%, cipher
// strength 40%; a zero in any category makes the score zero) gives a
// letter (A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E ≥ 20, else F); then rules cap
// it. vouch starts an A from the score at A+ and writes the conditions
// for A+ and the warnings that give A- as caps at A and A-, so that every
// rule is one ceiling. Two grades stand outside A-F as in the guide: T
// (certificate not trusted: unknown issuer, expired, not yet valid) and M
// (certificate name mismatch); they rank below F, and the finding gives
// the grade the endpoint would have if trust were ignored.
//
// When part of an observation is missing, a rule (or the score) can be
// unknown. The grade is then a range: the best grade assumes every
// unknown rule does not apply, the worst that it does. A claim is
// verified when the worst grade meets it, contradicted when even the best
// does not, and inconclusive otherwise.

// Grades from best to worst.
var gradeOrder = []string{"A+", "A", "A-", "B", "C", "D", "E", "F", "M", "T"}

// gradeRank is 0 for A+ and grows as grades get worse; -1 for a name
// that is not a grade.
func gradeRank(g string) int { return slices.Index(gradeOrder, g) }

// worse returns the worse of two grades.
func worse(a, b string) string {
	if gradeRank(b) > gradeRank(a) {
		return b
	}
	return a
}

// GradeRule is one rule of the grade: a ceiling and when it applies.
type GradeRule struct {
	// ID is stable; findings and docs/tls-grade.md name rules by it.
	ID string
	// Cap is the best grade an endpoint the rule applies to can have.
	Cap string
	// Text says what the rule looks for.
	Text string
	// Source is the published rule it follows.
	Source string
	// Trust marks the T and M rules, which the grade "ignoring trust"
	// leaves out.
	Trust bool
	// applies says whether the rule applies (Yes/No/Unknown) and, for Yes
	// and Unknown, why.
	applies func(g *gradeInput) (posture.Tri, string)
}

// GradeHit is a rule that capped a grade (or might have).
type GradeHit struct {
	ID     string `json:"id"`
	Cap    string `json:"cap"`
	Detail string `json:"detail"`
}

// Grade is the result of grading one endpoint.
type Grade struct {
	// Best and Worst are equal when every rule could be decided.
	Best  string `json:"best"`
	Worst string `json:"worst"`
	// Score is the numerical score (0-100), -1 when it could not be
	// computed.
	Score int `json:"score"`
	// Capped are the rules that apply, worst cap first; Unknown those
	// that could not be decided.
	Capped  []GradeHit `json:"capped,omitempty"`
	Unknown []GradeHit `json:"unknown,omitempty"`
	// IgnoringTrust is the best grade without the T and M rules, set when
	// one of them applies.
	IgnoringTrust string `json:"ignoring_trust,omitempty"`
}

// Exact reports whether the grade is one letter, not a range.
func (g Grade) Exact() bool { return g.Best == g.Worst }

// String is "A" or "between B and A+".
func (g Grade) String() string {
	if g.Exact() {
		return g.Best
	}
	return "between " + g.Worst + " and " + g.Best
}

// HSTSFacts is what the grade needs from the HTTP observation of the same
// target: whether HTTPS answered and the HSTS header it sent.
type HSTSFacts struct {
	// Observed is Yes when the HTTPS response was seen, Unknown when not.
	Observed posture.Tri
	HSTS     *posture.HSTS
}

// hstsMinMaxAge is the max-age A+ needs: 180 days, the "long max-age"
// of SSL Labs (see docs/tls-grade.md).
const hstsMinMaxAge = 180 * 24 * 60 * 60

type gradeInput struct {
	o    posture.TLSObservation
	hsts HSTSFacts
	now  time.Time
	// proto maps protocol name to its state.
	proto map[string]posture.Tri
	// gap says why the suite lists may be incomplete (nil: complete).
	gap *posture.Missing
}

// accepted lists "protocol suite" of every accepted suite, filtered.
func (g *gradeInput) suitesWhere(f func(proto, suite string) bool) []string {
	var out []string
	for _, p := range g.o.Suites {
		for _, s := range p.Accepted {
			if f(p.Protocol, s) {
				out = append(out, p.Protocol+" "+s)
			}
		}
	}
	return out
}

// found turns a list of matches into a rule state: Yes when some matched,
// No when none did and the lists are complete, Unknown otherwise.
func (g *gradeInput) found(matches []string, what string) (posture.Tri, string) {
	switch {
	case len(matches) > 0:
		return posture.Yes, what + ": " + strings.Join(matches, ", ")
	case g.gap != nil:
		return posture.Unknown, "cipher suites not fully enumerated (" + g.gap.Error() + ")"
	}
	return posture.No, ""
}

func (g *gradeInput) offered(name string) posture.Tri { return triOr(g.proto[name]) }

// anyOffered is Yes when some of names is offered, No when all are
// refused, Unknown otherwise.
func (g *gradeInput) anyOffered(names ...string) posture.Tri {
	out := posture.No
	for _, n := range names {
		switch g.offered(n) {
		case posture.Yes:
			return posture.Yes
		case posture.Unknown:
			out = posture.Unknown
		}
	}
	return out
}

func (g *gradeInput) cert() *posture.Certificate { return g.o.Certificate }

func unknownIf(cond bool, why string) (posture.Tri, string) {
	if cond {
		return posture.Unknown, why
	}
	return posture.No, ""
}

func triDetail(t posture.Tri, yes, unknown string) (posture.Tri, string) {
	switch t {
	case posture.Yes:
		return posture.Yes, yes
	case posture.No:
		return posture.No, ""
	}
	return posture.Unknown, unknown
}

func not(t posture.Tri) posture.Tri {
	switch t {
	case posture.Yes:
		return posture.No
	case posture.No:
		return posture.Yes
	}
	return posture.Unknown
}

// Suite facts by IANA name.

// suiteBits is the symmetric key strength of a suite as the rating guide
// counts it (3DES as 112), or -1 when the name is not recognised.
func suiteBits(s string) int {
	n := strings.ToUpper(s)
	switch {
	case strings.Contains(n, "_WITH_NULL_") || strings.HasPrefix(n, "TLS_NULL_") || n == "TLS_SHA256_SHA256" || n == "TLS_SHA384_SHA384":
		return 0
	case strings.Contains(n, "EXPORT") || strings.Contains(n, "_40_") || strings.Contains(n, "DES40"):
		return 40
	case strings.Contains(n, "3DES"):
		return 112
	case strings.Contains(n, "_DES_") || strings.Contains(n, "_RC4_56_") || strings.Contains(n, "DES_CBC_56"):
		return 56
	case strings.Contains(n, "_256_") || strings.Contains(n, "CHACHA20"):
		return 256
	case strings.Contains(n, "_128_") || strings.Contains(n, "_SEED_") || strings.Contains(n, "_IDEA_") || strings.Contains(n, "_SM4_"):
		return 128
	}
	return -1
}

// aead reports whether a suite is authenticated encryption: every TLS 1.3
// suite, GCM, CCM and ChaCha20-Poly1305.
func aead(s string) bool {
	n := strings.ToUpper(s)
	return strings.Contains(n, "_GCM_") || strings.Contains(n, "_CCM") || strings.Contains(n, "CHACHA20_POLY1305") ||
		strings.HasPrefix(n, "TLS_AES_") || strings.HasPrefix(n, "TLS_SM4_")
}

// block64 reports whether a suite uses a cipher with 64-bit blocks
// (3DES, DES, IDEA, RC2): the Sweet32 ciphers.
func block64(s string) bool {
	n := strings.ToUpper(s)
	return strings.Contains(n, "DES") || strings.Contains(n, "_IDEA_") || strings.Contains(n, "_RC2_")
}

func rc4(s string) bool { return strings.Contains(strings.ToUpper(s), "_RC4_") }

func anonKX(s string) bool { return strings.Contains(strings.ToUpper(s), "_ANON_") }

func exportKX(s string) bool { return strings.Contains(strings.ToUpper(s), "EXPORT") }

// modernProtocol: TLS 1.1 and newer, the "modern protocols" of the
// RC4 and 64-bit block rules.
func modernProtocol(p string) bool {
	return posture.ProtocolRank(p) >= posture.ProtocolRank(posture.TLSv1_1)
}

// rsaEquivalent is the RSA size of the same strength as a certificate
// key (NIST SP 800-57 Part 1 Rev. 5 Table 2), or -1 when unknown.
func rsaEquivalent(c *posture.Certificate) int {
	if c == nil || c.KeyBits <= 0 {
		return -1
	}
	switch strings.ToUpper(c.KeyType) {
	case "RSA", "DSA":
		return c.KeyBits
	case "ECDSA", "ED25519", "ED448":
		switch {
		case c.KeyBits >= 512:
			return 15360
		case c.KeyBits >= 384:
			return 7680
		case c.KeyBits >= 256:
			return 3072
		case c.KeyBits >= 224:
			return 2048
		case c.KeyBits >= 160:
			return 1024
		}
		return 512
	}
	return -1
}

// gradeRules is the rule table, in the order docs/tls-grade.md lists it.
var gradeRules = []GradeRule{
	{
		ID: "trust.untrusted", Cap: "T", Trust: true,
		Text:   "The certificate chain does not validate to a trusted root (unknown or self-signed issuer, bad signature, revoked).",
		Source: "SSL Server Rating Guide 2009, methodology step 5 (T grade); SSL Labs 2014 changes",
		applies: func(g *gradeInput) (posture.Tri, string) {
			c := g.cert()
			if c == nil {
				return posture.Unknown, "no certificate recorded"
			}
			detail := "chain not trusted"
			if c.ValidationError != "" {
				detail += ": " + c.ValidationError
			}
			return triDetail(not(triOr(c.Trusted)), detail, "trust not determined")
		},
	},
	{
		ID: "trust.validity", Cap: "T", Trust: true,
		Text:   "The certificate has expired or is not yet valid at the time of the report.",
		Source: "SSL Server Rating Guide 2009, certificate inspection (expired, not yet valid) and step 5 (T grade)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			c := g.cert()
			if c == nil || c.NotAfter.IsZero() {
				return posture.Unknown, "certificate validity not recorded"
			}
			switch {
			case g.now.After(c.NotAfter):
				return posture.Yes, "certificate expired on " + c.NotAfter.UTC().Format(time.DateOnly)
			case g.now.Before(c.NotBefore):
				return posture.Yes, "certificate not valid before " + c.NotBefore.UTC().Format(time.DateOnly)
			}
			return posture.No, ""
		},
	},
	{
		ID: "trust.name_mismatch", Cap: "M", Trust: true,
		Text:   "The certificate does not cover the host name.",
		Source: "SSL Server Rating Guide 2009, methodology step 5 (M grade)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			c := g.cert()
			if c == nil {
				return posture.Unknown, "no certificate recorded"
			}
			return triDetail(not(triOr(c.HostnameMatch)), "certificate does not cover "+g.o.ServerName, "host name match not determined")
		},
	},
	{
		ID: "key.below_1024", Cap: "F",
		Text:    "The certificate's RSA or DSA key is smaller than 1024 bits.",
		Source:  "SSL Labs, Stricter Security Requirements for 2014 (keys below 1024 bits: F)",
		applies: func(g *gradeInput) (posture.Tri, string) { return keyBelow(g, 1024) },
	},
	{
		ID: "signature.md5", Cap: "F",
		Text:   "The certificate is signed with MD5 or MD2.",
		Source: "SSL Labs, Stricter Security Requirements for 2014 (MD5 signatures: F); Rating Guide 2009 (insecure signature)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			c := g.cert()
			if c == nil || c.SignatureAlgorithm == "" {
				return posture.Unknown, "signature algorithm not recorded"
			}
			w := sigWords(c.SignatureAlgorithm)
			if slices.Contains(w, "md5") || slices.Contains(w, "md2") {
				return posture.Yes, "signed with " + c.SignatureAlgorithm
			}
			if !sigKnown(w) {
				return posture.Unknown, "signature algorithm " + c.SignatureAlgorithm + " not recognised"
			}
			return posture.No, ""
		},
	},
	{
		ID: "protocol.ssl3_only", Cap: "F",
		Text:   "SSLv3 is the only protocol offered.",
		Source: "SSL Labs, End of Year 2014 Updates (SSL 3 only: F)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			if g.offered(posture.SSLv3) != posture.Yes {
				return unknownIf(g.offered(posture.SSLv3) == posture.Unknown, "SSLv3 support not determined")
			}
			others := g.anyOffered(posture.TLSv1_0, posture.TLSv1_1, posture.TLSv1_2, posture.TLSv1_3)
			return triDetail(not(others), "only SSLv3 offered", "other protocols not determined")
		},
	},
	{
		ID: "protocol.ssl3_poodle", Cap: "C",
		Text:   "SSLv3 is offered with a CBC suite (vulnerable to POODLE).",
		Source: "SSL Labs, End of Year 2014 Updates (SSL 3: B, C if vulnerable to POODLE)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			if s := g.offered(posture.SSLv3); s != posture.Yes {
				return unknownIf(s == posture.Unknown, "SSLv3 support not determined")
			}
			return g.found(g.suitesWhere(func(p, s string) bool {
				return p == posture.SSLv3 && !rc4(s) && suiteBits(s) > 0
			}), "SSLv3 CBC suites")
		},
	},
	{
		ID: "protocol.ssl3", Cap: "B",
		Text:   "SSLv3 is offered.",
		Source: "SSL Labs, End of Year 2014 Updates (servers that support SSL 3 capped at B)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			return triDetail(g.offered(posture.SSLv3), "SSLv3 offered", "SSLv3 support not determined")
		},
	},
	{
		ID: "protocol.no_tls12", Cap: "C",
		Text:   "Neither TLS 1.2 nor TLS 1.3 is offered.",
		Source: "SSL Labs 1.17 (May 2015: no TLS 1.2 capped at C); Grading Changes January 2017",
		applies: func(g *gradeInput) (posture.Tri, string) {
			return triDetail(not(g.anyOffered(posture.TLSv1_2, posture.TLSv1_3)), "neither TLS 1.2 nor TLS 1.3 offered", "TLS 1.2 / 1.3 support not determined")
		},
	},
	{
		ID: "protocol.tls10_tls11", Cap: "B",
		Text:   "TLS 1.0 or TLS 1.1 is offered.",
		Source: "SSL Labs, Grade Change for TLS 1.0 and TLS 1.1 Protocols (capped at B from January 2020)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			var on []string
			for _, p := range []string{posture.TLSv1_0, posture.TLSv1_1} {
				if g.offered(p) == posture.Yes {
					on = append(on, p)
				}
			}
			if len(on) > 0 {
				return posture.Yes, strings.Join(on, " and ") + " offered"
			}
			return triDetail(g.anyOffered(posture.TLSv1_0, posture.TLSv1_1), "", "TLS 1.0 / 1.1 support not determined")
		},
	},
	{
		ID: "cipher.rc4_modern", Cap: "C",
		Text:   "An RC4 suite is accepted with TLS 1.1 or newer.",
		Source: "SSL Labs 1.17 (May 2015: RC4 with TLS 1.1+ capped at C)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			return g.found(g.suitesWhere(func(p, s string) bool { return modernProtocol(p) && rc4(s) }), "RC4 with TLS 1.1+")
		},
	},
	{
		ID: "cipher.rc4", Cap: "B",
		Text:   "An RC4 suite is accepted.",
		Source: "SSL Labs, End of Year 2014 Updates (RC4 capped at B); SSL Labs 1.17",
		applies: func(g *gradeInput) (posture.Tri, string) {
			return g.found(g.suitesWhere(func(_, s string) bool { return rc4(s) }), "RC4 suites")
		},
	},
	{
		ID: "cipher.64bit_modern", Cap: "C",
		Text:   "A 64-bit block cipher suite (3DES, DES, IDEA, RC2) is accepted with TLS 1.1 or newer where a modern client may get it: the server does not enforce its order, or puts it first.",
		Source: "SSL Labs, Announcing Grading Changes for 2017 and Grading Changes January 2017 (64-bit block ciphers with TLS 1.1+ capped at C)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			var hits, undecided []string
			for _, p := range g.o.Suites {
				if !modernProtocol(p.Protocol) {
					continue
				}
				for i, s := range p.Accepted {
					switch {
					case !block64(s):
					case i == 0 || p.ServerOrder == posture.No:
						hits = append(hits, p.Protocol+" "+s)
					case p.ServerOrder != posture.Yes:
						// Not picked first, and whether the server
						// enforces an order was not determined.
						undecided = append(undecided, p.Protocol+" "+s)
					}
				}
			}
			if len(hits) == 0 && len(undecided) > 0 {
				return posture.Unknown, "64-bit block suites with TLS 1.1+ where the server's order was not determined: " + strings.Join(undecided, ", ")
			}
			return g.found(hits, "64-bit block suites with TLS 1.1+")
		},
	},
	{
		ID: "kx.no_forward_secrecy", Cap: "B",
		Text:   "A modern client gets no forward secrecy: TLS 1.3 is not offered, and the newest protocol offered accepts no (EC)DHE suite or the server's first choice in it is not (EC)DHE.",
		Source: "SSL Labs, Grading Update: Forward Secrecy, Authenticated Encryption and ROBOT (March 2018: no forward secrecy capped at B)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			switch g.offered(posture.TLSv1_3) {
			case posture.Yes:
				return posture.No, ""
			case posture.Unknown:
				return posture.Unknown, "TLS 1.3 support not determined"
			}
			// The protocol a modern client gets without TLS 1.3: the
			// newest one offered.
			var top *posture.CipherSuiteProbe
			for i := range g.o.Suites {
				p := &g.o.Suites[i]
				if g.offered(p.Protocol) == posture.Yes && (top == nil || posture.ProtocolRank(p.Protocol) > posture.ProtocolRank(top.Protocol)) {
					top = p
				}
			}
			if top == nil || len(top.Accepted) == 0 {
				if g.gap != nil {
					return posture.Unknown, "cipher suites not fully enumerated"
				}
				return posture.No, "" // nothing offered: the score is zero anyway
			}
			for _, p := range posture.ProtocolNames {
				r := posture.ProtocolRank(p)
				if r > posture.ProtocolRank(top.Protocol) && r < posture.ProtocolRank(posture.TLSv1_3) && g.offered(p) != posture.No {
					return posture.Unknown, p + " support or suites not determined"
				}
			}
			if top.ServerOrder == posture.Yes && !posture.ForwardSecret(top.Accepted[0]) {
				return posture.Yes, top.Protocol + ": server prefers " + top.Accepted[0]
			}
			for _, s := range top.Accepted {
				if !posture.ForwardSecret(s) {
					continue
				}
				// Offered (EC)DHE first, the server picked a suite
				// without: only its order says whether it prefers it.
				if triOr(top.ServerOrder) == posture.Unknown && !posture.ForwardSecret(top.Accepted[0]) {
					return posture.Unknown, top.Protocol + ": server picked " + top.Accepted[0] + " first; its order was not determined"
				}
				return posture.No, ""
			}
			if top.Missing != nil {
				return posture.Unknown, top.Protocol + " suites not fully enumerated"
			}
			return posture.Yes, top.Protocol + ": no (EC)DHE suite accepted"
		},
	},
	{
		ID: "cipher.no_aead", Cap: "B",
		Text:   "No AEAD suite (GCM, CCM, ChaCha20-Poly1305, any TLS 1.3 suite) is accepted.",
		Source: "SSL Labs, Grading Update: Forward Secrecy, Authenticated Encryption and ROBOT (March 2018: no AEAD capped at B)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			if len(g.suitesWhere(func(_, s string) bool { return aead(s) })) > 0 {
				return posture.No, ""
			}
			if g.gap != nil {
				return posture.Unknown, "cipher suites not fully enumerated"
			}
			return posture.Yes, "no AEAD suite accepted"
		},
	},
	{
		ID: "kx.dh_below_2048", Cap: "B",
		Text:   "A DHE suite is accepted with a group smaller than 2048 bits.",
		Source: "SSL Labs 1.17: RC4, Obsolete Crypto, and Logjam (May 2015: weak DH parameters capped at B)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			if g.o.DHBits > 0 {
				if g.o.DHBits < 2048 {
					return posture.Yes, fmt.Sprintf("DH group of %d bits", g.o.DHBits)
				}
				return posture.No, ""
			}
			if acceptsDHE(g.o) {
				return posture.Unknown, "DHE accepted but the group size was not recorded"
			}
			if g.gap != nil {
				return posture.Unknown, "cipher suites not fully enumerated"
			}
			return posture.No, ""
		},
	},
	{
		ID: "key.below_2048", Cap: "B",
		Text:    "The certificate's RSA or DSA key is smaller than 2048 bits.",
		Source:  "SSL Labs, Stricter Security Requirements for 2014 (keys below 2048 bits capped at B)",
		applies: func(g *gradeInput) (posture.Tri, string) { return keyBelow(g, 2048) },
	},
	{
		ID: "chain.incomplete", Cap: "B",
		Text:   "The server does not send the intermediate certificates needed to reach a trusted root.",
		Source: "SSL Labs, End of Year 2014 Updates (incomplete certificate chains capped at B)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			c := g.cert()
			if c == nil {
				return posture.Unknown, "no certificate recorded"
			}
			// An unset field is not known: older snapshots lack it.
			return triDetail(not(triOr(c.ChainComplete)), "intermediate certificate missing from the served chain", "chain completeness not recorded")
		},
	},
	{
		ID: "warning.no_secure_renegotiation", Cap: "A-",
		Text:   "TLS 1.2 or older is offered without secure renegotiation (RFC 5746).",
		Source: "SSL Labs, Stricter Security Requirements for 2014 (no secure renegotiation: warning, A-)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			old := g.anyOffered(posture.SSLv3, posture.TLSv1_0, posture.TLSv1_1, posture.TLSv1_2)
			if old == posture.No {
				return posture.No, ""
			}
			r := triOr(g.o.SecureRenegotiation)
			if old == posture.Yes && r != posture.Unknown {
				return triDetail(not(r), "no secure renegotiation", "")
			}
			if r == posture.Yes {
				return posture.No, ""
			}
			return posture.Unknown, "secure renegotiation not determined"
		},
	},
	{
		ID: "aplus.hsts", Cap: "A",
		Text:   "A+ needs HTTP Strict Transport Security with a max-age of at least 180 days on the HTTPS response (STARTTLS endpoints have no HSTS and stop at A).",
		Source: "SSL Labs, Stricter Security Requirements for 2014 (A+ for HSTS with a long max-age)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			if g.o.STARTTLS != "" {
				return posture.Yes, "STARTTLS endpoint: no HSTS"
			}
			h := g.hsts
			switch {
			case triOr(h.Observed) != posture.Yes:
				return posture.Unknown, "HSTS not observed (no HTTPS response from the HTTP scan)"
			case h.HSTS == nil:
				return posture.Yes, "no Strict-Transport-Security header"
			case !h.HSTS.Valid:
				return posture.Yes, "invalid Strict-Transport-Security header"
			case h.HSTS.MaxAge < hstsMinMaxAge:
				return posture.Yes, fmt.Sprintf("HSTS max-age %d is below %d (180 days)", h.HSTS.MaxAge, hstsMinMaxAge)
			}
			return posture.No, ""
		},
	},
	{
		ID: "aplus.fallback_scsv", Cap: "A",
		Text:   "A+ needs TLS_FALLBACK_SCSV (RFC 7507) honoured when more than one protocol version is offered.",
		Source: "SSL Labs, End of Year 2014 Updates (A+ expects TLS_FALLBACK_SCSV)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			switch triOr(g.o.FallbackSCSV) {
			case posture.Yes:
				return posture.No, ""
			case posture.No:
				return posture.Yes, "downgraded hello with TLS_FALLBACK_SCSV accepted"
			}
			n, unknown := 0, false
			for _, p := range posture.ProtocolNames {
				switch g.offered(p) {
				case posture.Yes:
					n++
				case posture.Unknown:
					unknown = true
				}
			}
			if n <= 1 && !unknown {
				return posture.No, ""
			}
			return posture.Unknown, "TLS_FALLBACK_SCSV support not determined"
		},
	},
	{
		ID: "aplus.sha2_signature", Cap: "A",
		Text:   "A+ needs a certificate signed with SHA-2 (not SHA-1).",
		Source: "SSL Labs, End of Year 2014 Updates (A+ expects a SHA2 certificate chain)",
		applies: func(g *gradeInput) (posture.Tri, string) {
			c := g.cert()
			if c == nil || c.SignatureAlgorithm == "" {
				return posture.Unknown, "signature algorithm not recorded"
			}
			w := sigWords(c.SignatureAlgorithm)
			if slices.Contains(w, "sha1") {
				return posture.Yes, "signed with " + c.SignatureAlgorithm
			}
			if !sigKnown(w) {
				return posture.Unknown, "signature algorithm " + c.SignatureAlgorithm + " not recognised"
			}
			return posture.No, ""
		},
	},
}

// GradeRules returns the rule table (a copy).
func GradeRules() []GradeRule { return slices.Clone(gradeRules) }

func keyBelow(g *gradeInput, bits int) (posture.Tri, string) {
	c := g.cert()
	if c == nil || c.KeyBits <= 0 {
		return posture.Unknown, "certificate key size not recorded"
	}
	switch strings.ToUpper(c.KeyType) {
	case "RSA", "DSA":
		if c.KeyBits < bits {
			return posture.Yes, fmt.Sprintf("%s key of %d bits", c.KeyType, c.KeyBits)
		}
	}
	return posture.No, ""
}

// Score categories of the rating guide.

func protocolScore(name string) int {
	switch name {
	case posture.SSLv3:
		return 80
	case posture.TLSv1_0:
		return 90
	case posture.TLSv1_1:
		return 95
	}
	return 100 // TLS 1.2, and TLS 1.3 which the 2009 guide predates
}

func strengthScore(bits int) int {
	switch {
	case bits <= 0:
		return 0
	case bits < 512:
		return 20
	case bits < 1024:
		return 40
	case bits < 2048:
		return 80
	case bits < 4096:
		return 90
	}
	return 100
}

func cipherScore(bits int) int {
	switch {
	case bits <= 0:
		return 0
	case bits < 128:
		return 20
	case bits < 256:
		return 80
	}
	return 100
}

// score computes the rating guide's numerical score, or says why it
// cannot.
func score(g *gradeInput) (int, string) {
	best, worst := -1, 101
	for _, name := range posture.ProtocolNames {
		switch g.offered(name) {
		case posture.Unknown:
			return -1, name + " support not determined"
		case posture.Yes:
			s := protocolScore(name)
			best, worst = max(best, s), min(worst, s)
		}
	}
	if best < 0 {
		return 0, "no protocol offered"
	}
	proto := (best + worst) / 2

	if g.gap != nil {
		return -1, "cipher suites not fully enumerated (" + g.gap.Error() + ")"
	}
	kx := rsaEquivalent(g.cert())
	if kx < 0 {
		return -1, "certificate key not recorded"
	}
	cbest, cworst := -1, 1000
	for _, p := range g.o.Suites {
		for _, s := range p.Accepted {
			switch {
			case anonKX(s):
				kx = 0
			case exportKX(s):
				kx = min(kx, 512)
			}
			if b := suiteBits(s); b >= 0 {
				cbest, cworst = max(cbest, b), min(cworst, b)
			}
		}
	}
	if g.o.DHBits > 0 {
		kx = min(kx, g.o.DHBits)
	} else if acceptsDHE(g.o) {
		return -1, "DHE group size not recorded"
	}
	if cbest < 0 {
		return -1, "no cipher suite strength known"
	}
	k := strengthScore(kx)
	c := (cipherScore(cbest) + cipherScore(cworst)) / 2
	if proto == 0 || k == 0 || c == 0 {
		return 0, ""
	}
	return (30*proto + 30*k + 40*c) / 100, ""
}

func scoreLetter(s int) string {
	switch {
	case s >= 80:
		return "A+" // the top; the A+ rules cap it at A when they apply
	case s >= 65:
		return "B"
	case s >= 50:
		return "C"
	case s >= 35:
		return "D"
	case s >= 20:
		return "E"
	}
	return "F"
}

// GradeTLS grades one TLS endpoint at time now, with the HSTS facts of
// the same target for A+. It never fails: what it cannot decide widens
// the range between Best and Worst.
func GradeTLS(o posture.TLSObservation, hsts HSTSFacts, now time.Time) Grade {
	g := &gradeInput{o: o, hsts: hsts, now: now, proto: map[string]posture.Tri{}}
	for _, name := range posture.ProtocolNames {
		st, _ := protocolState(o, name)
		g.proto[name] = st
	}
	enumerated := map[string]bool{}
	for _, p := range o.Suites {
		enumerated[p.Protocol] = true
	}
	g.gap = suiteGap(o, enumerated)

	out := Grade{Score: -1}
	s, why := score(g)
	best, worst, noTrust := "F", "F", "F"
	if s >= 0 {
		out.Score = s
		best, worst, noTrust = scoreLetter(s), scoreLetter(s), scoreLetter(s)
		if s < 80 {
			out.Capped = append(out.Capped, GradeHit{ID: "score", Cap: best, Detail: fmt.Sprintf("score %d", s)})
		}
	} else {
		best, worst, noTrust = "A+", "F", "A+"
		out.Unknown = append(out.Unknown, GradeHit{ID: "score", Cap: "F", Detail: why})
	}
	trustApplies := false
	for _, r := range gradeRules {
		st, detail := r.applies(g)
		switch st {
		case posture.Yes:
			best, worst = worse(best, r.Cap), worse(worst, r.Cap)
			out.Capped = append(out.Capped, GradeHit{ID: r.ID, Cap: r.Cap, Detail: detail})
			if r.Trust {
				trustApplies = true
			} else {
				noTrust = worse(noTrust, r.Cap)
			}
		case posture.Unknown:
			worst = worse(worst, r.Cap)
			out.Unknown = append(out.Unknown, GradeHit{ID: r.ID, Cap: r.Cap, Detail: detail})
		}
	}
	slices.SortStableFunc(out.Capped, func(a, b GradeHit) int { return gradeRank(b.Cap) - gradeRank(a.Cap) })
	out.Best, out.Worst = best, worst
	if trustApplies {
		out.IgnoringTrust = noTrust
	}
	return out
}
