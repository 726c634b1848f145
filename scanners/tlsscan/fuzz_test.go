package tlsscan

import (
	"bytes"
	"crypto/tls"
	"errors"
	"os/exec"
	"testing"

	"github.com/vouchdev/vouch/internal/pki"
)

// realReplies captures what real servers answer to our hellos: Go's
// crypto/tls (TLS 1.2, TLS 1.3, a HelloRetryRequest, a protocol_version
// alert) and, where installed, openssl s_server.
func realReplies(t testing.TB) [][]byte {
	ca := newCA(t)
	ec := issue(t, ca, pki.LeafOptions{})
	rsa := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	both, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{ec.TLSCertificate(ca, true)}})
	rsa12, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{rsa.TLSCertificate(ca, true)}, MaxVersion: tls.VersionTLS12})
	hrr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{ec.TLSCertificate(ca, false)}, CurvePreferences: []tls.CurveID{tls.CurveP256}})
	out := [][]byte{
		captureReply(t, both, specFor(versionTLS13, "localhost")),
		captureReply(t, both, specFor(versionTLS12, "localhost")),
		captureReply(t, both, specFor(versionTLS10, "")),
		captureReply(t, rsa12, specFor(versionTLS12, "")),
		captureReply(t, hrr, specFor(versionTLS13, "")),
	}
	if _, err := exec.LookPath("openssl"); err == nil {
		legacy := startOpenSSL(t, rsa, "-cipher", "DEFAULT:@SECLEVEL=0")
		for _, v := range []uint16{versionSSL30, versionTLS10, versionTLS11, versionTLS12, versionTLS13} {
			out = append(out, captureReply(t, legacy, specFor(v, "")))
		}
	}
	return out
}

// FuzzReadReply feeds arbitrary server bytes to the record reader and the
// ServerHello parser: no panic, no read past the limits, consistent
// results.
func FuzzReadReply(f *testing.F) {
	for _, r := range realReplies(f) {
		f.Add(r)
	}
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Add([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		rep, err := readReply(r)
		if read := len(data) - r.Len(); read > maxProbeBytes {
			t.Fatalf("read %d bytes, limit %d", read, maxProbeBytes)
		}
		if err != nil {
			var pe *protocolError
			if !errors.As(err, &pe) && !errors.Is(err, errPeerClosed) && !errors.Is(err, errTooLarge) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if rep.hello != nil || rep.alert != nil {
				t.Fatal("error with a reply")
			}
			return
		}
		if (rep.hello == nil) == (rep.alert == nil) {
			t.Fatalf("want exactly one of hello and alert: %+v", rep)
		}
		if h := rep.hello; h != nil {
			checkHello(t, h)
		}
		// Reading on to the ServerKeyExchange never changes the answer
		// to the hello, and reads no more than the limit either.
		rk := bytes.NewReader(data)
		kx, kerr := readReplyKX(rk, true)
		if read := len(data) - rk.Len(); read > maxProbeBytes {
			t.Fatalf("KX read %d bytes, limit %d", read, maxProbeBytes)
		}
		if kerr != nil || (kx.hello == nil) != (rep.hello == nil) || (kx.alert == nil) != (rep.alert == nil) ||
			(kx.hello != nil && kx.hello.suite != rep.hello.suite) {
			t.Fatalf("KX read disagrees: %+v %v, plain %+v", kx, kerr, rep)
		}
		if kx.kx != nil && kxOf(kx.hello.suite) == kxOther {
			t.Fatalf("key exchange %+v for %s", kx.kx, suiteName(kx.hello.suite))
		}
	})
}

// FuzzServerKeyExchange feeds arbitrary ServerKeyExchange bodies to the
// parser for an ECDHE, a DHE and a PSK suite.
func FuzzServerKeyExchange(f *testing.F) {
	f.Add([]byte{3, 0, 0x1d, 32})
	f.Add([]byte{0, 2, 0xff, 0xff, 0, 1, 2})
	f.Add([]byte{0, 0, 3, 0, 0x17})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, suite := range []uint16{0xC02F, 0x0033, 0xC035, 0x002F} {
			kx := parseServerKeyExchange(body, suite)
			if kx == nil {
				continue
			}
			if kxOf(suite) == kxOther || (kx.group == 0) == (kx.dhBits == 0) || kx.dhBits > 8*len(body) {
				t.Fatalf("suite %04x: %+v from %x", suite, kx, body)
			}
		}
	})
}

// FuzzParseServerHello feeds arbitrary ServerHello bodies to the parser.
func FuzzParseServerHello(f *testing.F) {
	for _, r := range realReplies(f) {
		// The body of the first handshake message, when the reply has one.
		if len(r) > 9 && r[0] == recordHandshake && r[5] == handshakeServerHello {
			n := int(r[6])<<16 | int(r[7])<<8 | int(r[8])
			if 9+n <= len(r) {
				f.Add(r[9 : 9+n])
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := parseServerHello(body)
		if err != nil {
			return
		}
		checkHello(t, h)
	})
}

func checkHello(t *testing.T, h *serverHello) {
	t.Helper()
	if len(h.sessionID) > 32 {
		t.Fatalf("session id of %d bytes accepted", len(h.sessionID))
	}
	if h.retry != (h.random == helloRetryRandom) {
		t.Fatal("retry flag disagrees with the random")
	}
	if h.downgrade != "" && h.version == versionTLS13 {
		t.Fatal("downgrade sentinel on a TLS 1.3 hello")
	}
	seen := map[uint16]bool{}
	for _, e := range h.extensions {
		if seen[e] {
			t.Fatalf("extension %d twice", e)
		}
		seen[e] = true
	}
}

// The captured replies parse as what they are.
func TestRealReplies(t *testing.T) {
	replies := realReplies(t)
	want := []struct {
		hello   bool
		version uint16
		retry   bool
	}{
		{true, versionTLS13, false},
		{true, versionTLS12, false},
		{false, 0, false},
		{true, versionTLS12, false},
		{true, versionTLS13, true},
	}
	for i, w := range want {
		rep, err := readReply(bytes.NewReader(replies[i]))
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		if (rep.hello != nil) != w.hello || (w.hello && (rep.hello.version != w.version || rep.hello.retry != w.retry)) {
			t.Errorf("reply %d: %+v, want hello %v version %04x retry %v", i, rep.hello, w.hello, w.version, w.retry)
		}
	}
}
