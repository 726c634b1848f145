package checks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.certificate_signature: the leaf certificate each endpoint serves is
// signed with a collision-resistant hash, and, when the control declares
// it, with one of the declared algorithms (a claim such as "SHA-256 RSA
// certificates"). SHA-1 and MD5 signatures always fail: RFC 9155
// deprecates them in TLS 1.2, the CA/Browser Forum Baseline Requirements
// §7.1.3.2 forbid them, and NIST SP 800-131A Rev. 2 §4 disallows SHA-1
// for signature generation.
//
// algorithm is a comma-separated list. Each entry matches when all of its
// words are words of the certificate's algorithm as Go names it
// (SHA256-RSA, ECDSA-SHA384, SHA256-RSAPSS, Ed25519): "SHA256-RSA" and
// "SHA-256 RSA" match SHA256-RSA only, "sha256" matches any SHA-256
// signature, "ecdsa" any ECDSA one, "rsa" RSA PKCS#1 v1.5 and RSA-PSS.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.certificate_signature",
			Title:       "Sign certificates with a strong, declared algorithm",
			Description: "The leaf certificate of every TLS endpoint is not signed with SHA-1, MD5 or MD2 and, when algorithm is given, is signed with one of the declared algorithms.",
			Citation:    "RFC 9155 (SHA-1 and MD5 signatures deprecated in TLS 1.2); NIST SP 800-131A Rev. 2 §4; CA/Browser Forum Baseline Requirements §7.1.3.2",
			Severity:    posture.SeverityMedium,
			Remediation: "Reissue the certificate from a CA that signs with SHA-256 or stronger (every public CA does today), with the key type the claim names; serve it on every endpoint, then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				{Name: "algorithm", Type: posture.ParamList, Doc: "accepted signature algorithms or parts of them, e.g. [SHA256-RSA, ECDSA-SHA384] or sha256; any but SHA-1/MD5/MD2 when absent"},
			},
			Needs: needTLSWeb,
			Claim: "our TLS certificates are signed with SHA-256 RSA",
		},
		Validate: map[string]func(posture.Value) error{"algorithm": validateSignatureAlgorithms},
		Run:      runTLSCertificateSignature,
	})
}

var (
	shaRE       = regexp.MustCompile(`sha[-_ ]?(1|224|256|384|512)\b`)
	sigSplitRE  = regexp.MustCompile(`[^a-z0-9]+`)
	weakSigHash = []string{"sha1", "md5", "md2"}
	// knownSigWords name the digest (or the hash-free EdDSA scheme) of
	// a signature algorithm Go recognises. Go prints one it does not
	// recognise (RSA-PSS with SHA-1, say) as its number, "0": its hash is
	// then unknown, not strong.
	knownSigWords = []string{"md2", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "ed25519", "ed448"}
)

// sigKnown reports whether the words of an algorithm name its hash.
func sigKnown(alg []string) bool {
	for _, w := range alg {
		if slices.Contains(knownSigWords, w) {
			return true
		}
	}
	return false
}

// sigWords splits an algorithm name into lower-case words, with
// "SHA-256" written as one word.
func sigWords(s string) []string {
	s = shaRE.ReplaceAllString(strings.ToLower(s), "sha$1")
	var out []string
	for _, w := range sigSplitRE.Split(s, -1) {
		if w == "" || w == "with" || w == "and" || w == "encryption" || w == "signature" {
			continue
		}
		out = append(out, w)
	}
	return out
}

// sigMatches reports whether every word of the declared entry is a word
// of the algorithm ("rsa" also matches "rsapss").
func sigMatches(entry []string, alg []string) bool {
	if len(entry) == 0 {
		return false
	}
	for _, w := range entry {
		if !slices.Contains(alg, w) && !(w == "rsa" && slices.Contains(alg, "rsapss")) {
			return false
		}
	}
	return true
}

// validateSignatureAlgorithms refuses an entry that names no algorithm,
// and one this check always rejects (SHA-1, MD5, MD2): a claim cannot
// accept what the check never passes.
func validateSignatureAlgorithms(v posture.Value) error {
	for _, e := range v.List {
		w := sigWords(e)
		if len(w) == 0 {
			return fmt.Errorf("%q names no signature algorithm (want e.g. SHA256-RSA, ECDSA-SHA384 or sha256)", e)
		}
		for _, x := range w {
			if slices.Contains(weakSigHash, x) {
				return fmt.Errorf("%q is a weak algorithm this check always rejects", e)
			}
		}
	}
	return nil
}

func runTLSCertificateSignature(in Input) []posture.Finding {
	var entries [][]string
	var names []string
	for _, e := range in.Args.List("algorithm") {
		entries = append(entries, sigWords(e))
		names = append(names, e)
	}
	expected := "certificate signature not SHA-1, MD5 or MD2"
	if len(names) > 0 {
		expected = "certificate signed with " + strings.Join(names, " or ") + " (not SHA-1, MD5 or MD2)"
	}
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeSignature(o, entries, expected))
	}
	return out
}

func judgeSignature(o posture.TLSObservation, entries [][]string, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	c := o.Certificate
	if c == nil || c.SignatureAlgorithm == "" {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "certificate signature algorithm not recorded"}, expected, "",
			fmt.Sprintf("the scan recorded no certificate signature algorithm for %s; not counted as a pass or a gap", endpoint(o)), o.EvidenceIDs())
	}
	ev := ids(one(c.ChainEvidence), o.EvidenceIDs())
	observed := fmt.Sprintf("leaf certificate %s signed with %s by %s", quote(c.Subject), c.SignatureAlgorithm, quote(c.Issuer))
	alg := sigWords(c.SignatureAlgorithm)
	for _, w := range alg {
		if slices.Contains(weakSigHash, w) {
			return contradicted(o.Observation, CodeSigWeak, expected, observed,
				fmt.Sprintf("the certificate of %s is signed with %s, a broken hash", endpoint(o), c.SignatureAlgorithm), ev)
		}
	}
	if !sigKnown(alg) {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "certificate signature algorithm " + c.SignatureAlgorithm + " not recognised"}, expected, observed,
			fmt.Sprintf("the certificate of %s is signed with an algorithm vouch does not recognise (%s), so its hash is unknown; not counted as a pass or a gap", endpoint(o), c.SignatureAlgorithm), ev)
	}
	if len(entries) == 0 {
		return verified(o.Observation, expected, observed, ev)
	}
	for _, e := range entries {
		if sigMatches(e, alg) {
			return verified(o.Observation, expected, observed, ev)
		}
	}
	return contradicted(o.Observation, CodeSigMismatch, expected, observed,
		fmt.Sprintf("the certificate of %s is signed with %s, not a declared algorithm", endpoint(o), c.SignatureAlgorithm), ev)
}
