package tlsscan

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
	"golang.org/x/crypto/ocsp"
)

// newIntermediate makes a CA certificate signed by parent, usable with
// pki's Issue to make leaves below it.
func newIntermediate(t testing.TB, parent *pki.CA, name string) *pki.CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"vouch test PKI"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent.Cert, key.Public(), parent.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &pki.CA{Cert: cert, Key: key}
}

// sctLeaf issues a leaf for 127.0.0.1 whose SCT-list extension holds n
// (made-up) timestamps.
func sctLeaf(t testing.TB, ca *pki.CA, n int) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var list builder
	list.vec(2, func(w *builder) {
		for i := range n {
			w.vec(2, func(w *builder) { w.raw(fakeSCT(byte(i))) })
		}
	})
	ext, err := asn1.Marshal(list.b)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(time.Now().UnixNano()),
		Subject:         pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:     []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().AddDate(0, 0, 30),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		ExtraExtensions: []pkix.Extension{{Id: oidEmbeddedSCTs, Value: ext}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: crypto.Signer(key)}
}

// ocspWithSCTs is a good OCSP response for leaf, signed by ca, whose
// singleExtensions carry n SCTs.
func ocspWithSCTs(t testing.TB, ca *pki.CA, leaf *x509.Certificate, n int) []byte {
	t.Helper()
	var list builder
	list.vec(2, func(w *builder) {
		for i := range n {
			w.vec(2, func(w *builder) { w.raw(fakeSCT(byte(100 + i))) })
		}
	})
	ext, err := asn1.Marshal(list.b)
	if err != nil {
		t.Fatal(err)
	}
	der, err := ocsp.CreateResponse(ca.Cert, ca.Cert, ocsp.Response{
		Status:          ocsp.Good,
		SerialNumber:    leaf.SerialNumber,
		ThisUpdate:      time.Now().Add(-time.Hour),
		NextUpdate:      time.Now().Add(24 * time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: oidOCSPSCTs, Value: ext}},
	}, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// fakeSCT is an SCT v1 with a made-up log id and signature: vouch counts
// SCTs, it does not verify them.
func fakeSCT(id byte) []byte {
	var w builder
	w.u8(0) // v1
	w.raw(slices.Repeat([]byte{id}, 32))
	w.raw(make([]byte, 8)) // timestamp
	w.vec(2, func(*builder) {})
	w.u16(0x0403)
	w.vec(2, func(w *builder) { w.raw([]byte{1, 2, 3}) })
	return w.b
}

func groupsOf(o posture.TLSObservation, proto string) *posture.GroupProbe {
	for i := range o.Groups {
		if o.Groups[i].Protocol == proto {
			return &o.Groups[i]
		}
	}
	return nil
}

// Groups, downgrade protection, renegotiation_info, ALPN, OCSP and SCTs
// from Go's own server, whose configuration fixes each of them.
func TestExtrasGoServer(t *testing.T) {
	ca := newCA(t)
	rsaLeaf := issue(t, ca, pki.LeafOptions{RSABits: 2048})
	cert := rsaLeaf.TLSCertificate(ca, false)
	cert.OCSPStaple = ocspWithSCTs(t, ca, rsaLeaf.Cert, 2)
	cert.SignedCertificateTimestamps = [][]byte{fakeSCT(9)}
	addr, _ := serveTLS(t, &tls.Config{
		Certificates:     []tls.Certificate{cert},
		MinVersion:       tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.CurveP384, tls.X25519},
		NextProtos:       []string{"h2", "http/1.1"},
	})
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second}), addr)
	if o.Missing != nil {
		t.Fatalf("Missing %v", o.Missing)
	}

	// Go (1.24 and later) takes the set of CurvePreferences but not their
	// order: under TLS 1.3 it picks by its own fixed order (hybrid, then
	// X25519, then the NIST curves), under TLS 1.2 it follows the client.
	// TLS 1.2 cannot use the hybrid.
	for _, tc := range []struct {
		proto  string
		groups []string
		order  posture.Tri
	}{
		{posture.TLSv1_2, []string{"x25519", "secp384r1"}, no},
		{posture.TLSv1_3, []string{"X25519MLKEM768", "x25519", "secp384r1"}, yes},
	} {
		g := groupsOf(o, tc.proto)
		if g == nil {
			t.Errorf("no %s groups in %+v", tc.proto, o.Groups)
			continue
		}
		want := groupProbes(*g)
		if !slices.Equal(g.Accepted, tc.groups) || g.ServerOrder != tc.order || g.Probes != want || g.Missing != nil {
			t.Errorf("%s groups %+v, want %v server order %s, %d probes", tc.proto, *g, tc.groups, tc.order, want)
		}
	}
	if o.FallbackSCSV != yes {
		t.Errorf("FallbackSCSV %q, want yes", o.FallbackSCSV)
	}
	if o.SecureRenegotiation != yes {
		t.Errorf("SecureRenegotiation %q, want yes", o.SecureRenegotiation)
	}
	if o.DHBits != 0 {
		t.Errorf("DHBits %d without a DHE suite", o.DHBits)
	}
	if !slices.Equal(o.ALPN, []string{"h2"}) {
		t.Errorf("ALPN %v, want [h2]", o.ALPN)
	}
	c := o.Certificate
	// SCTs: one in the TLS extension, two in the stapled OCSP response.
	if c == nil || c.OCSPStapled != yes || c.SCTs != 3 || c.ChainComplete != yes || c.ChainOrdered != yes {
		t.Errorf("certificate %+v", c)
	}
	ev := evidence(o, "tls/"+addr+"/key_exchange")
	if ev == nil {
		t.Fatal("no key_exchange evidence")
	}
	var rec extrasRecord
	if err := json.Unmarshal([]byte(ev.Data), &rec); err != nil || rec.Fallback == nil || rec.Fallback.Offered != posture.TLSv1_2 || len(rec.Groups) != 2 {
		t.Errorf("key_exchange evidence %v: %s", err, ev.Data)
	}
	t.Logf("%d probes; groups %+v", o.Probes, o.Groups)
}

// A TLS 1.3-only server: no downgrade to test, no renegotiation, groups in
// the client's key_share-free order of Go's defaults.
func TestExtrasTLS13Only(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{})
	addr, _ := serveTLS(t, &tls.Config{
		Certificates:     []tls.Certificate{leaf.TLSCertificate(ca, false)},
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.CurveP256},
	})
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second}), addr)
	if o.FallbackSCSV != unk || o.SecureRenegotiation != "" || len(o.ALPN) != 0 {
		t.Errorf("fallback %q renegotiation %q alpn %v", o.FallbackSCSV, o.SecureRenegotiation, o.ALPN)
	}
	g := groupsOf(o, posture.TLSv1_3)
	if len(o.Groups) != 1 || g == nil || !slices.Equal(g.Accepted, []string{"secp256r1"}) || g.ServerOrder != unk || g.Probes != groupProbes(*g) {
		t.Errorf("groups %+v", o.Groups)
	}
}

// The served chain's order and completeness, with and without its
// intermediate; SCTs embedded in the leaf.
func TestChainShape(t *testing.T) {
	root := newCA(t)
	inter := newIntermediate(t, root, "vouch test intermediate")
	leaf := issue(t, inter, pki.LeafOptions{})
	other := newCA(t)
	tests := []struct {
		name              string
		chain             [][]byte
		roots             *x509.CertPool
		trusted, complete posture.Tri
		ordered           posture.Tri
	}{
		{"leaf and intermediate", [][]byte{leaf.Cert.Raw, inter.Cert.Raw}, root.Pool(), yes, yes, yes},
		{"intermediate not sent", [][]byte{leaf.Cert.Raw}, root.Pool(), no, no, yes},
		{"root before intermediate", [][]byte{leaf.Cert.Raw, root.Cert.Raw, inter.Cert.Raw}, root.Pool(), yes, yes, no},
		{"whole chain, unknown root", [][]byte{leaf.Cert.Raw, inter.Cert.Raw, root.Cert.Raw}, other.Pool(), no, yes, yes},
		{"leaf only, unknown root", [][]byte{leaf.Cert.Raw}, other.Pool(), no, no, yes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{{Certificate: tc.chain, PrivateKey: leaf.Key}}})
			o := scanOne(t, New(Options{RootCAs: tc.roots, Timeout: 2 * time.Second}), addr)
			c := o.Certificate
			if c == nil {
				t.Fatalf("no certificate; evidence %+v", o.Evidence)
			}
			if c.Trusted != tc.trusted || c.ChainComplete != tc.complete || c.ChainOrdered != tc.ordered || c.ChainLength != len(tc.chain) {
				t.Errorf("trusted %s complete %s ordered %s length %d, want %s %s %s %d (%s)",
					c.Trusted, c.ChainComplete, c.ChainOrdered, c.ChainLength, tc.trusted, tc.complete, tc.ordered, len(tc.chain), c.ValidationError)
			}
			if c.OCSPStapled != no || c.SCTs != 0 {
				t.Errorf("ocsp %s scts %d from a server that sends neither", c.OCSPStapled, c.SCTs)
			}
		})
	}

	t.Run("embedded scts", func(t *testing.T) {
		addr, _ := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{sctLeaf(t, root, 3)}})
		o := scanOne(t, New(Options{RootCAs: root.Pool(), Timeout: 2 * time.Second}), addr)
		if c := o.Certificate; c == nil || c.SCTs != 3 || c.Trusted != yes {
			t.Errorf("certificate %+v, want 3 SCTs", c)
		}
	})
}

// echoServer answers every hello of TLS 1.2 or older with a ServerHello
// for the hello's own version and the first offered suite of its two, and
// ignores TLS_FALLBACK_SCSV; with reneg set it echoes renegotiation_info.
// It sends nothing after the ServerHello.
func echoServer(t *testing.T, reneg bool) string {
	return serveRaw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(3 * time.Second))
		var hdr [5]byte
		if _, err := readFull(c, hdr[:]); err != nil {
			return
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := readFull(c, body); err != nil {
			return
		}
		r := reader{body[4:]}
		var version uint16
		var random, sid, suites []byte
		if !r.u16(&version) || !r.bytes(32, &random) || !r.vec(1, &sid) || !r.vec(2, &suites) {
			return
		}
		chosen := uint16(0)
		for s := (reader{suites}); !s.empty(); {
			var id uint16
			s.u16(&id)
			if id == 0x002F || id == 0x0035 {
				chosen = id
				break
			}
		}
		if chosen == 0 {
			c.Write([]byte{recordAlert, 3, 3, 0, 2, 2, 40})
			return
		}
		var sh builder
		sh.u16(version)
		sh.raw(make([]byte, 32))
		sh.vec(1, func(*builder) {})
		sh.u16(chosen)
		sh.u8(0)
		if reneg { // the SSLv3 hello asks with TLS_EMPTY_RENEGOTIATION_INFO_SCSV
			sh.vec(2, func(w *builder) {
				w.u16(extRenegotiationInfo)
				w.vec(2, func(w *builder) { w.vec(1, func(*builder) {}) })
			})
		}
		var rec builder
		rec.u8(recordHandshake)
		rec.u16(version)
		rec.vec(2, func(w *builder) {
			w.u8(handshakeServerHello)
			w.u24(len(sh.b))
			w.raw(sh.b)
		})
		c.Write(rec.b)
	})
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// A server that ignores TLS_FALLBACK_SCSV and, in one case, does not
// answer renegotiation_info: both are seen as No.
func TestNoDowngradeProtection(t *testing.T) {
	for _, reneg := range []bool{false, true} {
		addr := echoServer(t, reneg)
		o := scanOne(t, New(Options{Timeout: 2 * time.Second}), addr)
		got := protocols(o)
		if got[posture.TLSv1_2] != yes || got[posture.TLSv1_0] != yes || got[posture.TLSv1_3] != no {
			t.Fatalf("protocols %v", got)
		}
		if o.FallbackSCSV != no {
			t.Errorf("reneg %v: FallbackSCSV %q, want no", reneg, o.FallbackSCSV)
		}
		if want := posture.TriOf(reneg); o.SecureRenegotiation != want {
			t.Errorf("SecureRenegotiation %q, want %q", o.SecureRenegotiation, want)
		}
		if len(o.Groups) != 0 || o.DHBits != 0 {
			t.Errorf("groups %+v dh %d from a server with RSA suites only", o.Groups, o.DHBits)
		}
	}
}

// keyShareServer speaks only TLS 1.3 with two suites and refuses, with
// illegal_parameter, any hello that carries no key share: its ServerHello
// is well formed up to the key, which is made up (a probe never uses it).
func keyShareServer(t *testing.T) string {
	return serveRaw(t, func(c net.Conn) {
		c.SetDeadline(time.Now().Add(3 * time.Second))
		var hdr [5]byte
		if _, err := readFull(c, hdr[:]); err != nil {
			return
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := readFull(c, body); err != nil {
			return
		}
		r := reader{body[4:]}
		var version uint16
		var random, sid, suites, comp, exts []byte
		if !r.u16(&version) || !r.bytes(32, &random) || !r.vec(1, &sid) || !r.vec(2, &suites) || !r.vec(1, &comp) || !r.vec(2, &exts) {
			return
		}
		tls13, shares := false, 0
		for e := (reader{exts}); !e.empty(); {
			var typ uint16
			var data []byte
			if !e.u16(&typ) || !e.vec(2, &data) {
				return
			}
			d := reader{data}
			switch typ {
			case extSupportedVersions:
				var list []byte
				d.vec(1, &list)
				tls13 = slices.Contains(list, 0x04)
			case extKeyShare:
				var list []byte
				d.vec(2, &list)
				shares = len(list)
			}
		}
		alert := func(desc byte) { c.Write([]byte{recordAlert, 3, 3, 0, 2, 2, desc}) }
		if !tls13 {
			alert(70) // protocol_version
			return
		}
		if shares == 0 {
			alert(47) // illegal_parameter
			return
		}
		chosen := uint16(0)
		for s := (reader{suites}); !s.empty(); {
			var id uint16
			s.u16(&id)
			if id == 0x1301 || id == 0x1302 {
				chosen = id
				break
			}
		}
		if chosen == 0 {
			alert(40)
			return
		}
		var sh builder
		sh.u16(versionTLS12)
		sh.raw(slices.Repeat([]byte{7}, 32))
		sh.vec(1, func(w *builder) { w.raw(sid) })
		sh.u16(chosen)
		sh.u8(0)
		sh.vec(2, func(w *builder) {
			w.u16(extSupportedVersions)
			w.vec(2, func(w *builder) { w.u16(versionTLS13) })
			w.u16(extKeyShare)
			w.vec(2, func(w *builder) {
				w.u16(groupX25519)
				w.vec(2, func(w *builder) { w.raw(make([]byte, 32)) })
			})
		})
		var rec builder
		rec.u8(recordHandshake)
		rec.u16(versionTLS12)
		rec.vec(2, func(w *builder) {
			w.u8(handshakeServerHello)
			w.u24(len(sh.b))
			w.raw(sh.b)
		})
		c.Write(rec.b)
	})
}

// A TLS 1.3 server that refuses hellos without a key share still has its
// suites enumerated (the scan falls back to sending one), and its groups
// are said to be incomplete rather than empty.
func TestKeyShareRequired(t *testing.T) {
	addr := keyShareServer(t)
	o := scanOne(t, New(Options{Timeout: 2 * time.Second}), addr)
	if got := protocols(o); got[posture.TLSv1_3] != yes || got[posture.TLSv1_2] != no {
		t.Fatalf("protocols %v", got)
	}
	if len(o.Suites) != 1 || !slices.Equal(o.Suites[0].Accepted, []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"}) {
		t.Errorf("suites %+v", o.Suites)
	}
	// Version probe, a refused key-share-less hello and its retry, the
	// refusal, the order test.
	if o.Suites[0].Probes != 5 {
		t.Errorf("suite enumeration took %d probes, want 5", o.Suites[0].Probes)
	}
	g := groupsOf(o, posture.TLSv1_3)
	if g == nil || g.Missing == nil || !slices.Equal(g.Accepted, []string{"x25519"}) {
		t.Errorf("groups %+v", o.Groups)
	}
}

// With an ECDSA certificate, TLS 1.2 curves are enumerated with the
// certificate's curve kept in every offer: all are found from a server
// that follows the client's order (Go), and a server with its own order
// (OpenSSL -serverpref) that ranks that curve high is said to hide the
// rest.
func TestGroupsECDSACertificate(t *testing.T) {
	ca := newCA(t)
	leaf := issue(t, ca, pki.LeafOptions{}) // ECDSA P-256
	addr, _ := serveTLS(t, &tls.Config{
		Certificates:     []tls.Certificate{leaf.TLSCertificate(ca, false)},
		MaxVersion:       tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.CurveP384, tls.CurveP256, tls.X25519},
	})
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second}), addr)
	g := groupsOf(o, posture.TLSv1_2)
	// Three picks (the last the pinned P-256, which ends it) and the order test.
	if g == nil || !slices.Equal(g.Accepted, []string{"x25519", "secp384r1", "secp256r1"}) || g.ServerOrder != no || g.Missing != nil || g.Probes != 4 {
		t.Errorf("Go server: TLS 1.2 groups %+v", o.Groups)
	}

	addr = startOpenSSL(t, leaf, "-tls1_2", "-serverpref", "-groups", "P-256:X25519:P-384")
	o = scanOne(t, New(Options{RootCAs: ca.Pool(), Timeout: 2 * time.Second}), addr)
	g = groupsOf(o, posture.TLSv1_2)
	if g == nil || !slices.Equal(g.Accepted, []string{"secp256r1"}) || g.Missing == nil {
		t.Errorf("openssl -serverpref: TLS 1.2 groups %+v", o.Groups)
	}
}

// groupProbes is the cost of the group enumeration g (removal.go).
func groupProbes(g posture.GroupProbe) int {
	v := versionByName(g.Protocol)
	m := len(groupsTLS12)
	if v >= versionTLS13 {
		m = len(groupsTLS13)
	}
	if v >= versionTLS13 && len(g.Accepted) > 0 && (g.ServerOrder == posture.Yes || len(g.Accepted) == 1) {
		return familyProbes(g)
	}
	return removalProbes(len(g.Accepted), m, groupChunks(v, netlimit.DefaultPerHost), g.ServerOrder)
}

// familyProbes is the cost of a TLS 1.3 group enumeration of a server
// with an order of its own (or one group, which reads the same): the
// first hello and the hint, then one chain per family of the groups left
// (one hello per group it accepts, one refused unless it accepted them
// all), then the merge hellos of families in blocks, as servers rank
// them.
func familyProbes(g posture.GroupProbe) int {
	id := func(name string) uint16 {
		for _, c := range groupsTLS13 {
			if groupName(c) == name {
				return c
			}
		}
		return 0
	}
	top := id(g.Accepted[0])
	cand, acc := map[int]int{}, map[int]int{}
	for _, c := range groupsTLS13 {
		if c != top {
			cand[groupFamily(c)]++
		}
	}
	var lists []int // the length of each family's list, in the server's order
	last := -1
	for _, name := range g.Accepted {
		f := groupFamily(id(name))
		if name != g.Accepted[0] {
			acc[f]++
		}
		if f != last {
			lists = append(lists, 0)
			last = f
		}
		lists[len(lists)-1]++
	}
	n := 2
	for f, c := range cand {
		n += acc[f]
		if c > acc[f] {
			n++
		}
	}
	// Merging families in blocks: a list of more than one is taken whole
	// after one hello (its last against the others' heads), a list of one
	// is the known first pick; then, while two lists or more are left,
	// one hello of the heads finds the next first pick.
	for i, l := range lists[:len(lists)-1] {
		if l > 1 {
			n++
		}
		if i < len(lists)-2 {
			n++
		}
	}
	return n
}
