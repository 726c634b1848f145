package tlsscan

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"

	"golang.org/x/crypto/ocsp"

	"github.com/vouchdev/vouch/posture"
)

// Chain shape: order, completeness, and the SCTs a leaf carries.
//
// Both are judged by names and key identifiers, not by signatures, so that
// a chain signed with SHA-1 or an expired intermediate is still seen for
// what it is: the signature and validity problems are the validation's to
// report.

// issues reports whether parent is named as child's issuer: the subject
// matches the issuer, and the key identifiers match when both are given.
func issues(parent, child *x509.Certificate) bool {
	if !bytes.Equal(parent.RawSubject, child.RawIssuer) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 {
		return bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
	}
	return true
}

func selfIssued(c *x509.Certificate) bool { return issues(c, c) }

// chainOrdered reports whether each served certificate is issued by the
// one after it (RFC 5246 §7.4.2; RFC 8446 §4.4.2 relaxes it for all but
// the leaf, but clients and auditors still expect it). Certificates that
// do not parse leave it Unknown.
func chainOrdered(certs []*x509.Certificate) posture.Tri {
	for i := 0; i+1 < len(certs); i++ {
		if certs[i] == nil || certs[i+1] == nil {
			return posture.Unknown
		}
		if !issues(certs[i+1], certs[i]) {
			return posture.No
		}
	}
	return posture.Yes
}

// chainComplete reports whether the served certificates, in any order,
// lead from the leaf to a certificate that is self-issued or issued by a
// root in roots (nil: the system roots): No means a client that does not
// fetch missing intermediates cannot build a path, which is how
// openssl verify ("unable to get local issuer certificate"), testssl.sh
// and SSL Labs call a chain incomplete. trusted short-cuts it: a chain
// that validated is complete.
func chainComplete(certs []*x509.Certificate, roots *x509.CertPool, trusted bool) posture.Tri {
	if trusted {
		return posture.Yes
	}
	if len(certs) == 0 || certs[0] == nil {
		return posture.Unknown
	}
	used := make([]bool, len(certs))
	used[0] = true
	top := certs[0]
	for !selfIssued(top) {
		next := -1
		for i, c := range certs {
			if !used[i] && c != nil && issues(c, top) {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		top = certs[next]
	}
	if selfIssued(top) || issuedByRoot(top, roots) {
		return posture.Yes
	}
	return posture.No
}

// issuedByRoot reports whether c names a root of the pool as its issuer,
// or validates against the pool at a time within its validity.
func issuedByRoot(c *x509.Certificate, roots *x509.CertPool) bool {
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			return false
		}
	}
	//nolint:staticcheck // Subjects lists the roots of a pool vouch built or the Linux system pool
	for _, subj := range roots.Subjects() {
		if bytes.Equal(subj, c.RawIssuer) {
			return true
		}
	}
	mid := c.NotBefore.Add(c.NotAfter.Sub(c.NotBefore) / 2)
	_, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: mid, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

// oidEmbeddedSCTs is the X.509v3 extension holding a certificate's SCT
// list (RFC 6962 §3.3).
var oidEmbeddedSCTs = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// embeddedSCTs counts the SCTs in c's SCT-list extension: an OCTET STRING
// holding a SignedCertificateTimestampList, a 2-byte length and then each
// SCT with its own 2-byte length.
func embeddedSCTs(c *x509.Certificate) int {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidEmbeddedSCTs) {
			continue
		}
		var list []byte
		if rest, err := asn1.Unmarshal(e.Value, &list); err != nil || len(rest) > 0 {
			return 0
		}
		return countSCTList(list)
	}
	return 0
}

// countSCTList counts the entries of a TLS-encoded SCT list; a malformed
// list counts the entries read before the fault.
func countSCTList(b []byte) int {
	r := reader{b}
	var list []byte
	if !r.vec(2, &list) {
		return 0
	}
	l := reader{list}
	n := 0
	for !l.empty() {
		var sct []byte
		if !l.vec(2, &sct) || len(sct) == 0 {
			break
		}
		n++
	}
	return n
}

// parseChain parses every served certificate; a nil entry did not parse.
func parseChain(chain [][]byte) []*x509.Certificate {
	out := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		if c, err := x509.ParseCertificate(der); err == nil {
			out[i] = c
		}
	}
	return out
}

// oidOCSPSCTs is the singleExtensions entry of an OCSP response that
// carries an SCT list (RFC 6962 §3.3).
var oidOCSPSCTs = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 5}

// ocspSCTs counts the SCTs in a stapled OCSP response; 0 when it does not
// parse or is not a successful response. The response's signature is not
// checked: vouch reports what was stapled, it does not rely on it.
func ocspSCTs(der []byte) int {
	if len(der) == 0 {
		return 0
	}
	r, err := ocsp.ParseResponse(der, nil)
	if err != nil {
		return 0
	}
	for _, e := range r.Extensions {
		if !e.Id.Equal(oidOCSPSCTs) {
			continue
		}
		var list []byte
		if rest, err := asn1.Unmarshal(e.Value, &list); err != nil || len(rest) > 0 {
			return 0
		}
		return countSCTList(list)
	}
	return 0
}
