package tlsscan

import (
	"crypto/ecdh"
	"fmt"
	"io"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// Protocol versions as they appear on the wire.
const (
	versionSSL30 uint16 = 0x0300
	versionTLS10 uint16 = 0x0301
	versionTLS11 uint16 = 0x0302
	versionTLS12 uint16 = 0x0303
	versionTLS13 uint16 = 0x0304
)

// versionName returns the posture name of a wire version, or its id as
// 0x0305 when it is none of the five.
func versionName(v uint16) string {
	switch v {
	case versionSSL30:
		return posture.SSLv3
	case versionTLS10:
		return posture.TLSv1_0
	case versionTLS11:
		return posture.TLSv1_1
	case versionTLS12:
		return posture.TLSv1_2
	case versionTLS13:
		return posture.TLSv1_3
	}
	return fmt.Sprintf("0x%04X", v)
}

// Record content types (RFC 8446 §5.1).
const (
	recordChangeCipherSpec uint8 = 20
	recordAlert            uint8 = 21
	recordHandshake        uint8 = 22
	recordApplicationData  uint8 = 23
)

// Handshake message types.
const (
	handshakeClientHello uint8 = 1
	handshakeServerHello uint8 = 2
)

// Extension types (IANA "TLS ExtensionType Values").
const (
	extServerName          uint16 = 0
	extSupportedGroups     uint16 = 10
	extECPointFormats      uint16 = 11
	extSignatureAlgorithms uint16 = 13
	extALPN                uint16 = 16
	extPadding             uint16 = 21
	extExtendedMasterSec   uint16 = 23
	extSupportedVersions   uint16 = 43
	extKeyShare            uint16 = 51
	extRenegotiationInfo   uint16 = 0xff01
)

// Named groups (RFC 8446 §4.2.7, RFC 7919).
const (
	groupSecp256r1 uint16 = 0x0017
	groupSecp384r1 uint16 = 0x0018
	groupSecp521r1 uint16 = 0x0019
	groupX25519    uint16 = 0x001D
	groupX448      uint16 = 0x001E
	groupFFDHE2048 uint16 = 0x0100
	groupFFDHE3072 uint16 = 0x0101
	groupFFDHE4096 uint16 = 0x0102
	groupFFDHE6144 uint16 = 0x0103
	groupFFDHE8192 uint16 = 0x0104
)

// Post-quantum and hybrid groups (draft-ietf-tls-mlkem,
// draft-ietf-tls-ecdhe-mlkem).
const (
	groupMLKEM512           uint16 = 0x0200
	groupMLKEM768           uint16 = 0x0201
	groupMLKEM1024          uint16 = 0x0202
	groupSecP256r1MLKEM768  uint16 = 0x11EB
	groupX25519MLKEM768     uint16 = 0x11EC
	groupSecP384r1MLKEM1024 uint16 = 0x11ED
)

// groupNames are the IANA names of the "TLS Supported Groups" registry.
var groupNames = map[uint16]string{
	1: "sect163k1", 2: "sect163r1", 3: "sect163r2", 4: "sect193r1", 5: "sect193r2",
	6: "sect233k1", 7: "sect233r1", 8: "sect239k1", 9: "sect283k1", 10: "sect283r1",
	11: "sect409k1", 12: "sect409r1", 13: "sect571k1", 14: "sect571r1",
	15: "secp160k1", 16: "secp160r1", 17: "secp160r2", 18: "secp192k1", 19: "secp192r1",
	20: "secp224k1", 21: "secp224r1", 22: "secp256k1",
	groupSecp256r1: "secp256r1",
	groupSecp384r1: "secp384r1",
	groupSecp521r1: "secp521r1",
	26:             "brainpoolP256r1",
	27:             "brainpoolP384r1",
	28:             "brainpoolP512r1",
	groupX25519:    "x25519",
	groupX448:      "x448",
	31:             "brainpoolP256r1tls13",
	32:             "brainpoolP384r1tls13",
	33:             "brainpoolP512r1tls13",
	groupFFDHE2048: "ffdhe2048",
	groupFFDHE3072: "ffdhe3072",
	groupFFDHE4096: "ffdhe4096",
	groupFFDHE6144: "ffdhe6144",
	groupFFDHE8192: "ffdhe8192",

	groupMLKEM512:           "MLKEM512",
	groupMLKEM768:           "MLKEM768",
	groupMLKEM1024:          "MLKEM1024",
	groupSecP256r1MLKEM768:  "SecP256r1MLKEM768",
	groupX25519MLKEM768:     "X25519MLKEM768",
	groupSecP384r1MLKEM1024: "SecP384r1MLKEM1024",
}

func groupName(g uint16) string {
	if n, ok := groupNames[g]; ok {
		return n
	}
	return fmt.Sprintf("0x%04X", g)
}

// defaultGroups are offered in supported_groups unless a probe names its own.
var defaultGroups = []uint16{
	groupX25519, groupSecp256r1, groupSecp384r1, groupSecp521r1, groupX448,
	groupFFDHE2048, groupFFDHE3072, groupFFDHE4096, groupFFDHE6144, groupFFDHE8192,
}

// signatureSchemes offered in signature_algorithms (RFC 8446 §4.2.3),
// modern first, then the SHA-1, SHA-224 and DSA pairs of RFC 5246.
var signatureSchemes = []uint16{
	0x0403, 0x0503, 0x0603, // ecdsa_secp{256,384,521}r1_sha{256,384,512}
	0x0807, 0x0808, // ed25519, ed448
	0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha{256,384,512}
	0x0809, 0x080A, 0x080B, // rsa_pss_pss_sha{256,384,512}
	0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha{256,384,512}
	0x0303, 0x0301, 0x0302, // ecdsa, rsa, dsa with SHA-224
	0x0203, 0x0201, 0x0202, // ecdsa_sha1, rsa_pkcs1_sha1, dsa_sha1
	0x0402, 0x0502, 0x0602, // dsa with SHA-2
}

// helloSpec is what one ClientHello offers. The version probes use one
// broad spec per version; cipher suite enumeration will send the same
// hello again and again with the suites already seen taken out.
type helloSpec struct {
	// version is the version probed. Up to TLS 1.2 it is the hello's
	// legacy_version; TLS 1.3 is offered through supported_versions only
	// (RFC 8446 §4.2.1), with legacy_version 0x0303.
	version uint16
	suites  []uint16
	// groups go into supported_groups; nil means defaultGroups.
	groups []uint16
	// keyShares are the groups a TLS 1.3 hello sends a key for; nil
	// means x25519 alone. A server preferring another group answers
	// with a HelloRetryRequest, which already proves TLS 1.3.
	keyShares []uint16
	// serverName goes into server_name; empty for IP targets.
	serverName string
	// alpn, when set, is offered in application_layer_protocol_negotiation.
	alpn []string
	// fallbackSCSV appends TLS_FALLBACK_SCSV (RFC 7507) to the suites: the
	// one probe that asks whether the server refuses a downgrade.
	fallbackSCSV bool
	// readKeyExchange makes the probe read on past a TLS 1.2-or-older
	// ServerHello that chose an (EC)DHE suite, to the ServerKeyExchange
	// of the same flight, which names the curve or holds the DH prime.
	readKeyExchange bool
}

// Signalling cipher suite values.
const (
	suiteEmptyRenegotiationInfo uint16 = 0x00FF // RFC 5746 §3.3
	suiteFallbackSCSV           uint16 = 0x5600 // RFC 7507
)

// buildClientHello encodes spec as one TLS record holding a ClientHello
// (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2). rand supplies the client random,
// the session id and the key shares.
//
// The SSLv3 hello carries no extensions and signals secure renegotiation
// with TLS_EMPTY_RENEGOTIATION_INFO_SCSV instead (RFC 5746 §3.3): SSLv3
// stacks predate extensions and some refuse them. Hellos below TLS 1.2
// leave out signature_algorithms, as RFC 5246 §7.4.1.4.1 asks. Only the
// downgrade probe carries TLS_FALLBACK_SCSV (RFC 7507): in any other hello
// it would make a server that speaks a newer version refuse the older one
// we are asking about.
func buildClientHello(spec helloSpec, rand io.Reader) ([]byte, error) {
	var random [32]byte
	if _, err := io.ReadFull(rand, random[:]); err != nil {
		return nil, fmt.Errorf("tlsscan: client random: %w", err)
	}
	var sessionID []byte
	legacyVersion := spec.version
	if spec.version >= versionTLS13 {
		legacyVersion = versionTLS12
		// A 32-byte session id, as RFC 8446 Appendix D.4 asks of clients
		// that want to pass middleboxes.
		sessionID = make([]byte, 32)
		if _, err := io.ReadFull(rand, sessionID); err != nil {
			return nil, fmt.Errorf("tlsscan: session id: %w", err)
		}
	}
	suites := spec.suites
	if spec.version == versionSSL30 {
		suites = append(append([]uint16(nil), suites...), suiteEmptyRenegotiationInfo)
	}
	if spec.fallbackSCSV {
		suites = append(append([]uint16(nil), suites...), suiteFallbackSCSV)
	}

	var exts []byte
	if spec.version > versionSSL30 {
		var err error
		if exts, err = helloExtensions(spec, rand); err != nil {
			return nil, err
		}
	}

	body := func(padding int) []byte {
		var w builder
		w.u16(legacyVersion)
		w.raw(random[:])
		w.vec(1, func(w *builder) { w.raw(sessionID) })
		w.vec(2, func(w *builder) {
			for _, s := range suites {
				w.u16(s)
			}
		})
		w.vec(1, func(w *builder) { w.u8(0) }) // compression: null only
		if exts != nil {
			w.vec(2, func(w *builder) {
				w.raw(exts)
				if padding >= 0 {
					w.u16(extPadding)
					w.vec(2, func(w *builder) { w.raw(make([]byte, padding)) })
				}
			})
		}
		return w.b
	}
	b := body(-1)
	// Some load balancers hang on hellos of 256 to 511 bytes; the padding
	// extension (RFC 7685) takes the message to 512.
	if n := len(b) + 4; exts != nil && n >= 256 && n < 512 {
		b = body(max(0, 512-n-4))
	}
	if len(b) > 16384-4 {
		return nil, fmt.Errorf("tlsscan: client hello of %d bytes does not fit a record", len(b))
	}

	recordVersion := versionTLS10
	if spec.version == versionSSL30 {
		recordVersion = versionSSL30
	}
	var w builder
	w.u8(recordHandshake)
	w.u16(recordVersion)
	w.vec(2, func(w *builder) {
		w.u8(handshakeClientHello)
		w.u24(len(b))
		w.raw(b)
	})
	return w.b, nil
}

func helloExtensions(spec helloSpec, rand io.Reader) ([]byte, error) {
	var w builder
	ext := func(typ uint16, body func(*builder)) {
		w.u16(typ)
		w.vec(2, body)
	}
	if name := strings.TrimSuffix(spec.serverName, "."); name != "" {
		ext(extServerName, func(w *builder) {
			w.vec(2, func(w *builder) {
				w.u8(0) // host_name
				w.vec(2, func(w *builder) { w.raw([]byte(name)) })
			})
		})
	}
	groups := spec.groups
	if groups == nil {
		groups = defaultGroups
	}
	ext(extSupportedGroups, func(w *builder) {
		w.vec(2, func(w *builder) {
			for _, g := range groups {
				w.u16(g)
			}
		})
	})
	ext(extECPointFormats, func(w *builder) {
		w.vec(1, func(w *builder) { w.u8(0) }) // uncompressed
	})
	if spec.version >= versionTLS12 {
		ext(extSignatureAlgorithms, func(w *builder) {
			w.vec(2, func(w *builder) {
				for _, s := range signatureSchemes {
					w.u16(s)
				}
			})
		})
	}
	if len(spec.alpn) > 0 {
		ext(extALPN, func(w *builder) {
			w.vec(2, func(w *builder) {
				for _, p := range spec.alpn {
					w.vec(1, func(w *builder) { w.raw([]byte(p)) })
				}
			})
		})
	}
	ext(extExtendedMasterSec, func(*builder) {})
	ext(extRenegotiationInfo, func(w *builder) {
		w.vec(1, func(*builder) {}) // empty: initial handshake
	})
	if spec.version >= versionTLS13 {
		ext(extSupportedVersions, func(w *builder) {
			w.vec(1, func(w *builder) { w.u16(spec.version) })
		})
		// An empty, non-nil list sends no key share at all (RFC 8446
		// §4.2.8 allows it): the server must answer with a
		// HelloRetryRequest naming the group it prefers.
		shares := spec.keyShares
		if shares == nil {
			shares = []uint16{groupX25519}
		}
		var keys [][]byte
		for _, g := range shares {
			k, err := keyShare(g, rand)
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
		ext(extKeyShare, func(w *builder) {
			w.vec(2, func(w *builder) {
				for i, g := range shares {
					w.u16(g)
					w.vec(2, func(w *builder) { w.raw(keys[i]) })
				}
			})
		})
	}
	return w.b, nil
}

// keyShare returns a fresh public key for group. The private half is
// dropped: a probe never completes the handshake.
func keyShare(group uint16, rand io.Reader) ([]byte, error) {
	var c ecdh.Curve
	switch group {
	case groupX25519:
		c = ecdh.X25519()
	case groupSecp256r1:
		c = ecdh.P256()
	case groupSecp384r1:
		c = ecdh.P384()
	case groupSecp521r1:
		c = ecdh.P521()
	default:
		return nil, fmt.Errorf("tlsscan: no key share for group %s", groupName(group))
	}
	k, err := c.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("tlsscan: key share %s: %w", groupName(group), err)
	}
	return k.PublicKey().Bytes(), nil
}
