package tlsscan

import (
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// suitesWant is what enumeration must report for one protocol.
type suitesWant struct {
	accepted []string
	order    posture.Tri
}

// checkSuites compares the enumerated suites with the wanted ones, and
// checks the probe count of the efficient algorithm: accepted+1 hellos per
// protocol (the version probe, one per further suite, one refused), plus
// one order test when two or more suites were accepted.
func checkSuites(t *testing.T, o posture.TLSObservation, want12, want13 *suitesWant) {
	t.Helper()
	got := map[string]posture.CipherSuiteProbe{}
	for _, p := range o.Suites {
		got[p.Protocol] = p
		wantProbes := enumerationProbes(p)
		if p.Probes != wantProbes {
			t.Errorf("tlsscan: %s enumeration used %d probes, want %d for %d suites", p.Protocol, p.Probes, wantProbes, len(p.Accepted))
		}
		if p.Missing != nil {
			t.Errorf("tlsscan: %s enumeration incomplete: %v", p.Protocol, p.Missing)
		}
	}
	for proto, w := range map[string]*suitesWant{posture.TLSv1_2: want12, posture.TLSv1_3: want13} {
		p, ok := got[proto]
		if w == nil {
			if ok {
				t.Errorf("tlsscan: %s suites %v, want none", proto, p.Accepted)
			}
			continue
		}
		if !slices.Equal(p.Accepted, w.accepted) || p.ServerOrder != w.order {
			t.Errorf("tlsscan: %s suites %v order %q, want %v order %q", proto, p.Accepted, p.ServerOrder, w.accepted, w.order)
		}
	}
}

// enumerationProbes is the cost of the suite enumeration p (removal.go).
func enumerationProbes(p posture.CipherSuiteProbe) int {
	v := versionByName(p.Protocol)
	return removalProbes(len(p.Accepted), len(specFor(v, "").suites), suiteChunks(v, netlimit.DefaultPerHost), p.ServerOrder)
}

// removalProbes is the cost of enumerating n accepted items of m
// candidates in k chunks, when the order found is order. In one chain:
// n+1 hellos (the first answer, one per further item, one refused), no
// refused one when every candidate was accepted, and one reversed-order
// hello when there are two or more. In chunks: the n picks and the
// reversed hint beside the first answer; then one chain (one refusal)
// when the hint says the server has an order of its own or only one item
// was accepted, else one refusal per chunk and, when the hint did not
// settle the order (unknown), the reversed-order hello.
func removalProbes(n, m, k int, order posture.Tri) int {
	if k == 1 || m < 3 {
		probes := n + 1
		if n == m {
			probes--
		}
		if n >= 2 {
			probes++
		}
		return probes
	}
	probes := n + 1
	switch {
	case n == 1 || order == posture.Yes:
		probes++
	default:
		probes += min(k, m-1)
		if order == posture.Unknown {
			probes++
		}
	}
	return probes
}

// serverHelloRecord is a minimal TLS 1.2 ServerHello choosing suite.
func serverHelloRecord(suite uint16) []byte {
	var w builder
	w.u8(recordHandshake)
	w.u16(versionTLS12)
	w.vec(2, func(w *builder) {
		w.u8(handshakeServerHello)
		w.u24(38)
		w.u16(versionTLS12)
		w.raw(make([]byte, 32)) // random
		w.u8(0)                 // session id
		w.u16(suite)
		w.u8(0) // compression
	})
	return w.b
}

// helloSuites returns the cipher suites a ClientHello record offers, nil
// when the bytes read are too short to say.
func helloSuites(rec []byte) []uint16 {
	const head = 5 + 4 + 2 + 32 // record and handshake headers, version, random
	if len(rec) < head+1 {
		return nil
	}
	i := head + 1 + int(rec[head]) // past the session id
	if len(rec) < i+2 {
		return nil
	}
	n := int(rec[i])<<8 | int(rec[i+1])
	i += 2
	if len(rec) < i+n {
		return nil
	}
	var out []uint16
	for j := i; j+1 < i+n; j += 2 {
		out = append(out, uint16(rec[j])<<8|uint16(rec[j+1]))
	}
	return out
}

// Servers that break enumeration: it stops, bounded, keeps what it saw
// and says why it is incomplete.
func TestEnumerateHostile(t *testing.T) {
	tests := []struct {
		name   string
		reply  func(first bool, c net.Conn) // first: the TLS 1.2 version probe's hello
		reason posture.Reason
		probes int // TLS 1.2 enumeration connections
	}{
		{
			// Picks the same suite even when it is no longer offered: a
			// naive loop would never end.
			name:   "same suite always",
			reply:  func(_ bool, c net.Conn) { c.Write(serverHelloRecord(0xC02F)) },
			reason: posture.ReasonProtocolError, probes: 3, // the version probe, the reversed hint, the one refused
		},
		{
			// Answers the TLS 1.2 version probe, and is silent to every
			// other hello.
			name: "silent after one",
			reply: func(first bool, c net.Conn) {
				if first {
					c.Write(serverHelloRecord(0xC02F))
					return
				}
				time.Sleep(600 * time.Millisecond)
			},
			reason: posture.ReasonTimeout, probes: 3, // the version probe, the reversed hint that timed out, the chain's next hello that timed out too
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			probed := false
			addr := serveRaw(t, func(c net.Conn) {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 4096)
				n, _ := io.ReadAtLeast(c, buf, 5+4+2+32+1) // the hello
				mu.Lock()
				first := !probed && slices.Equal(helloSuites(buf[:n]), suitesTLS12)
				probed = probed || first
				mu.Unlock()
				tc.reply(first, c)
			})
			start := time.Now()
			o := scanOne(t, New(Options{Timeout: 200 * time.Millisecond}), addr)
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("tlsscan: scan took %s", took)
			}
			if len(o.Suites) != 1 {
				t.Fatalf("tlsscan: suites %+v, want TLS 1.2 only", o.Suites)
			}
			p := o.Suites[0]
			if p.Protocol != posture.TLSv1_2 || !slices.Equal(p.Accepted, []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}) ||
				p.Probes != tc.probes || p.ServerOrder != unk {
				t.Errorf("tlsscan: suites %+v", p)
			}
			if p.Missing == nil || p.Missing.Reason != tc.reason {
				t.Errorf("tlsscan: Missing %v, want reason %s", p.Missing, tc.reason)
			}
		})
	}
}
