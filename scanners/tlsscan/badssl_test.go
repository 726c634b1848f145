package tlsscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

// badsslServer is one openssl s_server configuration modelled on a
// badssl.com host, with what vouch must observe there.
type badsslServer struct {
	name  string
	leaf  *pki.Leaf
	chain []*x509.Certificate // sent after the leaf (-cert_chain)
	args  []string
	want  map[string]posture.Tri
	check func(t *testing.T, o posture.TLSObservation)
}

// oakley2 is the 1024-bit MODP prime of RFC 2409 §6.2, as old servers
// configured it for DHE.
const oakley2 = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
	"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
	"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF"

// writeFile writes b to a new file in a test directory and returns its path.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// dhParamsFile writes a PKCS#3 DH PARAMETERS file for openssl -dhparam.
func dhParamsFile(t testing.TB, primeHex string) string {
	t.Helper()
	p, ok := new(big.Int).SetString(primeHex, 16)
	if !ok {
		t.Fatal("bad prime")
	}
	der, err := asn1.Marshal(struct{ P, G *big.Int }{p, big.NewInt(2)})
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "dh.pem", pem.EncodeToMemory(&pem.Block{Type: "DH PARAMETERS", Bytes: der}))
}

// selfSignedLeaf is a certificate for localhost and 127.0.0.1 that signs
// itself, as self-signed.badssl.com serves.
func selfSignedLeaf(t testing.TB) *pki.Leaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(0, 0, 30),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &pki.Leaf{
		Cert: cert, Key: key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}),
	}
}

// badsslServers returns the configurations, with certificates issued by
// ca (the root the scans trust).
func badsslServers(t *testing.T, ca *pki.CA) []badsslServer {
	const legacy = "DEFAULT:@SECLEVEL=0"
	rsa := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	inter := newIntermediate(t, ca, "vouch test intermediate")
	fromInter := issue(t, inter, pki.LeafOptions{RSABits: 2048})
	past := time.Now().AddDate(0, 0, -10)
	certOK := func(t *testing.T, o posture.TLSObservation) *posture.Certificate {
		t.Helper()
		if o.Certificate == nil {
			t.Fatalf("no certificate observed; evidence %+v", o.Evidence)
		}
		return o.Certificate
	}
	return []badsslServer{
		{
			name: "tls1.0 only", leaf: rsa, args: []string{"-tls1", "-cipher", legacy},
			want: offered(no, yes, no, no, no),
			check: func(t *testing.T, o posture.TLSObservation) {
				if o.Negotiated == nil || o.Negotiated.Protocol != posture.TLSv1_0 {
					t.Errorf("negotiated %+v", o.Negotiated)
				}
				// One version: no downgrade to try.
				if o.FallbackSCSV != unk || o.SecureRenegotiation != yes {
					t.Errorf("fallback %q renegotiation %q", o.FallbackSCSV, o.SecureRenegotiation)
				}
				if g := groupsOf(o, posture.TLSv1_0); g == nil || !slices.Contains(g.Accepted, "x25519") {
					t.Errorf("TLS 1.0 ECDHE curves %+v", o.Groups)
				}
			},
		},
		{
			name: "tls1.2 only", leaf: rsa, args: []string{"-tls1_2", "-groups", "P-384:X25519", "-serverpref"},
			want: offered(no, no, no, yes, no),
			check: func(t *testing.T, o posture.TLSObservation) {
				g := groupsOf(o, posture.TLSv1_2)
				if g == nil || !slices.Equal(g.Accepted, []string{"secp384r1", "x25519"}) || g.ServerOrder != yes || g.Probes != 4 {
					t.Errorf("TLS 1.2 groups %+v, want secp384r1, x25519 in server order", o.Groups)
				}
				if len(o.Groups) != 1 || o.FallbackSCSV != unk {
					t.Errorf("groups %+v fallback %q", o.Groups, o.FallbackSCSV)
				}
			},
		},
		{
			name: "tls1.3 only", leaf: rsa, args: []string{"-tls1_3", "-groups", "X25519:P-256:ffdhe2048"},
			want: offered(no, no, no, no, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				g := groupsOf(o, posture.TLSv1_3)
				// Without a key share to go by, OpenSSL picks by its own
				// order: the -groups list. The post-quantum, elliptic and
				// finite-field groups are enumerated apart and merged
				// (removal.go): 8 hellos, 5 by one chain.
				if g == nil || !slices.Equal(g.Accepted, []string{"x25519", "secp256r1", "ffdhe2048"}) ||
					g.ServerOrder != yes || g.Probes != groupProbes(*g) || g.Probes != 8 {
					t.Errorf("TLS 1.3 groups %+v", o.Groups)
				}
				if o.SecureRenegotiation != "" || o.DHBits != 0 {
					t.Errorf("renegotiation %q dh %d on TLS 1.3 alone", o.SecureRenegotiation, o.DHBits)
				}
			},
		},
		{
			name: "all versions", leaf: rsa,
			args: []string{"-cipher", legacy, "-alpn", "h2,http/1.1",
				// OCSPResponse{responseStatus: unauthorized}: any response is a staple.
				"-status_file", writeFile(t, "ocsp.der", []byte{0x30, 0x03, 0x0a, 0x01, 0x06})},
			want: offered(no, yes, yes, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				if o.FallbackSCSV != yes || o.SecureRenegotiation != yes {
					t.Errorf("fallback %q renegotiation %q", o.FallbackSCSV, o.SecureRenegotiation)
				}
				if !slices.Equal(o.ALPN, []string{"h2"}) {
					t.Errorf("ALPN %v", o.ALPN)
				}
				// OpenSSL sizes its automatic DH group to the RSA-2048 key.
				if o.DHBits != 2048 {
					t.Errorf("DHBits %d, want 2048", o.DHBits)
				}
				if c := certOK(t, o); c.OCSPStapled != yes || c.Trusted != yes || c.ChainComplete != yes {
					t.Errorf("certificate %+v", c)
				}
				if g := groupsOf(o, posture.TLSv1_3); g == nil || len(g.Accepted) < 5 || g.Missing != nil {
					t.Errorf("TLS 1.3 groups %+v", o.Groups)
				}
			},
		},
		{
			name: "null and anonymous", leaf: rsa, args: []string{"-no_tls1_3", "-cipher", "aNULL:eNULL:@SECLEVEL=0"},
			want: offered(no, yes, yes, yes, no),
			check: func(t *testing.T, o posture.TLSObservation) {
				for _, p := range o.Suites {
					for _, s := range p.Accepted {
						if !strings.Contains(s, "_NULL_") && !strings.Contains(s, "_anon_") {
							t.Errorf("%s: %s is neither NULL nor anonymous", p.Protocol, s)
						}
					}
				}
				want := opensslSuites(t, "-tls1_2", "aNULL:eNULL:@SECLEVEL=0")
				for _, p := range o.Suites {
					if p.Protocol == posture.TLSv1_2 && !slices.Equal(slices.Sorted(slices.Values(p.Accepted)), slices.Sorted(slices.Values(want))) {
						t.Errorf("TLS 1.2 suites\n got %v\nwant %v", p.Accepted, want)
					}
				}
			},
		},
		{
			name: "expired", leaf: issue(t, ca, pki.LeafOptions{NotBefore: past, NotAfter: past.Add(24 * time.Hour)}),
			want: offered(no, no, no, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				c := certOK(t, o)
				if c.Trusted != no || !strings.Contains(c.ValidationError, "expired") || !c.NotAfter.Before(time.Now()) || c.HostnameMatch != yes {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "wrong host", leaf: issue(t, ca, pki.LeafOptions{Hosts: []string{"wrong.host.badssl.test"}}),
			want: offered(no, no, no, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				c := certOK(t, o)
				if c.Trusted != yes || c.HostnameMatch != no || c.ValidationError != "" || !slices.Equal(c.DNSNames, []string{"wrong.host.badssl.test"}) {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "self-signed", leaf: selfSignedLeaf(t),
			want: offered(no, no, no, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				c := certOK(t, o)
				if c.Trusted != no || c.HostnameMatch != yes || c.ChainComplete != yes || c.Subject != c.Issuer ||
					!strings.Contains(c.ValidationError, "unknown authority") {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "incomplete chain", leaf: fromInter,
			want: offered(no, no, no, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				c := certOK(t, o)
				if c.Trusted != no || c.ChainComplete != no || c.ChainLength != 1 || c.HostnameMatch != yes {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "complete chain", leaf: fromInter, chain: []*x509.Certificate{inter.Cert},
			want: offered(no, no, no, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				c := certOK(t, o)
				if c.Trusted != yes || c.ChainComplete != yes || c.ChainOrdered != yes || c.ChainLength != 2 {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "rsa 1024", leaf: issue(t, ca, pki.LeafOptions{RSABits: 1024}), args: []string{"-cipher", legacy},
			want: offered(no, yes, yes, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				if c := certOK(t, o); c.KeyType != "RSA" || c.KeyBits != 1024 || c.Trusted != yes {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "sha1 signature", leaf: issue(t, ca, pki.LeafOptions{SigAlg: x509.ECDSAWithSHA1}), args: []string{"-cipher", legacy},
			want: offered(no, yes, yes, yes, yes),
			check: func(t *testing.T, o posture.TLSObservation) {
				// Go refuses SHA-1 signatures, so the chain is not trusted,
				// yet it is complete: the issuer is the trusted root.
				if c := certOK(t, o); c.SignatureAlgorithm != "ECDSA-SHA1" || c.Trusted != no || c.ChainComplete != yes {
					t.Errorf("certificate %+v", c)
				}
			},
		},
		{
			name: "dh1024", leaf: rsa,
			args: []string{"-no_tls1_3", "-cipher", "DHE-RSA-AES128-SHA:DHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0", "-dhparam", dhParamsFile(t, oakley2)},
			want: offered(no, yes, yes, yes, no),
			check: func(t *testing.T, o posture.TLSObservation) {
				if o.DHBits != 1024 {
					t.Errorf("DHBits %d, want 1024", o.DHBits)
				}
				if len(o.Groups) != 0 {
					t.Errorf("groups %+v without ECDHE", o.Groups)
				}
				// Every suite is DHE: forward secret.
				for _, p := range o.Suites {
					for _, s := range p.Accepted {
						if !posture.ForwardSecret(s) {
							t.Errorf("%s: %s not forward secret", p.Protocol, s)
						}
					}
				}
			},
		},
	}
}

// start runs the server of one configuration and returns its address.
func (b badsslServer) start(t *testing.T) string {
	t.Helper()
	args := slices.Clone(b.args)
	if len(b.chain) > 0 {
		var pems []byte
		for _, c := range b.chain {
			pems = append(pems, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		args = append(args, "-cert_chain", writeFile(t, "chain.pem", pems))
	}
	return startOpenSSL(t, b.leaf, args...)
}

// What vouch observes on openssl servers set up as badssl.com's hosts are.
func TestBadSSL(t *testing.T) {
	ca := newCA(t)
	for _, b := range badsslServers(t, ca) {
		t.Run(b.name, func(t *testing.T) {
			addr, conns := countingProxy(t, b.start(t))
			start := time.Now()
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 3 * time.Second}), addr)
			took := time.Since(start)
			if o.Missing != nil {
				t.Fatalf("Missing %v", o.Missing)
			}
			got := protocols(o)
			for _, name := range posture.ProtocolNames {
				if got[name] != b.want[name] {
					t.Errorf("%s offered = %s, want %s", name, got[name], b.want[name])
				}
			}
			for _, p := range o.Suites {
				if len(p.Accepted) == 0 || p.Missing != nil {
					t.Errorf("%s suites %+v", p.Protocol, p)
				}
			}
			for _, g := range o.Groups {
				if g.Missing != nil {
					t.Errorf("%s groups missing: %v", g.Protocol, g.Missing)
				}
			}
			b.check(t, o)
			if int64(o.Probes) != conns.Load() {
				t.Errorf("Probes = %d, but the server saw %d connections", o.Probes, conns.Load())
			}
			t.Logf("%d connections in %s; groups %v; dh %d", o.Probes, took.Round(time.Millisecond), o.Groups, o.DHBits)
		})
	}
}
