package tlsscan

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

const (
	yes = posture.Yes
	no  = posture.No
	unk = posture.Unknown
)

// referenceSuite is what an independent crypto/tls client negotiates with
// the server at addr: the oracle for Negotiated.
func referenceSuite(t *testing.T, addr string) (string, string) {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := c.ConnectionState()
	return versionName(st.Version), tls.CipherSuiteName(st.CipherSuite)
}

func TestGoServers(t *testing.T) {
	ca := newCA(t)
	ecLeaf := issue(t, ca, pki.LeafOptions{})
	rsaLeaf := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	tests := []struct {
		name       string
		leaf       *pki.Leaf
		min, max   uint16
		suites     []uint16
		curves     []tls.CurveID
		want       map[string]posture.Tri
		protocol   string
		suite      string // exact, when the server's config fixes it
		probe12    string // suite the TLS 1.2 probe must see
		keyType    string
		keyBits    int
		helloRetry bool
		// suites12 and suites13 are the suites enumeration must find, in
		// the server's order; nil: the version is not offered.
		suites12, suites13 *suitesWant
	}{
		{
			name: "tls12 only", leaf: ecLeaf, min: tls.VersionTLS12, max: tls.VersionTLS12,
			suites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
			want:   offered(no, no, no, yes, no), protocol: posture.TLSv1_2,
			suite: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", probe12: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
			keyType: "ECDSA", keyBits: 256,
			suites12: &suitesWant{[]string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}, unk},
		},
		{
			name: "tls12 only rsa", leaf: rsaLeaf, min: tls.VersionTLS12, max: tls.VersionTLS12,
			suites: []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
			want:   offered(no, no, no, yes, no), protocol: posture.TLSv1_2,
			suite: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", probe12: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
			keyType: "RSA", keyBits: 2048,
			suites12: &suitesWant{[]string{"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}, unk},
		},
		{
			name: "tls13 only", leaf: ecLeaf, min: tls.VersionTLS13, max: tls.VersionTLS13,
			want: offered(no, no, no, no, yes), protocol: posture.TLSv1_3,
			keyType: "ECDSA", keyBits: 256,
			// Go follows the client between AES-GCM and ChaCha20.
			suites13: &suitesWant{[]string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}, no},
		},
		{
			name: "tls13 hello retry", leaf: ecLeaf, min: tls.VersionTLS13, max: tls.VersionTLS13,
			curves: []tls.CurveID{tls.CurveP384},
			want:   offered(no, no, no, no, yes), protocol: posture.TLSv1_3,
			keyType: "ECDSA", keyBits: 256, helloRetry: true,
			suites13: &suitesWant{[]string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}, no},
		},
		{
			name: "tls12 and tls13", leaf: ecLeaf, min: tls.VersionTLS12, max: tls.VersionTLS13,
			want: offered(no, no, no, yes, yes), protocol: posture.TLSv1_3,
			keyType: "ECDSA", keyBits: 256,
			// Offered AES-CBC first, Go moves ChaCha20 up: neither the
			// client's order nor one fixed order of its own, so unknown,
			// and listed in the client's order after the first pick
			// (posture.CipherSuiteProbe).
			suites12: &suitesWant{[]string{
				"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
				"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
				"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}, unk},
			suites13: &suitesWant{[]string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}, no},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, snis := serveTLS(t, &tls.Config{
				Certificates:     []tls.Certificate{tc.leaf.TLSCertificate(ca, true)},
				MinVersion:       tc.min,
				MaxVersion:       tc.max,
				CipherSuites:     tc.suites,
				CurvePreferences: tc.curves,
				NextProtos:       []string{"h2", "http/1.1"},
			})
			s := New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second})
			start := time.Now()
			o := scanOne(t, s, addr)
			t.Logf("scan took %s, %d probes", time.Since(start).Round(time.Millisecond), o.Probes)

			if o.Missing != nil {
				t.Fatalf("Missing = %v", o.Missing)
			}
			if o.Scanner != "tls" || o.Source != addr || o.Endpoint != addr || o.ServerName != "" {
				t.Errorf("header: scanner %q source %q endpoint %q server name %q", o.Scanner, o.Source, o.Endpoint, o.ServerName)
			}
			got := protocols(o)
			for _, name := range posture.ProtocolNames {
				if got[name] != tc.want[name] {
					t.Errorf("%s offered = %s, want %s", name, got[name], tc.want[name])
				}
			}
			for _, p := range o.Protocols {
				if (p.Offered == unk) != (p.Missing != nil) {
					t.Errorf("%s: offered %s with missing %v", p.Name, p.Offered, p.Missing)
				}
			}
			if len(o.Protocols) != len(posture.ProtocolNames) {
				t.Errorf("%d protocols, want %d", len(o.Protocols), len(posture.ProtocolNames))
			}
			// 5 version probes and 1 handshake, plus what enumeration adds
			// to each accepted version probe: one hello per further
			// accepted suite, one refused, one order test; and the group
			// enumerations and the downgrade hello.
			wantProbes := 6 + extraProbes(o)
			for _, p := range o.Suites {
				wantProbes += p.Probes - 1
				t.Logf("%s: %v order %s, %d probes", p.Protocol, p.Accepted, p.ServerOrder, p.Probes)
			}
			if o.Probes != wantProbes {
				t.Errorf("Probes = %d, want %d", o.Probes, wantProbes)
			}
			checkSuites(t, o, tc.suites12, tc.suites13)
			for _, sni := range snis() {
				if sni != "" {
					t.Errorf("SNI %q sent to an IP target", sni)
				}
			}

			// Negotiated: against an independent client's handshake.
			if o.Negotiated == nil {
				t.Fatal("Negotiated is nil")
			}
			refProto, refSuite := referenceSuite(t, addr)
			if o.Negotiated.Protocol != tc.protocol || o.Negotiated.Protocol != refProto {
				t.Errorf("Negotiated.Protocol = %q, want %q (reference client %q)", o.Negotiated.Protocol, tc.protocol, refProto)
			}
			if o.Negotiated.CipherSuite != refSuite || (tc.suite != "" && o.Negotiated.CipherSuite != tc.suite) {
				t.Errorf("Negotiated.CipherSuite = %q, want %q (reference %q)", o.Negotiated.CipherSuite, tc.suite, refSuite)
			}
			if o.Negotiated.ALPN != "h2" {
				t.Errorf("Negotiated.ALPN = %q, want h2", o.Negotiated.ALPN)
			}

			// The probes evidence names the suite each accepted probe got.
			var recs []probeRecord
			ev := evidence(o, "tls/"+addr+"/probes")
			if ev == nil || ev.Kind != posture.EvidenceTLSHandshake {
				t.Fatalf("probes evidence missing: %+v", o.Evidence)
			}
			if err := json.Unmarshal([]byte(ev.Data), &recs); err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				switch {
				case r.Protocol == posture.TLSv1_2 && tc.probe12 != "" && r.CipherSuite != tc.probe12:
					t.Errorf("TLS 1.2 probe suite %q, want %q", r.CipherSuite, tc.probe12)
				case r.Protocol == posture.TLSv1_3 && r.Offered == yes:
					if !strings.HasPrefix(r.CipherSuite, "TLS_AES_") && r.CipherSuite != "TLS_CHACHA20_POLY1305_SHA256" {
						t.Errorf("TLS 1.3 probe suite %q", r.CipherSuite)
					}
					if r.HelloRetry != tc.helloRetry {
						t.Errorf("hello_retry_request = %v, want %v", r.HelloRetry, tc.helloRetry)
					}
					if tc.helloRetry && r.Group != "secp384r1" {
						t.Errorf("HelloRetryRequest group %q, want secp384r1", r.Group)
					}
					if !tc.helloRetry && r.Group != "x25519" {
						t.Errorf("key_share group %q, want x25519", r.Group)
					}
				case r.Offered == no && r.Alert != "protocol_version":
					t.Errorf("%s refused with %q/%q, want alert protocol_version", r.Protocol, r.Alert, r.Note)
				}
			}
			if tc.want[posture.TLSv1_3] == yes && tc.max == tls.VersionTLS13 && tc.min == tls.VersionTLS12 {
				if recs[3].Downgrade != posture.TLSv1_2 {
					t.Errorf("TLS 1.2 probe of a TLS 1.3 server: downgrade sentinel %q, want TLSv1.2", recs[3].Downgrade)
				}
			}

			checkCert(t, o, tc.leaf, ca, addr, tc.keyType, tc.keyBits)
		})
	}
}

// checkCert compares the observed certificate with the one served.
func checkCert(t *testing.T, o posture.TLSObservation, leaf *pki.Leaf, ca *pki.CA, addr, keyType string, keyBits int) {
	t.Helper()
	c := o.Certificate
	if c == nil {
		t.Fatal("Certificate is nil")
	}
	want := posture.Certificate{
		Subject:            "CN=localhost",
		Issuer:             "CN=vouch test root,O=vouch test PKI",
		SerialNumber:       leaf.Cert.SerialNumber.Text(16),
		NotBefore:          leaf.Cert.NotBefore.UTC(),
		NotAfter:           leaf.Cert.NotAfter.UTC(),
		KeyType:            keyType,
		KeyBits:            keyBits,
		SignatureAlgorithm: "ECDSA-SHA256",
		ChainLength:        2,
		Trusted:            yes,
		HostnameMatch:      yes,
		ChainEvidence:      "tls/" + addr + "/chain",
	}
	if c.Subject != want.Subject || c.Issuer != want.Issuer || c.SerialNumber != want.SerialNumber ||
		!c.NotBefore.Equal(want.NotBefore) || !c.NotAfter.Equal(want.NotAfter) ||
		c.KeyType != want.KeyType || c.KeyBits != want.KeyBits || c.SignatureAlgorithm != want.SignatureAlgorithm ||
		c.ChainLength != want.ChainLength || c.Trusted != want.Trusted || c.HostnameMatch != want.HostnameMatch ||
		c.ChainEvidence != want.ChainEvidence || c.ValidationError != "" {
		t.Errorf("certificate\n got %+v\nwant %+v", *c, want)
	}
	if strings.Join(c.DNSNames, ",") != "localhost" || strings.Join(c.IPAddresses, ",") != "127.0.0.1,::1" {
		t.Errorf("SANs %v %v", c.DNSNames, c.IPAddresses)
	}
	ev := evidence(o, c.ChainEvidence)
	if ev == nil || ev.Kind != posture.EvidencePEM {
		t.Fatalf("chain evidence %q missing", c.ChainEvidence)
	}
	rest := []byte(ev.Data)
	var ders [][]byte
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		ders = append(ders, b.Bytes)
	}
	if len(ders) != 2 || string(ders[0]) != string(leaf.Cert.Raw) || string(ders[1]) != string(ca.Cert.Raw) {
		t.Errorf("chain evidence holds %d certificates, not leaf+CA as served", len(ders))
	}
	hs := evidence(o, "tls/"+addr+"/handshake")
	if hs == nil || hs.Kind != posture.EvidenceTLSHandshake || !strings.Contains(hs.Data, `"library": "crypto/tls"`) {
		t.Errorf("handshake evidence: %+v", hs)
	}
	ids := map[string]bool{}
	for _, e := range o.Evidence {
		if ids[e.ID] || !strings.HasPrefix(e.ID, "tls/"+addr+"/") {
			t.Errorf("evidence id %q duplicate or not prefixed", e.ID)
		}
		ids[e.ID] = true
	}
}

func TestCertificateProblems(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	past := time.Now().Add(-72 * time.Hour)
	tests := []struct {
		name          string
		leaf          pki.LeafOptions
		roots         *x509.CertPool
		trusted       posture.Tri
		hostnameMatch posture.Tri
		errContains   string
	}{
		{"trusted", pki.LeafOptions{}, ca.Pool(), yes, yes, ""},
		{"system roots", pki.LeafOptions{}, nil, no, yes, "unknown authority"},
		{"other ca", pki.LeafOptions{}, other.Pool(), no, yes, "unknown authority"},
		// A chain that reaches a root is trusted whatever names it
		// covers: the mismatch is HostnameMatch's (grade M, not T).
		{"wrong host", pki.LeafOptions{Hosts: []string{"wrong.example"}}, ca.Pool(), yes, no, ""},
		{"wrong ip", pki.LeafOptions{Hosts: []string{"wrong.example", "192.0.2.1"}}, ca.Pool(), yes, no, ""},
		{"wrong host, other ca", pki.LeafOptions{Hosts: []string{"wrong.example"}}, other.Pool(), no, no, "unknown authority"},
		{"expired", pki.LeafOptions{NotBefore: past, NotAfter: past.Add(24 * time.Hour)}, ca.Pool(), no, yes, "expired"},
		{"not yet valid", pki.LeafOptions{NotBefore: time.Now().Add(24 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}, ca.Pool(), no, yes, "not yet valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			leaf := issue(t, ca, tc.leaf)
			addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, false)}})
			o := scanOne(t, New(Options{RootCAs: tc.roots, Timeout: 2 * time.Second}), addr)
			c := o.Certificate
			if o.Missing != nil || c == nil {
				t.Fatalf("missing %v, certificate %v", o.Missing, c)
			}
			if c.Trusted != tc.trusted || c.HostnameMatch != tc.hostnameMatch {
				t.Errorf("trusted %s hostname %s, want %s %s (%s)", c.Trusted, c.HostnameMatch, tc.trusted, tc.hostnameMatch, c.ValidationError)
			}
			if tc.errContains == "" && c.ValidationError != "" || !strings.Contains(c.ValidationError, tc.errContains) {
				t.Errorf("ValidationError %q, want it to mention %q", c.ValidationError, tc.errContains)
			}
			// The other facts are observed whatever the verdict.
			if c.SerialNumber != leaf.Cert.SerialNumber.Text(16) || c.ChainLength != 1 || c.KeyType != "ECDSA" ||
				!c.NotAfter.Equal(leaf.Cert.NotAfter.UTC()) || o.Negotiated == nil || o.Negotiated.Protocol != posture.TLSv1_3 {
				t.Errorf("facts not observed: %+v negotiated %+v", c, o.Negotiated)
			}
		})
	}
}

// A fixed clock decides validity: the same certificate is valid or expired
// depending on Options.Now.
func TestClock(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{})
	addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, false)}})
	later := leaf.Cert.NotAfter.Add(time.Hour)
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second, Now: func() time.Time { return later }}), addr)
	if o.Certificate == nil || o.Certificate.Trusted != no || !strings.Contains(o.Certificate.ValidationError, "expired") {
		t.Fatalf("certificate at NotAfter+1h: %+v", o.Certificate)
	}
	if !o.ObservedAt.Equal(later.UTC()) {
		t.Errorf("ObservedAt = %s, want %s", o.ObservedAt, later.UTC())
	}
}

func TestNameAndAccepts(t *testing.T) {
	s := New(Options{})
	if s.Name() != "tls" || !s.Accepts(posture.TargetWeb) || s.Accepts(posture.TargetMail) {
		t.Errorf("Name %q, Accepts(web) %v, Accepts(mail) %v", s.Name(), s.Accepts(posture.TargetWeb), s.Accepts(posture.TargetMail))
	}
}

// BenchmarkScan measures one scan of a crypto/tls server speaking TLS 1.2
// and 1.3: five hellos and one full handshake.
func BenchmarkScan(b *testing.B) {
	ca := newCA(b)
	leaf := issue(b, ca, pki.LeafOptions{})
	addr, _ := serveTLS(b, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}, MinVersion: tls.VersionTLS12})
	s := New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second})
	var probes int
	for b.Loop() {
		probes = scanOne(b, s, addr).Probes
	}
	b.ReportMetric(float64(probes), "probes/scan")
}
