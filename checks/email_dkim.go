package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// email.dkim: the mail domain publishes a DKIM key (RFC 6376 §3.6.1,
// <selector>._domainkey.<domain> TXT) for at least one of the selectors
// tried, and every RSA key found is long enough (RFC 8301 §3.2: at least
// 1024 bits, SHOULD be 2048; under 1024 is always a gap, whatever
// min_bits says), and no key restricts h= to sha1 (RFC 8301 §3.1).
// Revoked keys (empty p=) are old selectors and are not judged; keys in
// testing mode (t=y) are named in the observation. A selector cannot be discovered from
// outside: only the selectors declared in scope.dkim_selectors and the
// common ones the scanner tries are looked at.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "email.dkim",
			Title:       "Publish DKIM keys of adequate length",
			Description: "At least one non-revoked DKIM key is published under the selectors tried, every RSA key found has at least min_bits bits (never under 1024), and no key allows only sha1 signatures.",
			Citation:    "RFC 6376 §3.6.1 (key records); RFC 8301 §3.1 (sha1), §3.2 (RSA key sizes)",
			Severity:    posture.SeverityMedium,
			Remediation: "Sign outgoing mail with DKIM, publish the key at <selector>._domainkey.<domain>, use RSA keys of 2048 bits or Ed25519 (with an RSA key beside it), and list your selectors in scope.dkim_selectors.",
			Mappings:    []string{"SOC2:CC6.6", "ISO27001:A.5.14", "CIS:9.5"},
			Params: []posture.Param{
				intParam("min_bits", 2048, 0, 16384, "fewest bits of an RSA DKIM key (keys under 1024 bits and sha1-only h= always fail)"),
			},
			Needs: needDNSMail,
			Claim: "our outgoing mail is DKIM-signed",
		},
		Run: runDKIM,
	})
}

func runDKIM(in Input) []posture.Finding {
	minBits := in.Args.Int("min_bits")
	expected := fmt.Sprintf("a DKIM key published; every RSA key >= %d bits (and >= 1024); sha256 allowed", minBits)
	var out []posture.Finding
	for _, o := range in.Snapshot.DNS {
		out = append(out, judgeDKIM(o, minBits, expected))
	}
	return out
}

func judgeDKIM(o posture.DNSObservation, minBits int, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	if len(o.DKIM) == 0 {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "no DKIM selector was looked up"}, expected, "",
			fmt.Sprintf("no DKIM selector was looked up for %s; declare your selectors in scope.dkim_selectors", o.Domain), o.EvidenceIDs())
	}
	var (
		evs                        []string
		seen, found, weak, bitsUnk []string
		failed, insecure, sha1     []string
		firstFail                  *posture.Missing
	)
	for _, k := range o.DKIM {
		evs = append(evs, k.Lookup.Evidence)
		seen = append(seen, k.Selector)
		switch {
		case k.Lookup.Missing != nil:
			failed = append(failed, k.Selector+" ("+k.Lookup.Missing.Error()+")")
			if firstFail == nil {
				firstFail = k.Lookup.Missing
			}
			continue
		case k.Lookup.Found != posture.Yes || k.Revoked:
			continue
		}
		kt := strings.ToLower(k.KeyType)
		if kt == "" {
			kt = "rsa" // k= defaults to rsa (RFC 6376 §3.6.1)
		}
		desc := fmt.Sprintf("%s (%s", k.Selector, kt)
		if k.KeyBits > 0 {
			desc += fmt.Sprintf(" %d bits", k.KeyBits)
		}
		if k.Testing {
			desc += ", testing"
		}
		desc += ")"
		found = append(found, desc)
		for _, i := range k.Issues {
			if i == posture.CodeDKIMSHA1Only || i == posture.CodeDKIMHUnknown {
				sha1 = append(sha1, fmt.Sprintf("%s (h=%s)", k.Selector, strings.Join(k.Hashes, ":")))
				break
			}
		}
		if kt == "rsa" {
			switch {
			case k.KeyBits <= 0:
				bitsUnk = append(bitsUnk, k.Selector)
			case k.KeyBits < 1024:
				insecure = append(insecure, desc)
			case k.KeyBits < minBits:
				weak = append(weak, desc)
			}
		}
	}
	ev := or(ids(evs), o.EvidenceIDs())
	observed := "selectors tried: " + strings.Join(seen, ", ")
	if len(found) > 0 {
		observed += "; keys: " + strings.Join(found, ", ")
	} else {
		observed += "; no key found"
	}
	if len(failed) > 0 {
		observed += "; lookups failed: " + strings.Join(failed, ", ")
	}
	switch {
	case len(insecure) > 0:
		return contradicted(o.Observation, CodeDKIMKeyInsecure, expected, observed,
			fmt.Sprintf("%s publishes RSA DKIM keys shorter than 1024 bits, whose signatures verifiers must not accept (RFC 8301 §3.2): %s", o.Domain, strings.Join(insecure, ", ")), ev)
	case len(sha1) > 0:
		return contradicted(o.Observation, posture.CodeDKIMSHA1Only, expected, observed,
			fmt.Sprintf("%s publishes DKIM keys that allow only sha1 (or no known) signatures, which verifiers must not accept (RFC 8301 §3.1): %s", o.Domain, strings.Join(sha1, ", ")), ev)
	case len(weak) > 0:
		return contradicted(o.Observation, CodeDKIMKeyWeak, expected, observed,
			fmt.Sprintf("%s publishes RSA DKIM keys shorter than %d bits: %s", o.Domain, minBits, strings.Join(weak, ", ")), ev)
	case len(found) == 0 && firstFail != nil:
		// A selector whose lookup failed may hold the key.
		return inconclusive(o.Observation, firstFail, expected, observed,
			fmt.Sprintf("no DKIM key found for %s, and %d of %d selector lookups failed; not counted as a pass or a gap", o.Domain, len(failed), len(o.DKIM)), ev)
	case len(found) == 0:
		return contradicted(o.Observation, CodeDKIMMissing, expected, observed,
			fmt.Sprintf("none of the selectors tried for %s (%s) publishes a usable DKIM key; if you sign with another selector, list it in scope.dkim_selectors", o.Domain, strings.Join(seen, ", ")), ev)
	case firstFail != nil:
		// A selector whose lookup failed may hold a short or sha1-only
		// key: "every key" was not seen.
		return inconclusive(o.Observation, firstFail, expected, observed,
			fmt.Sprintf("the DKIM keys found for %s hold, but %d of %d selector lookups failed, so those keys are unknown; not counted as a pass or a gap", o.Domain, len(failed), len(o.DKIM)), ev)
	case len(bitsUnk) > 0:
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonProtocolError, Detail: "RSA key length not determined for " + strings.Join(bitsUnk, ", ")}, expected, observed,
			fmt.Sprintf("could not tell the RSA key length of %s for %s; not counted as a pass or a gap", strings.Join(bitsUnk, ", "), o.Domain), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}
