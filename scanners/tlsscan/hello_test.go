package tlsscan

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"slices"
	"testing"
	"time"
)

// Go's own server parses our hellos: what it reads must be exactly what
// the spec offered.
func TestClientHelloParsedByGo(t *testing.T) {
	for _, v := range []uint16{versionTLS10, versionTLS11, versionTLS12, versionTLS13} {
		t.Run(versionName(v), func(t *testing.T) {
			got := make(chan *tls.ClientHelloInfo, 1)
			stop := errors.New("seen")
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
				GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
					got <- h
					return nil, stop
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := ln.Accept()
				if err == nil {
					c.(*tls.Conn).Handshake()
					c.Close()
				}
			}()
			spec := specFor(v, "app.vouch.test")
			s := New(Options{Timeout: 2 * time.Second})
			r := s.probe(t.Context(), ln.Addr().String(), spec)
			if r.outcome == accepted {
				t.Fatalf("probe accepted by a server that refuses everything")
			}
			var h *tls.ClientHelloInfo
			select {
			case h = <-got:
			case <-time.After(2 * time.Second):
				t.Fatal("server never parsed the hello")
			}
			if h.ServerName != "app.vouch.test" {
				t.Errorf("ServerName %q", h.ServerName)
			}
			if !slices.Equal(h.CipherSuites, spec.suites) {
				t.Errorf("CipherSuites\n got %04x\nwant %04x", h.CipherSuites, spec.suites)
			}
			// Below TLS 1.3 Go lists every version up to legacy_version.
			wantVersions := []uint16{v}
			for w := v - 1; v < versionTLS13 && w >= versionTLS10; w-- {
				wantVersions = append(wantVersions, w)
			}
			if !slices.Equal(h.SupportedVersions, wantVersions) {
				t.Errorf("SupportedVersions %04x, want %04x", h.SupportedVersions, wantVersions)
			}
			var curves []uint16
			for _, c := range h.SupportedCurves {
				curves = append(curves, uint16(c))
			}
			if !slices.Equal(curves, defaultGroups) {
				t.Errorf("SupportedCurves %04x", curves)
			}
			if !slices.Equal(h.SupportedPoints, []uint8{0}) {
				t.Errorf("SupportedPoints %v", h.SupportedPoints)
			}
			var schemes []uint16
			for _, s := range h.SignatureSchemes {
				schemes = append(schemes, uint16(s))
			}
			wantSchemes := signatureSchemes
			if v < versionTLS12 {
				wantSchemes = nil
			}
			if !slices.Equal(schemes, wantSchemes) {
				t.Errorf("SignatureSchemes %04x, want %04x", schemes, wantSchemes)
			}
			wantExt := []uint16{extServerName, extSupportedGroups, extECPointFormats}
			if v >= versionTLS12 {
				wantExt = append(wantExt, extSignatureAlgorithms)
			}
			wantExt = append(wantExt, extExtendedMasterSec, extRenegotiationInfo)
			if v >= versionTLS13 {
				wantExt = append(wantExt, extSupportedVersions, extKeyShare)
			}
			if i := slices.Index(h.Extensions, extPadding); i >= 0 {
				wantExt = append(wantExt, extPadding)
			}
			if !slices.Equal(h.Extensions, wantExt) {
				t.Errorf("Extensions %v, want %v", h.Extensions, wantExt)
			}
		})
	}
}

// The encoder's structure: lengths agree, the SSLv3 hello carries the
// renegotiation SCSV and no extensions, no hello carries the fallback
// SCSV, and no hello is 256 to 511 bytes long.
func TestClientHelloEncoding(t *testing.T) {
	for _, v := range []uint16{versionSSL30, versionTLS10, versionTLS11, versionTLS12, versionTLS13} {
		for _, sni := range []string{"", "a.example", "a-rather-long-name-that-pushes-the-hello-past-the-boundary.example.com"} {
			for _, suites := range [][]uint16{nil, {0x002F}, suitesLegacy[:40], specFor(v, "").suites} {
				spec := helloSpec{version: v, serverName: sni, suites: suites}
				b, err := buildClientHello(spec, rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				if b[0] != recordHandshake || int(b[3])<<8|int(b[4]) != len(b)-5 {
					t.Fatalf("%s: bad record header % x", versionName(v), b[:5])
				}
				msg := b[5:]
				if msg[0] != handshakeClientHello || int(msg[1])<<16|int(msg[2])<<8|int(msg[3]) != len(msg)-4 {
					t.Fatalf("%s: bad handshake header % x", versionName(v), msg[:4])
				}
				if v > versionSSL30 && len(msg) >= 256 && len(msg) < 512 {
					t.Errorf("%s: hello of %d bytes (256..511 hangs some servers)", versionName(v), len(msg))
				}
				r := reader{msg[4:]}
				var legacy uint16
				var random, sid, cs, comp, exts []byte
				if !r.u16(&legacy) || !r.bytes(32, &random) || !r.vec(1, &sid) || !r.vec(2, &cs) || !r.vec(1, &comp) {
					t.Fatalf("%s: cannot parse own hello", versionName(v))
				}
				wantLegacy := min(v, versionTLS12)
				if legacy != wantLegacy {
					t.Errorf("legacy_version %04x, want %04x", legacy, wantLegacy)
				}
				var ids []uint16
				for i := 0; i+1 < len(cs); i += 2 {
					ids = append(ids, uint16(cs[i])<<8|uint16(cs[i+1]))
				}
				if slices.Contains(ids, 0x5600) {
					t.Errorf("%s: TLS_FALLBACK_SCSV offered", versionName(v))
				}
				if v == versionSSL30 {
					if !slices.Contains(ids, 0x00FF) || !r.empty() {
						t.Errorf("SSLv3 hello: SCSV %v, trailing %d bytes", slices.Contains(ids, 0x00FF), len(r.b))
					}
					continue
				}
				if !r.vec(2, &exts) || !r.empty() {
					t.Fatalf("%s: bad extensions block", versionName(v))
				}
				er := reader{exts}
				for !er.empty() {
					var typ uint16
					var data []byte
					if !er.u16(&typ) || !er.vec(2, &data) {
						t.Fatalf("%s: bad extension", versionName(v))
					}
				}
			}
		}
	}
}

// A real ServerHello from Go, parsed field by field.
func TestParseServerHelloFromGo(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pkiDefaults())
	addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, false)}})
	raw := captureReply(t, addr, specFor(versionTLS13, ""))
	rep, err := readReply(bytesReader(raw))
	if err != nil || rep.hello == nil {
		t.Fatalf("reply %+v err %v", rep, err)
	}
	h := rep.hello
	if h.legacyVersion != versionTLS12 || h.version != versionTLS13 || h.retry || h.group != groupX25519 ||
		len(h.sessionID) != 32 || suiteNames[h.suite] == "" || h.compression != 0 || h.downgrade != "" {
		t.Errorf("server hello %+v", h)
	}
	if !slices.Contains(h.extensions, extSupportedVersions) || !slices.Contains(h.extensions, extKeyShare) {
		t.Errorf("extensions %v", h.extensions)
	}
	raw = captureReply(t, addr, specFor(versionTLS12, ""))
	rep, err = readReply(bytesReader(raw))
	if err != nil || rep.hello == nil || rep.hello.version != versionTLS12 || rep.hello.downgrade != "TLSv1.2" {
		t.Errorf("TLS 1.2 reply of a TLS 1.3 server: %+v %v", rep.hello, err)
	}
	raw = captureReply(t, addr, specFor(versionTLS10, ""))
	rep, err = readReply(bytesReader(raw))
	if err != nil || rep.alert == nil || rep.alert.String() != "protocol_version" || rep.alert.level != 2 {
		t.Errorf("TLS 1.0 reply: %+v %v", rep, err)
	}
}
