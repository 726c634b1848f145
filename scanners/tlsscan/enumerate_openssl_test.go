package tlsscan

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

// opensslSuites asks `openssl ciphers -stdname -s` which suites a cipher
// string enables for a protocol (flag: -tls1, -tls1_1, -tls1_2), in
// OpenSSL's preference order, keeping those an RSA certificate can serve
// without PSK or SRP callbacks: the set s_server will accept.
func opensslSuites(t *testing.T, flag, cipher string) []string {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	needBinary(t, err, "openssl")
	out, err := exec.Command(bin, "ciphers", "-stdname", "-s", flag, cipher).Output()
	if err != nil {
		t.Fatalf("tlsscan: openssl ciphers %s %q: %v", flag, cipher, err)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[3] == "TLSv1.3" {
			continue
		}
		if strings.Contains(line, "PSK") || strings.Contains(line, "SRP") ||
			strings.Contains(line, "Au=DSS") || strings.Contains(line, "Au=ECDSA") {
			continue
		}
		names = append(names, f[0])
	}
	if len(names) == 0 {
		t.Fatalf("tlsscan: openssl ciphers %s %q lists nothing", flag, cipher)
	}
	return names
}

func TestEnumerateOpenSSL(t *testing.T) {
	ca := newCA(t)
	rsaLeaf := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	ecLeaf := issue(t, ca, pki.LeafOptions{})
	const legacy = "DEFAULT:@SECLEVEL=0"
	const everything = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
	tls13 := []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	tls13Server := []string{"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"}
	type want struct {
		accepted []string
		order    posture.Tri
		// oracle names `openssl ciphers` arguments (flag, cipher string)
		// whose list is the accepted set (in that order when order is yes).
		oracle [2]string
	}
	tests := []struct {
		name string
		leaf *pki.Leaf
		args []string
		want map[string]want // by protocol; protocols not named must have no suites
	}{
		{
			name: "two suites, client order", leaf: rsaLeaf,
			args: []string{"-no_tls1_3", "-cipher", "AES128-SHA:AES256-SHA"},
			want: map[string]want{posture.TLSv1_2: {accepted: []string{"TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"}, order: no}},
		},
		{
			name: "two suites, server order", leaf: rsaLeaf,
			args: []string{"-no_tls1_3", "-cipher", "AES128-SHA:AES256-SHA", "-serverpref"},
			want: map[string]want{posture.TLSv1_2: {accepted: []string{"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"}, order: yes}},
		},
		{
			name: "legacy tls10 to tls12, server order", leaf: rsaLeaf,
			args: []string{"-no_tls1_3", "-cipher", legacy, "-serverpref"},
			want: map[string]want{
				posture.TLSv1_0: {order: yes, oracle: [2]string{"-tls1", legacy}},
				posture.TLSv1_1: {order: yes, oracle: [2]string{"-tls1_1", legacy}},
				posture.TLSv1_2: {order: yes, oracle: [2]string{"-tls1_2", legacy}},
			},
		},
		{
			name: "legacy tls10 to tls12, client order", leaf: rsaLeaf,
			args: []string{"-no_tls1_3", "-cipher", legacy},
			want: map[string]want{
				posture.TLSv1_0: {order: no, oracle: [2]string{"-tls1", legacy}},
				posture.TLSv1_1: {order: no, oracle: [2]string{"-tls1_1", legacy}},
				posture.TLSv1_2: {order: no, oracle: [2]string{"-tls1_2", legacy}},
			},
		},
		{
			// NULL, anonymous and every other suite this OpenSSL builds.
			name: "everything, server order", leaf: rsaLeaf,
			args: []string{"-no_tls1_3", "-cipher", everything, "-serverpref"},
			want: map[string]want{
				posture.TLSv1_0: {order: yes, oracle: [2]string{"-tls1", everything}},
				posture.TLSv1_1: {order: yes, oracle: [2]string{"-tls1_1", everything}},
				posture.TLSv1_2: {order: yes, oracle: [2]string{"-tls1_2", everything}},
			},
		},
		{
			name: "tls13 one suite", leaf: ecLeaf,
			args: []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"},
			want: map[string]want{posture.TLSv1_3: {accepted: []string{"TLS_AES_128_GCM_SHA256"}, order: unk}},
		},
		{
			name: "tls13 all five, client order", leaf: ecLeaf,
			args: []string{"-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_CCM_8_SHA256"},
			want: map[string]want{posture.TLSv1_3: {accepted: []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"}, order: no}},
		},
		{
			name: "tls12 and tls13 default, server order", leaf: ecLeaf,
			args: []string{"-serverpref", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"},
			want: map[string]want{
				posture.TLSv1_2: {accepted: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}, order: yes},
				posture.TLSv1_3: {accepted: tls13Server, order: yes},
			},
		},
		{
			name: "tls13 default, client order", leaf: ecLeaf,
			args: []string{"-tls1_3"},
			want: map[string]want{posture.TLSv1_3: {accepted: tls13, order: no}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := startOpenSSL(t, tc.leaf, tc.args...)
			start := time.Now()
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 3 * time.Second}), addr)
			took := time.Since(start)
			got := map[string]posture.CipherSuiteProbe{}
			for _, p := range o.Suites {
				got[p.Protocol] = p
			}
			enumProbes := 0
			for _, name := range posture.ProtocolNames {
				p, ok := got[name]
				w, wanted := tc.want[name]
				if offered := protocols(o)[name]; offered != posture.TriOf(wanted) {
					// OpenSSL 3 answers TLS 1.0/1.1 hellos it cannot sign
					// for with internal_error: that must read as no.
					t.Errorf("tlsscan: %s offered %s, want %s", name, offered, posture.TriOf(wanted))
				}
				if !wanted {
					if ok {
						t.Errorf("tlsscan: %s suites %v, want none", name, p.Accepted)
					}
					continue
				}
				if !ok {
					t.Errorf("tlsscan: %s not enumerated", name)
					continue
				}
				enumProbes += p.Probes
				accepted := w.accepted
				if w.oracle[0] != "" {
					accepted = opensslSuites(t, w.oracle[0], w.oracle[1])
				}
				gotList := p.Accepted
				if w.order != yes {
					// Client order: the set must match; the order is ours.
					accepted = slices.Sorted(slices.Values(accepted))
					gotList = slices.Sorted(slices.Values(gotList))
				}
				if !slices.Equal(gotList, accepted) {
					t.Errorf("tlsscan: %s accepted\n got %v\nwant %v", name, p.Accepted, accepted)
				}
				if p.ServerOrder != w.order {
					t.Errorf("tlsscan: %s server order %q, want %q", name, p.ServerOrder, w.order)
				}
				wantProbes := enumerationProbes(p)
				if p.Probes != wantProbes || p.Missing != nil {
					t.Errorf("tlsscan: %s: %d probes (missing %v), want %d", name, p.Probes, p.Missing, wantProbes)
				}
			}
			// Version probes and the handshake (1, or 2 when crypto/tls
			// fails and zcrypto completes) plus the enumerations beyond
			// their first hello, the group enumerations and the downgrade hello.
			if extra := o.Probes - 5 - (enumProbes - len(o.Suites)) - extraProbes(o); extra != 1 && extra != 2 {
				t.Errorf("tlsscan: %d probes in all, %d not accounted for", o.Probes, extra)
			}
			if ev := evidence(o, "tls/"+addr+"/cipher_suites"); ev == nil || !strings.Contains(ev.Data, `"steps"`) {
				t.Errorf("tlsscan: no cipher suite evidence: %+v", ev)
			}
			t.Logf("%s: %d connections, %s", tc.name, o.Probes, took.Round(time.Millisecond))
		})
	}
}
