package tlsscan

import (
	"crypto/tls"
	"strings"
	"testing"

	ztls "github.com/zmap/zcrypto/tls"
)

// Every suite Go knows has its IANA name in the table, spelled as Go
// spells it.
func TestSuiteNamesCoverGo(t *testing.T) {
	all := append(tls.CipherSuites(), tls.InsecureCipherSuites()...)
	if len(all) < 20 {
		t.Fatalf("only %d Go suites", len(all))
	}
	for _, cs := range all {
		if got := suiteName(cs.ID); got != cs.Name {
			t.Errorf("suiteName(0x%04X) = %q, Go says %q", cs.ID, got, cs.Name)
		}
	}
}

// zcrypto's independent table agrees wherever both name a suite, except
// where zcrypto departs from the IANA registry: it upper-cases "anon",
// and names the renegotiation SCSV after its RFC 5746 section title.
func TestSuiteNamesAgreeWithZcrypto(t *testing.T) {
	departures := map[uint16]bool{0x00FF: true}
	compared := 0
	for id, name := range suiteNames {
		z := ztls.CipherSuite(id).String()
		if z == "unknown" {
			continue
		}
		compared++
		if !strings.EqualFold(z, name) && !departures[id] {
			t.Errorf("0x%04X: table %q, zcrypto %q", id, name, z)
		}
	}
	if compared < 250 {
		t.Errorf("compared only %d names with zcrypto", compared)
	}
	t.Logf("%d names in the table, %d also named by zcrypto", len(suiteNames), compared)
}

func TestSuiteNameUnknown(t *testing.T) {
	for id, want := range map[uint16]string{0xC0FF: "0xC0FF", 0x0A0A: "0x0A0A", 0x1301: "TLS_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"} {
		if got := suiteName(id); got != want {
			t.Errorf("suiteName(0x%04X) = %q, want %q", id, got, want)
		}
	}
}

// The probe lists: known suites, no repeats, at most 128, and the right
// families for their versions.
func TestProbeSuiteLists(t *testing.T) {
	for name, list := range map[string][]uint16{"tls13": suitesTLS13, "tls12": suitesTLS12, "legacy": suitesLegacy} {
		seen := map[uint16]bool{}
		if len(list) > 128 {
			t.Errorf("%s: %d suites, want at most 128", name, len(list))
		}
		for _, id := range list {
			n, ok := suiteNames[id]
			if !ok {
				t.Errorf("%s: 0x%04X not in the table", name, id)
			}
			if seen[id] {
				t.Errorf("%s: %s twice", name, n)
			}
			seen[id] = true
			if strings.Contains(n, "SCSV") {
				t.Errorf("%s: signalling value %s in a probe list", name, n)
			}
			if name == "legacy" && (strings.Contains(n, "GCM") || strings.Contains(n, "SHA256") || strings.Contains(n, "SHA384") || strings.Contains(n, "CCM") || strings.Contains(n, "CHACHA")) {
				t.Errorf("legacy: %s is a TLS 1.2 suite", n)
			}
			if name != "tls13" && id>>8 == 0x13 {
				t.Errorf("%s: TLS 1.3 suite %s", name, n)
			}
		}
	}
	// Everything Go can negotiate up to TLS 1.2 is offered by the TLS 1.2 probe.
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if cs.ID>>8 == 0x13 {
			continue
		}
		found := false
		for _, id := range suitesTLS12 {
			found = found || id == cs.ID
		}
		if !found {
			t.Errorf("TLS 1.2 probe lacks %s", cs.Name)
		}
	}
}
