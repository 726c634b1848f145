package tlsscan

import (
	"bufio"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

// startOpenSSL runs `openssl s_server` on a free loopback port with the
// leaf's certificate and returns its address. The server is killed when
// the test ends.
func startOpenSSL(t testing.TB, leaf *pki.Leaf, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	needBinary(t, err, "openssl")
	cert, key, err := leaf.WriteFiles(t.TempDir(), "server")
	if err != nil {
		t.Fatal(err)
	}
	argv := append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www"}, args...)
	cmd := exec.Command(bin, argv...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// s_server prints "ACCEPT 127.0.0.1:<port>" once it listens.
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
				addr <- a
				break
			}
		}
		for sc.Scan() { // keep draining so the server never blocks on stdout
		}
	}()
	select {
	case a := <-addr:
		return a
	case <-time.After(10 * time.Second):
		t.Fatalf("tlsscan: openssl s_server did not start: %s", stderr.String())
	}
	return ""
}

func TestOpenSSL(t *testing.T) {
	ca := newCA(t)
	ecLeaf := issue(t, ca, pki.LeafOptions{})
	rsaLeaf := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	tests := []struct {
		name       string
		leaf       *pki.Leaf
		args       []string
		want       map[string]posture.Tri
		protocol   string
		suite      string // negotiated; empty: not checked
		probeSuite map[string]string
		library    string
	}{
		{
			name: "tls10 only", leaf: ecLeaf,
			args: []string{"-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"},
			want: offered(no, yes, no, no, no), protocol: posture.TLSv1_0,
			suite:      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
			probeSuite: map[string]string{posture.TLSv1_0: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
			library:    "crypto/tls",
		},
		{
			name: "tls10 to tls12", leaf: rsaLeaf,
			args: []string{"-no_tls1_3", "-cipher", "DEFAULT:@SECLEVEL=0"},
			want: offered(no, yes, yes, yes, no), protocol: posture.TLSv1_2,
			suite:   "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
			library: "crypto/tls",
		},
		{
			name: "tls10 to tls13", leaf: ecLeaf,
			args: []string{"-cipher", "DEFAULT:@SECLEVEL=0"},
			want: offered(no, yes, yes, yes, yes), protocol: posture.TLSv1_3,
			library: "crypto/tls",
		},
		{
			// DHE only: crypto/tls has no DHE, so zcrypto gets the chain.
			name: "dhe only", leaf: rsaLeaf,
			args: []string{"-tls1", "-cipher", "DHE-RSA-AES128-SHA:@SECLEVEL=0"},
			want: offered(no, yes, no, no, no), protocol: posture.TLSv1_0,
			suite:      "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
			probeSuite: map[string]string{posture.TLSv1_0: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
			library:    "zcrypto",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := startOpenSSL(t, tc.leaf, tc.args...)
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 3 * time.Second}), addr)
			got := protocols(o)
			for _, name := range posture.ProtocolNames {
				if got[name] != tc.want[name] {
					t.Errorf("%s offered = %s, want %s", name, got[name], tc.want[name])
				}
			}
			if o.Negotiated == nil {
				t.Fatalf("Negotiated nil; evidence %+v", o.Evidence)
			}
			if o.Negotiated.Protocol != tc.protocol || (tc.suite != "" && o.Negotiated.CipherSuite != tc.suite) {
				t.Errorf("negotiated %+v, want %s %s", *o.Negotiated, tc.protocol, tc.suite)
			}
			var recs []probeRecord
			if err := json.Unmarshal([]byte(evidence(o, "tls/"+addr+"/probes").Data), &recs); err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				if want, ok := tc.probeSuite[r.Protocol]; ok && r.CipherSuite != want {
					t.Errorf("%s probe chose %q, want %q", r.Protocol, r.CipherSuite, want)
				}
			}
			hs := evidence(o, "tls/"+addr+"/handshake")
			if hs == nil || !strings.Contains(hs.Data, `"library": "`+tc.library+`"`) {
				t.Errorf("handshake evidence %+v, want library %s", hs, tc.library)
			}
			c := o.Certificate
			if c == nil || c.Trusted != yes || c.HostnameMatch != yes || c.SerialNumber != tc.leaf.Cert.SerialNumber.Text(16) || c.ChainLength != 1 {
				t.Errorf("certificate %+v", c)
			}
			t.Logf("%s: %d probes, negotiated %+v", tc.name, o.Probes, *o.Negotiated)
		})
	}
}
