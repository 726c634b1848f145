package tlsscan

import (
	"context"
	"encoding/xml"
	"io"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

// sslscanDoc is the part of `sslscan --xml=-` the comparison reads.
type sslscanDoc struct {
	Tests []struct {
		Protocols []struct {
			Type    string `xml:"type,attr"`
			Version string `xml:"version,attr"`
			Enabled string `xml:"enabled,attr"`
		} `xml:"protocol"`
		Ciphers []struct {
			Status  string `xml:"status,attr"`
			Version string `xml:"sslversion,attr"`
			Name    string `xml:"cipher,attr"`
			ID      string `xml:"id,attr"`
			DHBits  int    `xml:"dhebits,attr"`
		} `xml:"cipher"`
		Groups []struct {
			Version string `xml:"sslversion,attr"`
			ID      string `xml:"id,attr"`
		} `xml:"group"`
		Renegotiation []struct {
			Secure string `xml:"secure,attr"`
		} `xml:"renegotiation"`
	} `xml:"ssltest"`
}

// sslscanResult is what sslscan saw, in vouch's vocabulary: protocols
// offered and accepted suites by IANA name, per protocol.
type sslscanResult struct {
	protocols map[string]posture.Tri
	suites    map[string][]string
	groups    map[string][]string // by protocol, IANA group names
	dhBits    int                 // smallest DHE prime of any accepted suite
	// renegotiation is Yes or No when sslscan said whether secure
	// renegotiation is supported, "" when it said nothing.
	renegotiation posture.Tri
}

// parseSSLScan maps sslscan's XML onto vouch's names. Suites are named by
// the id attribute (the IANA code point) through vouch's table; sslscan
// prints OpenSSL's names, which the IANA registry does not use.
func parseSSLScan(t *testing.T, b []byte) sslscanResult {
	t.Helper()
	var doc sslscanDoc
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("tlsscan: sslscan XML: %v\n%s", err, b)
	}
	if len(doc.Tests) != 1 {
		t.Fatalf("tlsscan: sslscan XML has %d ssltest elements:\n%s", len(doc.Tests), b)
	}
	res := sslscanResult{protocols: map[string]posture.Tri{}, suites: map[string][]string{}, groups: map[string][]string{}}
	names := map[string]string{"ssl3": posture.SSLv3, "tls1.0": posture.TLSv1_0, "tls1.1": posture.TLSv1_1, "tls1.2": posture.TLSv1_2, "tls1.3": posture.TLSv1_3}
	for _, p := range doc.Tests[0].Protocols {
		if name, ok := names[p.Type+p.Version]; ok {
			res.protocols[name] = posture.TriOf(p.Enabled == "1")
		}
	}
	for _, c := range doc.Tests[0].Ciphers {
		id, err := strconv.ParseUint(strings.TrimPrefix(c.ID, "0x"), 16, 16)
		if err != nil {
			t.Fatalf("tlsscan: sslscan cipher %s has id %q", c.Name, c.ID)
		}
		proto := strings.Replace(c.Version, "SSLv3", posture.SSLv3, 1)
		res.suites[proto] = append(res.suites[proto], suiteName(uint16(id)))
		if c.DHBits > 0 && (res.dhBits == 0 || c.DHBits < res.dhBits) {
			res.dhBits = c.DHBits
		}
	}
	for _, g := range doc.Tests[0].Groups {
		id, err := strconv.ParseUint(strings.TrimPrefix(g.ID, "0x"), 16, 16)
		if err != nil {
			t.Fatalf("tlsscan: sslscan group id %q", g.ID)
		}
		res.groups[g.Version] = append(res.groups[g.Version], groupName(uint16(id)))
	}
	for _, r := range doc.Tests[0].Renegotiation {
		res.renegotiation = posture.TriOf(r.Secure == "1")
	}
	return res
}

// countingProxy forwards loopback connections to addr and counts them, so
// that two scanners' costs are measured on the same server.
func countingProxy(t *testing.T, addr string) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	front := serveRaw(t, func(c net.Conn) {
		n.Add(1)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		back, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			return
		}
		defer back.Close()
		back.SetDeadline(time.Now().Add(10 * time.Second))
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(back, c)
			back.(*net.TCPConn).CloseWrite()
		}()
		io.Copy(c, back)
		c.(*net.TCPConn).CloseWrite()
		wg.Wait()
	})
	return front, &n
}

// vouch and sslscan, run against the same openssl servers, agree on the
// protocols and on the accepted suites of each.
func TestAgainstSSLScan(t *testing.T) {
	bin, err := exec.LookPath("sslscan")
	needBinary(t, err, "sslscan (Debian package sslscan)")
	ca := newCA(t)
	rsaLeaf := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	ecLeaf := issue(t, ca, pki.LeafOptions{})
	tests := []struct {
		name string
		leaf *pki.Leaf
		args []string
	}{
		{"two suites", rsaLeaf, []string{"-no_tls1_3", "-cipher", "AES128-SHA:AES256-SHA", "-serverpref"}},
		{"legacy tls10 to tls12", rsaLeaf, []string{"-no_tls1_3", "-cipher", "DEFAULT:@SECLEVEL=0", "-serverpref"}},
		{"tls12 and tls13", ecLeaf, []string{"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA", "-serverpref"}},
		{"tls13 one suite", ecLeaf, []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"}},
		{"everything", rsaLeaf, []string{"-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0", "-serverpref"}},
	}
	for _, b := range badsslServers(t, ca) {
		tests = append(tests, struct {
			name string
			leaf *pki.Leaf
			args []string
		}{"badssl " + b.name, nil, nil})
	}
	badssl := map[string]badsslServer{}
	for _, b := range badsslServers(t, ca) {
		badssl["badssl "+b.name] = b
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// sslscan takes seconds per server, mostly in its own
			// key exchanges; the servers are independent.
			t.Parallel()
			var server string
			if b, ok := badssl[tc.name]; ok {
				server = b.start(t)
			} else {
				server = startOpenSSL(t, tc.leaf, tc.args...)
			}

			addr, vouchConns := countingProxy(t, server)
			start := time.Now()
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 3 * time.Second}), addr)
			vouchTime := time.Since(start)

			sslAddr, sslConns := countingProxy(t, server)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			start = time.Now()
			out, err := exec.CommandContext(ctx, bin, "--xml=-", "--no-colour",
				// Protocols, suites, groups and renegotiation: what vouch observes.
				"--no-heartbleed", "--no-compression", "--no-fallback",
				sslAddr).Output()
			sslTime := time.Since(start)
			if err != nil {
				t.Fatalf("tlsscan: sslscan: %v\n%s", err, out)
			}
			ref := parseSSLScan(t, out)

			got := protocols(o)
			for _, name := range posture.ProtocolNames {
				if got[name] != ref.protocols[name] {
					t.Errorf("tlsscan: %s offered: vouch %s, sslscan %s", name, got[name], ref.protocols[name])
				}
			}
			mine := map[string][]string{}
			for _, p := range o.Suites {
				mine[p.Protocol] = p.Accepted
			}
			for _, name := range posture.ProtocolNames {
				a := slices.Sorted(slices.Values(mine[name]))
				b := slices.Sorted(slices.Values(ref.suites[name]))
				if !slices.Equal(a, b) {
					t.Errorf("tlsscan: %s suites differ\nvouch   %v\nsslscan %v", name, a, b)
				}
			}
			// Groups: TLS 1.3 always; TLS 1.2 when vouch enumerated it
			// there (it does so on the newest version below 1.3 with ECDHE
			// suites, sslscan on TLS 1.2 only).
			for _, proto := range []string{posture.TLSv1_2, posture.TLSv1_3} {
				g := groupsOf(o, proto)
				if g == nil && len(ref.groups[proto]) == 0 {
					continue
				}
				if proto == posture.TLSv1_2 && g == nil && got[posture.TLSv1_2] != yes {
					continue
				}
				var mineG []string
				if g != nil {
					mineG = slices.Sorted(slices.Values(g.Accepted))
				}
				theirs := slices.Sorted(slices.Values(ref.groups[proto]))
				// sslscan tries one group per hello, so under TLS 1.2 it
				// sees only the curve of an ECDSA certificate, and none
				// over NULL or anonymous ECDH suites; vouch keeps that
				// curve in its offers and sees the others too. Equal sets
				// are asked where sslscan's method works: TLS 1.3, and
				// TLS 1.2 with encrypting ECDHE_RSA suites.
				exact := proto == posture.TLSv1_3 || slices.ContainsFunc(mine[proto], func(s string) bool {
					return strings.HasPrefix(s, "TLS_ECDHE_RSA_") && !strings.Contains(s, "_NULL_")
				})
				if exact && !slices.Equal(mineG, theirs) ||
					!exact && slices.ContainsFunc(theirs, func(g string) bool { return !slices.Contains(mineG, g) }) {
					t.Errorf("tlsscan: %s groups differ (exact %v)\nvouch   %v\nsslscan %v", proto, exact, mineG, theirs)
				}
			}
			if o.DHBits != ref.dhBits {
				t.Errorf("tlsscan: DH bits: vouch %d, sslscan %d", o.DHBits, ref.dhBits)
			}
			// sslscan says secure="0" whenever its one connection lands on
			// TLS 1.3 or fails, so only its yes is evidence.
			if ref.renegotiation == yes && o.SecureRenegotiation != yes {
				t.Errorf("tlsscan: secure renegotiation: vouch %q, sslscan %q", o.SecureRenegotiation, ref.renegotiation)
			}
			t.Logf("%s: vouch %d connections (Probes %d) in %s; sslscan %d connections in %s",
				tc.name, vouchConns.Load(), o.Probes, vouchTime.Round(time.Millisecond), sslConns.Load(), sslTime.Round(time.Millisecond))
			if int64(o.Probes) != vouchConns.Load() {
				t.Errorf("tlsscan: Probes = %d, but the server saw %d connections", o.Probes, vouchConns.Load())
			}
		})
	}
}
