package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func dkimKey(sel string, found posture.Tri, kt string, bits int) posture.DKIMKey {
	return posture.DKIMKey{
		Selector: sel,
		Lookup:   posture.Lookup{Name: sel + "._domainkey.acme.example", Type: "TXT", Found: found, Evidence: "dkim-" + sel},
		KeyType:  kt, KeyBits: bits,
	}
}

// withHashes sets h= algorithms and an issue code ("" for none).
func withHashes(k posture.DKIMKey, issue posture.Code, hashes ...string) posture.DKIMKey {
	k.Hashes = hashes
	if issue != "" {
		k.Issues = []posture.Code{issue}
	}
	return k
}

func dkimObs(keys ...posture.DKIMKey) posture.DNSObservation {
	o := dnsObs()
	o.DKIM = keys
	return o
}

func TestDKIM(t *testing.T) {
	Y, N := posture.Yes, posture.No
	failedKey := func(sel string, r posture.Reason) posture.DKIMKey {
		k := dkimKey(sel, posture.Unknown, "", 0)
		k.Lookup.Missing = miss(r)
		return k
	}
	revoked := dkimKey("old", Y, "rsa", 0)
	revoked.Revoked = true
	tests := []struct {
		name   string
		params map[string]string
		o      posture.DNSObservation
		want   row
	}{
		{"rsa 2048", nil, dkimObs(dkimKey("s1", Y, "rsa", 2048), dkimKey("google", N, "", 0)), row{posture.Verified, ""}},
		{"ed25519", nil, dkimObs(dkimKey("ed", Y, "ed25519", 256)), row{posture.Verified, ""}},
		{"key type defaults to rsa", nil, dkimObs(dkimKey("s1", Y, "", 1024)), row{posture.Contradicted, CodeDKIMKeyWeak}},
		{"rsa 1024", nil, dkimObs(dkimKey("s1", Y, "rsa", 1024), dkimKey("s2", Y, "rsa", 2048)), row{posture.Contradicted, CodeDKIMKeyWeak}},
		{"rsa 1024 with min_bits 1024", map[string]string{"min_bits": "1024"}, dkimObs(dkimKey("s1", Y, "RSA", 1024)), row{posture.Verified, ""}},
		{"none found", nil, dkimObs(dkimKey("s1", N, "", 0), dkimKey("google", N, "", 0)), row{posture.Contradicted, CodeDKIMMissing}},
		{"only revoked", nil, dkimObs(revoked), row{posture.Contradicted, CodeDKIMMissing}},
		{"all lookups failed", nil, dkimObs(failedKey("s1", posture.ReasonTimeout), failedKey("s2", posture.ReasonServFail)), row{posture.Inconclusive, ""}},
		{"none found, one failed", nil, dkimObs(dkimKey("s1", N, "", 0), failedKey("s2", posture.ReasonServFail)), row{posture.Inconclusive, ""}},
		// s2 may hold a short key: "every key >= 2048 bits" is not seen.
		{"found beside a failed lookup", nil, dkimObs(dkimKey("s1", Y, "rsa", 2048), failedKey("s2", posture.ReasonServFail)), row{posture.Inconclusive, ""}},
		{"weak beside a failed lookup", nil, dkimObs(dkimKey("s1", Y, "rsa", 1024), failedKey("s2", posture.ReasonServFail)), row{posture.Contradicted, CodeDKIMKeyWeak}},
		{"rsa bits unknown", nil, dkimObs(dkimKey("s1", Y, "rsa", 0)), row{posture.Inconclusive, ""}},
		{"no selector tried", nil, dnsObs(), row{posture.Inconclusive, ""}},
		{"rsa 512", nil, dkimObs(dkimKey("s1", Y, "rsa", 512), dkimKey("s2", Y, "rsa", 2048)), row{posture.Contradicted, CodeDKIMKeyInsecure}},
		{"rsa 768 even with min_bits 512", map[string]string{"min_bits": "512"}, dkimObs(dkimKey("s1", Y, "rsa", 768)), row{posture.Contradicted, CodeDKIMKeyInsecure}},
		{"h=sha1 only", nil, dkimObs(withHashes(dkimKey("s1", Y, "rsa", 2048), posture.CodeDKIMSHA1Only, "sha1")), row{posture.Contradicted, posture.CodeDKIMSHA1Only}},
		{"h=md5 only", nil, dkimObs(withHashes(dkimKey("s1", Y, "rsa", 2048), posture.CodeDKIMHUnknown, "md5")), row{posture.Contradicted, posture.CodeDKIMSHA1Only}},
		{"h=sha1:sha256", nil, dkimObs(withHashes(dkimKey("s1", Y, "rsa", 2048), "", "sha1", "sha256")), row{posture.Verified, ""}},
		{"testing flag is not a gap", nil, func() posture.DNSObservation {
			k := dkimKey("s1", Y, "rsa", 2048)
			k.Testing, k.Issues = true, []posture.Code{posture.CodeDKIMTesting}
			return dkimObs(k)
		}(), row{posture.Verified, ""}},
		{"resolver unreachable", nil, func() posture.DNSObservation {
			o := dkimObs(dkimKey("s1", Y, "rsa", 2048))
			o.Observation = failed(o.Observation, posture.ReasonTimeout)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectOne(t, runKind(t, "email.dkim", tt.params, &posture.Snapshot{DNS: []posture.DNSObservation{tt.o}}), tt.want)
		})
	}
}

func TestDKIMDetails(t *testing.T) {
	o := dkimObs(dkimKey("s1", posture.Yes, "rsa", 1024), dkimKey("google", posture.No, "", 0))
	f := expectOne(t, runKind(t, "email.dkim", nil, &posture.Snapshot{DNS: []posture.DNSObservation{o}}), row{posture.Contradicted, CodeDKIMKeyWeak})
	if strings.Join(f.Evidence, ",") != "dkim-s1,dkim-google" {
		t.Errorf("checks: evidence %v", f.Evidence)
	}
	if !strings.Contains(f.Message, "s1 (rsa 1024 bits)") {
		t.Errorf("checks: message %q", f.Message)
	}
	o = dkimObs(dkimKey("s1", posture.No, "", 0))
	f = expectOne(t, runKind(t, "email.dkim", nil, &posture.Snapshot{DNS: []posture.DNSObservation{o}}), row{posture.Contradicted, CodeDKIMMissing})
	if !strings.Contains(f.Message, "scope.dkim_selectors") {
		t.Errorf("checks: missing-key message should say how to declare selectors: %q", f.Message)
	}
}
