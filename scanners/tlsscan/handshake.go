package tlsscan

import (
	"context"
	"crypto/dsa" //nolint:staticcheck // only to report the size of a DSA key a server presents
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
	ztls "github.com/zmap/zcrypto/tls"
)

// handshakeResult is what the full handshakes learned.
type handshakeResult struct {
	// library names the client that completed a handshake: "crypto/tls"
	// or "zcrypto"; empty when none did.
	library string
	version uint16
	suite   uint16
	alpn    string
	// chain is the certificate chain as served, DER, leaf first. It may be
	// set even when no handshake completed.
	chain [][]byte
	// attempts records every handshake tried and how it ended.
	attempts []attempt
	probes   int // connections established
	// ocsp is the stapled OCSP response; scts the SignedCertificateTimestamps
	// of the TLS extension (RFC 6962 §3.3). Both clients ask for both.
	ocsp []byte
	scts [][]byte
}

type attempt struct {
	Library string `json:"library"`
	Error   string `json:"error,omitempty"`
}

// handshakeSummary is the tls-handshake evidence of the full handshake.
type handshakeSummary struct {
	Library     string `json:"library"`
	ServerName  string `json:"server_name,omitempty"`
	Protocol    string `json:"protocol"`
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn,omitempty"`
	ChainLength int    `json:"chain_length"`
	OCSPStapled bool   `json:"ocsp_stapled"`
	// SCTsTLS counts the timestamps sent in the TLS extension.
	SCTsTLS  int       `json:"scts_tls_extension"`
	Attempts []attempt `json:"attempts"`
}

// alpnOffer is what the full handshake offers in ALPN, as a browser would.
var alpnOffer = []string{"h2", "http/1.1"}

// fullHandshake completes one handshake with crypto/tls, as a default
// client would (TLS 1.0 allowed), to learn what is negotiated and to get
// the chain. Certificates are never verified here: the chain is wanted
// whatever it is, and verified afterwards. When crypto/tls cannot
// complete, zcrypto tries with SSLv3 to TLS 1.2 and every suite.
//
// legacyAnswered, called only after crypto/tls timed out, reports whether
// the endpoint accepted a version up to TLS 1.2 (it may wait for the
// version probes to say).
func (s *Scanner) fullHandshake(ctx context.Context, addr, serverName string, legacyAnswered func() bool) handshakeResult {
	var res handshakeResult
	err := s.stdHandshake(ctx, addr, serverName, &res)
	if err == nil {
		res.library = "crypto/tls"
		res.attempts = append(res.attempts, attempt{Library: "crypto/tls"})
		return res
	}
	res.attempts = append(res.attempts, attempt{Library: "crypto/tls", Error: err.Error()})
	if ctx.Err() != nil || res.probes == 0 || (timedOut(err) && !legacyAnswered()) {
		// Not connected, or no answer in time from an endpoint that
		// accepted no version zcrypto speaks: it would wait as long
		// again for the same silence. (An endpoint that answers small
		// hellos but not crypto/tls's large one still gets zcrypto's.)
		return res
	}
	err = s.zcryptoHandshake(ctx, addr, serverName, &res)
	if err == nil {
		res.library = "zcrypto"
		res.attempts = append(res.attempts, attempt{Library: "zcrypto"})
		return res
	}
	res.attempts = append(res.attempts, attempt{Library: "zcrypto", Error: err.Error()})
	return res
}

// timedOut reports whether err is a deadline that passed.
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func (s *Scanner) stdHandshake(ctx context.Context, addr, serverName string, res *handshakeResult) error {
	raw, hctx, cancel, err := s.connect(ctx, addr, s.timeout)
	defer cancel()
	if err != nil {
		return fmt.Errorf("tlsscan: dial %s: %w", addr, err)
	}
	res.probes++
	defer raw.Close()
	stop := watch(hctx, raw)
	defer stop()
	var served [][]byte
	conn := tls.Client(raw, &tls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true, // verified below, against RootCAs, so an invalid chain is still observed
		MinVersion:         tls.VersionTLS10,
		NextProtos:         alpnOffer,
		Time:               s.now,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			served = rawCerts
			return nil
		},
	})
	err = conn.HandshakeContext(hctx)
	if len(served) > 0 && res.chain == nil {
		res.chain = served
	}
	if err != nil {
		return fmt.Errorf("tlsscan: handshake %s: %w", addr, err)
	}
	st := conn.ConnectionState()
	res.version, res.suite, res.alpn = st.Version, st.CipherSuite, st.NegotiatedProtocol
	res.ocsp, res.scts = st.OCSPResponse, st.SignedCertificateTimestamps
	conn.Close()
	return nil
}

func (s *Scanner) zcryptoHandshake(ctx context.Context, addr, serverName string, res *handshakeResult) error {
	raw, hctx, cancel, err := s.connect(ctx, addr, s.timeout)
	defer cancel()
	if err != nil {
		return fmt.Errorf("tlsscan: dial %s: %w", addr, err)
	}
	res.probes++
	defer raw.Close()
	stop := watch(hctx, raw)
	defer stop()
	suites := append(append([]uint16(nil), suitesTLS12...), suitesLegacy...)
	conn := ztls.Client(raw, &ztls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: true,
		MinVersion:         ztls.VersionSSL30,
		MaxVersion:         ztls.VersionTLS12,
		CipherSuites:       dedupe(suites),
		// Offer suites zcrypto cannot complete too: the certificate
		// arrives before the key exchange would fail.
		ForceSuites:                   true,
		NextProtos:                    alpnOffer,
		SignedCertificateTimestampExt: true,
		Time:                          s.now,
	})
	err = conn.Handshake()
	if log := conn.GetHandshakeLog(); log != nil && log.ServerCertificates != nil && res.chain == nil {
		sc := log.ServerCertificates
		if len(sc.Certificate.Raw) > 0 {
			res.chain = append(res.chain, sc.Certificate.Raw)
			for _, c := range sc.Chain {
				res.chain = append(res.chain, c.Raw)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("tlsscan: zcrypto handshake %s: %w", addr, err)
	}
	st := conn.ConnectionState()
	res.version, res.suite, res.alpn = st.Version, st.CipherSuite, st.NegotiatedProtocol
	res.ocsp = conn.OCSPResponse()
	if log := conn.GetHandshakeLog(); log != nil && log.ServerHello != nil {
		for _, sct := range log.ServerHello.SignedCertificateTimestamps {
			res.scts = append(res.scts, sct.Raw)
		}
	}
	conn.Close()
	return nil
}

func dedupe(ids []uint16) []uint16 {
	seen := map[uint16]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// chainPEM encodes a chain as PEM blocks, leaf first.
func chainPEM(chain [][]byte) string {
	var b strings.Builder
	for _, der := range chain {
		b.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	return b.String()
}

func (h handshakeResult) summaryJSON(serverName string) string {
	sum := handshakeSummary{
		Library:     h.library,
		ServerName:  serverName,
		Protocol:    versionName(h.version),
		CipherSuite: suiteName(h.suite),
		ALPN:        h.alpn,
		ChainLength: len(h.chain),
		OCSPStapled: len(h.ocsp) > 0,
		SCTsTLS:     len(h.scts),
		Attempts:    h.attempts,
	}
	b, _ := json.MarshalIndent(sum, "", "  ")
	return string(b)
}

// verifyName is the name a certificate must be valid for: the server
// name, or the IP address (without zone) when the target is an IP.
func verifyName(serverName, ip string) string {
	if serverName != "" {
		return serverName
	}
	if a, err := netip.ParseAddr(ip); err == nil {
		return a.WithZone("").String()
	}
	return ip
}

// certificateFacts parses the served chain and verifies it. It returns nil
// and the reason when the leaf cannot be parsed.
func certificateFacts(chain [][]byte, name string, roots *x509.CertPool, now time.Time) (*posture.Certificate, error) {
	if len(chain) == 0 {
		return nil, fmt.Errorf("tlsscan: no certificate served")
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("tlsscan: parse leaf certificate: %w", err)
	}
	inter := x509.NewCertPool()
	for _, der := range chain[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	f := &posture.Certificate{
		Subject:            leaf.Subject.String(),
		Issuer:             leaf.Issuer.String(),
		SerialNumber:       leaf.SerialNumber.Text(16),
		DNSNames:           leaf.DNSNames,
		NotBefore:          leaf.NotBefore.UTC(),
		NotAfter:           leaf.NotAfter.UTC(),
		SignatureAlgorithm: leaf.SignatureAlgorithm.String(),
		ChainLength:        len(chain),
	}
	for _, ip := range leaf.IPAddresses {
		f.IPAddresses = append(f.IPAddresses, ip.String())
	}
	f.KeyType, f.KeyBits = keyFacts(leaf)
	// Trust is the path to a root alone: with DNSName set, Verify fails
	// on a name mismatch before it builds a path, and a trusted chain
	// for the wrong name would read as untrusted (grade T, not M).
	// HostnameMatch below says whether the name is covered.
	_, verr := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
	})
	f.Trusted = posture.TriOf(verr == nil)
	if verr != nil {
		f.ValidationError = verr.Error()
	}
	certs := parseChain(chain)
	f.ChainOrdered = chainOrdered(certs)
	f.ChainComplete = chainComplete(certs, roots, verr == nil)
	f.SCTs = embeddedSCTs(leaf)
	f.HostnameMatch = posture.TriOf(leaf.VerifyHostname(name) == nil)
	return f, nil
}

// keyFacts names the leaf's key type and size.
func keyFacts(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	case *dsa.PublicKey:
		return "DSA", k.P.BitLen()
	}
	return c.PublicKeyAlgorithm.String(), 0
}
