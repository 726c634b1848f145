package tlsscan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"syscall"

	"github.com/vouchdev/vouch/posture"
)

// Limits on what one probe reads. A record may carry at most 2^14 bytes of
// plaintext plus 2048 of expansion (RFC 5246 §6.2.3); a ServerHello is far
// smaller, but it may share its record with the Certificate message.
const (
	maxRecordLen    = 16384 + 2048
	maxProbeBytes   = 64 << 10
	maxProbeRecords = 32
	maxServerHello  = 16384 // bytes of ServerHello body we accept
)

// helloRetryRandom is the random of a HelloRetryRequest: SHA-256 of
// "HelloRetryRequest" (RFC 8446 §4.1.3).
var helloRetryRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// Downgrade sentinels in the last eight bytes of a server random (RFC 8446
// §4.1.3): a TLS 1.3 server negotiating TLS 1.2, or 1.1 and below.
var (
	downgradeTLS12 = []byte{0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01}
	downgradeTLS11 = []byte{0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00}
)

// serverHello is what a probe learns from a ServerHello.
type serverHello struct {
	// legacyVersion is the version field; version is what was
	// negotiated: supported_versions when present, else legacyVersion.
	legacyVersion uint16
	version       uint16
	random        [32]byte
	sessionID     []byte
	suite         uint16
	compression   uint8
	// extensions lists the extension types in the order sent.
	extensions []uint16
	// group is the key_share group of a TLS 1.3 ServerHello, or the group
	// a HelloRetryRequest asks for.
	group uint16
	// retry is set for a HelloRetryRequest.
	retry bool
	alpn  string
	// downgrade is "TLSv1.2" or "TLSv1.1" when the random carries a
	// downgrade sentinel.
	downgrade string
}

// alert is a TLS alert (RFC 8446 §6).
type alert struct {
	level       uint8
	description uint8
}

var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
	22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
	42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
	45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
	49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
	70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
	86: "inappropriate_fallback", 90: "user_canceled", 100: "no_renegotiation",
	109: "missing_extension", 110: "unsupported_extension", 112: "unrecognized_name",
	113: "bad_certificate_status_response", 115: "unknown_psk_identity", 116: "certificate_required",
	120: "no_application_protocol",
}

func (a alert) String() string {
	if n, ok := alertNames[a.description]; ok {
		return n
	}
	return fmt.Sprintf("alert(%d)", a.description)
}

// refusesHello reports whether the alert is a server's way of saying it
// will not negotiate what the hello offered (version, suites, groups), as
// opposed to an error of its own (internal_error) or a name it does not
// serve (unrecognized_name).
func (a alert) refusesHello() bool {
	switch a.description {
	case 10, 40, 47, 50, 70, 71, 86, 109, 110:
		return true
	}
	return false
}

// protocolError is a reply that is not TLS, or not TLS we can read.
type protocolError struct{ detail string }

func (e *protocolError) Error() string { return "tlsscan: protocol error: " + e.detail }

func (e *protocolError) MissingReason() posture.Reason { return posture.ReasonProtocolError }

func protoErrorf(format string, args ...any) error {
	return &protocolError{detail: fmt.Sprintf(format, args...)}
}

// errTooLarge: the peer sent more than a probe reads before a ServerHello.
var errTooLarge = posture.WithReason(posture.ReasonTooLarge, errors.New("tlsscan: reply exceeds read limit"))

// errPeerClosed: the peer closed or reset the connection without a word.
var errPeerClosed = errors.New("tlsscan: connection closed by peer")

// reply is the answer to a ClientHello: a ServerHello or a fatal alert.
type reply struct {
	hello *serverHello
	alert *alert
	// kx is the ServerKeyExchange that followed the ServerHello, when the
	// read was asked to go that far and got there.
	kx *keyExchange
}

// Handshake message types read after a ServerHello (RFC 5246 §7.4).
const (
	handshakeServerKeyExchange uint8 = 12
	handshakeServerHelloDone   uint8 = 14
)

// readReply reads records from r until the first handshake message is
// complete or a fatal alert arrives. It reads at most maxProbeBytes and
// maxProbeRecords; anything else is a *protocolError, errTooLarge,
// errPeerClosed, or the read error (a timeout).
func readReply(r io.Reader) (reply, error) { return readReplyKX(r, false) }

// readReplyKX is readReply that, when wantKX is set and the ServerHello
// chose an (EC)DHE suite of TLS 1.2 or older, reads on through the same
// flight (Certificate, CertificateStatus) to the ServerKeyExchange. What
// goes wrong after the ServerHello leaves kx nil but never the reply: the
// ServerHello alone answers the probe.
func readReplyKX(r io.Reader, wantKX bool) (reply, error) {
	lr := &io.LimitedReader{R: r, N: maxProbeBytes}
	var rep reply
	var hs []byte // handshake bytes not yet consumed
	var seen int  // bytes read so far
	for i := 0; i < maxProbeRecords; i++ {
		var hdr [5]byte
		n, err := io.ReadFull(lr, hdr[:])
		seen += n
		if rep.hello != nil && err != nil {
			return rep, nil
		}
		if err != nil {
			return reply{}, readError(err, n == 0, seen, lr)
		}
		typ, major, length := hdr[0], hdr[1], int(hdr[3])<<8|int(hdr[4])
		if typ&0x80 != 0 && seen == 5 {
			return reply{}, protoErrorf("SSLv2 record header % x", hdr)
		}
		if typ < recordChangeCipherSpec || typ > recordApplicationData || major != 3 {
			if rep.hello != nil {
				return rep, nil
			}
			return reply{}, protoErrorf("not a TLS record: %q", printable(hdr[:]))
		}
		if length > maxRecordLen {
			if rep.hello != nil {
				return rep, nil
			}
			return reply{}, protoErrorf("record of %d bytes exceeds %d", length, maxRecordLen)
		}
		body := make([]byte, length)
		n, err = io.ReadFull(lr, body)
		seen += n
		if rep.hello != nil && err != nil {
			return rep, nil
		}
		if err != nil {
			return reply{}, readError(err, false, seen, lr)
		}
		switch typ {
		case recordAlert:
			if rep.hello != nil {
				return rep, nil
			}
			if length != 2 {
				return reply{}, protoErrorf("alert record of %d bytes", length)
			}
			a := alert{level: body[0], description: body[1]}
			if a.level == 1 && a.description != 0 {
				continue // a warning (unrecognized_name, say): keep reading
			}
			return reply{alert: &a}, nil
		case recordHandshake:
			if length == 0 {
				if rep.hello != nil {
					return rep, nil
				}
				return reply{}, protoErrorf("empty handshake record")
			}
			hs = append(hs, body...)
			for len(hs) >= 4 {
				mtyp := hs[0]
				mlen := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
				if rep.hello == nil {
					if mtyp != handshakeServerHello {
						return reply{}, protoErrorf("handshake message %d where ServerHello (2) was due", mtyp)
					}
					if mlen > maxServerHello {
						return reply{}, protoErrorf("ServerHello of %d bytes", mlen)
					}
				}
				if len(hs) < 4+mlen {
					break
				}
				msg := hs[4 : 4+mlen]
				hs = hs[4+mlen:]
				if rep.hello == nil {
					h, err := parseServerHello(msg)
					if err != nil {
						return reply{}, err
					}
					rep.hello = h
					if !wantKX || h.retry || h.version >= versionTLS13 || kxOf(h.suite) == kxOther {
						return rep, nil
					}
					continue
				}
				switch mtyp {
				case handshakeServerKeyExchange:
					rep.kx = parseServerKeyExchange(msg, rep.hello.suite)
					return rep, nil
				case handshakeServerHelloDone:
					return rep, nil
				}
			}
		default:
			if rep.hello != nil {
				return rep, nil
			}
			return reply{}, protoErrorf("record type %d before ServerHello", typ)
		}
	}
	if rep.hello != nil {
		return rep, nil
	}
	return reply{}, protoErrorf("no ServerHello in %d records", maxProbeRecords)
}

// Key exchange kinds of TLS 1.2-and-older suites.
const (
	kxOther = iota // RSA, static DH, PSK alone, ...: no ephemeral parameters
	kxECDHE        // ECDHE_* and ECDH_anon_*: a named curve in ServerKeyExchange
	kxDHE          // DHE_* and DH_anon_*: a finite-field prime in ServerKeyExchange
)

// kxOf tells the key exchange of a suite by its IANA name.
func kxOf(suite uint16) int {
	n := suiteName(suite)
	switch {
	case strings.HasPrefix(n, "TLS_ECDHE_"), strings.HasPrefix(n, "TLS_ECDH_anon_"):
		return kxECDHE
	case strings.HasPrefix(n, "TLS_DHE_"), strings.HasPrefix(n, "TLS_DH_anon_"):
		return kxDHE
	}
	return kxOther
}

// keyExchange is what a ServerKeyExchange says of the ephemeral key.
type keyExchange struct {
	group  uint16 // the named curve of an ECDHE exchange
	dhBits int    // the size of the prime of a DHE exchange
}

// parseServerKeyExchange reads the curve (RFC 8422 §5.4) or the DH prime
// (RFC 5246 §7.4.3) at the start of a ServerKeyExchange body; the
// signature after them is not checked. PSK suites put an identity hint
// first (RFC 4279 §2, RFC 5489 §2). It returns nil when the body is not
// what the suite promises.
func parseServerKeyExchange(b []byte, suite uint16) *keyExchange {
	r := reader{b}
	if strings.Contains(suiteName(suite), "_PSK_") {
		var hint []byte
		if !r.vec(2, &hint) {
			return nil
		}
	}
	switch kxOf(suite) {
	case kxECDHE:
		var curveType uint8
		var curve uint16
		if !r.u8(&curveType) || curveType != 3 || !r.u16(&curve) || curve == 0 { // 3: named_curve
			return nil
		}
		return &keyExchange{group: curve}
	case kxDHE:
		var p []byte
		if !r.vec(2, &p) {
			return nil
		}
		bits := new(big.Int).SetBytes(p).BitLen()
		if bits == 0 {
			return nil
		}
		return &keyExchange{dhBits: bits}
	}
	return nil
}

// readError turns a read failure into what it means for a probe.
// boundary is set when nothing of the next record had arrived.
func readError(err error, boundary bool, seen int, lr *io.LimitedReader) error {
	switch {
	case lr.N <= 0:
		return errTooLarge
	case boundary && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		return errPeerClosed
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return protoErrorf("connection closed after %d bytes, inside a record", seen)
	}
	return err
}

// parseServerHello parses the body of a ServerHello handshake message
// (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3; SSLv3 has no extensions).
func parseServerHello(b []byte) (*serverHello, error) {
	r := reader{b}
	h := &serverHello{}
	var random, exts []byte
	if !r.u16(&h.legacyVersion) || !r.bytes(32, &random) || !r.vec(1, &h.sessionID) ||
		!r.u16(&h.suite) || !r.u8(&h.compression) {
		return nil, protoErrorf("truncated ServerHello")
	}
	if len(h.sessionID) > 32 {
		return nil, protoErrorf("session id of %d bytes", len(h.sessionID))
	}
	copy(h.random[:], random)
	h.version = h.legacyVersion
	h.retry = h.random == helloRetryRandom
	if !r.empty() {
		if !r.vec(2, &exts) || !r.empty() {
			return nil, protoErrorf("malformed ServerHello extensions")
		}
	}
	er := reader{exts}
	seen := map[uint16]bool{}
	for !er.empty() {
		var typ uint16
		var data []byte
		if !er.u16(&typ) || !er.vec(2, &data) {
			return nil, protoErrorf("malformed extension")
		}
		if seen[typ] {
			return nil, protoErrorf("extension %d sent twice", typ)
		}
		seen[typ] = true
		h.extensions = append(h.extensions, typ)
		d := reader{data}
		switch typ {
		case extSupportedVersions:
			if !d.u16(&h.version) || !d.empty() {
				return nil, protoErrorf("malformed supported_versions")
			}
		case extKeyShare:
			if !d.u16(&h.group) {
				return nil, protoErrorf("malformed key_share")
			}
			if !h.retry {
				var key []byte
				if !d.vec(2, &key) || len(key) == 0 || !d.empty() {
					return nil, protoErrorf("malformed key_share")
				}
			}
		case extALPN:
			var list, proto []byte
			if !d.vec(2, &list) || !d.empty() {
				return nil, protoErrorf("malformed ALPN")
			}
			l := reader{list}
			if !l.vec(1, &proto) || !l.empty() {
				return nil, protoErrorf("malformed ALPN")
			}
			h.alpn = string(proto)
		}
	}
	if h.version != versionTLS13 {
		switch tail := h.random[24:]; {
		case bytes.Equal(tail, downgradeTLS12):
			h.downgrade = versionName(versionTLS12)
		case bytes.Equal(tail, downgradeTLS11):
			h.downgrade = versionName(versionTLS11)
		}
	}
	return h, nil
}

// printable renders the first bytes of a non-TLS reply for a message.
func printable(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out = append(out, c)
	}
	return string(out)
}
