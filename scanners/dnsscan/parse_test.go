package dnsscan

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
)

func TestUnescapeTXT(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`plain`, `plain`},
		{`a\"b\"`, `a"b"`},
		{`back\\slash`, `back\slash`},
		{`semi\059colon`, `semi;colon`},
		{`\195\169t\195\169`, "été"},
		{`\000\255`, "\x00\xff"},
		{`\999`, `999`},   // above 255: the 9 is quoted, the rest literal
		{`\12`, `12`},     // too short for \DDD: quoted 1, then 2
		{`end\`, `end\`},  // dangling backslash kept
		{`\;\ \a`, `; a`}, // \X from a zone file
		{`v=DKIM1\; p=`, `v=DKIM1; p=`},
	} {
		if got := UnescapeTXT(tc.in); got != tc.want {
			t.Errorf("dnsscan: UnescapeTXT(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := joinTXT([]string{`bin\200`, `end`}); got != "bin\uFFFDend" {
		t.Errorf("dnsscan: joinTXT = %q, want invalid UTF-8 replaced", got)
	}
}

func TestParseDMARC(t *testing.T) {
	for _, tc := range []struct {
		name, record string
		err          error
		want         DMARCRecord // Tags not compared
	}{
		{"full", "v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:a@x.test,mailto:b@y.test!10m; ruf=mailto:f@x.test; adkim=s; aspf=s; fo=1:d; ri=3600",
			nil, DMARCRecord{Policy: "reject", SubdomainPolicy: "quarantine", Percent: 50, RUA: []string{"mailto:a@x.test", "mailto:b@y.test!10m"}, RUF: []string{"mailto:f@x.test"}, ADKIM: "s", ASPF: "s", FO: "1:d", RI: 3600}},
		{"defaults", "v=DMARC1; p=none", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400}},
		{"spaces and case", "  V = DMARC1 ;P=Quarantine ; PCT = 0 ;", nil, DMARCRecord{Policy: "quarantine", Percent: 0, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400}},
		{"unknown tag ignored", "v=DMARC1; p=reject; x_y=1", nil, DMARCRecord{Policy: "reject", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400}},
		{"np (RFC 9091)", "v=DMARC1; p=reject; sp=quarantine; np=Reject", nil, DMARCRecord{Policy: "reject", SubdomainPolicy: "quarantine", NonExistentPolicy: "reject", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400}},
		{"np invalid", "v=DMARC1; p=reject; np=drop", nil, DMARCRecord{Policy: "reject", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCNPInvalid}}},
		{"p missing", "v=DMARC1; rua=mailto:a@x.test", nil, DMARCRecord{Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, RUA: []string{"mailto:a@x.test"}, Issues: []posture.Code{posture.CodeDMARCPMissing}}},
		{"p invalid", "v=DMARC1; p=block", nil, DMARCRecord{Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCPInvalid}}},
		{"pct invalid", "v=DMARC1; p=none; pct=101", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCPctInvalid}}},
		{"pct signed", "v=DMARC1; p=none; pct=+5", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCPctInvalid}}},
		{"v not first", "p=reject; v=DMARC1", nil, DMARCRecord{Policy: "reject", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCVNotFirst}}},
		{"missing semicolon", "v=DMARC1 p=reject", nil, DMARCRecord{Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCSyntax, posture.CodeDMARCPMissing}}},
		{"bad alignment and sp", "v=DMARC1; p=none; sp=all; adkim=x; aspf=relaxed", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCSPInvalid, posture.CodeDMARCADKIMInvalid, posture.CodeDMARCASPFInvalid}}},
		{"bad fo ri", "v=DMARC1; p=none; fo=2; ri=-1", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "2", RI: 86400, Issues: []posture.Code{posture.CodeDMARCFOInvalid, posture.CodeDMARCRIInvalid}}},
		{"bad uris", "v=DMARC1; p=none; rua=a@x.test,; ruf=mailto:ok@x.test", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, RUA: []string{"a@x.test"}, RUF: []string{"mailto:ok@x.test"}, Issues: []posture.Code{posture.CodeDMARCRUAInvalid}}},
		{"duplicate and syntax", "v=DMARC1; p=none; p=reject; junk", nil, DMARCRecord{Policy: "none", Percent: 100, ADKIM: "r", ASPF: "r", FO: "0", RI: 86400, Issues: []posture.Code{posture.CodeDMARCSyntax, posture.CodeDMARCDuplicateTag}}},
		{"not dmarc", "v=spf1 -all", ErrNotDMARC, DMARCRecord{}},
		{"other version", "v=DMARC2; p=reject", ErrNotDMARC, DMARCRecord{}},
		{"lower-case version", "v=dmarc1; p=reject", ErrNotDMARC, DMARCRecord{}},
		{"empty", "", ErrNotDMARC, DMARCRecord{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDMARC(tc.record)
			if !errors.Is(err, tc.err) {
				t.Fatalf("dnsscan: ParseDMARC(%q) error = %v, want %v", tc.record, err, tc.err)
			}
			if err != nil {
				return
			}
			got.Tags = nil
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tc.want) {
				t.Errorf("dnsscan: ParseDMARC(%q)\n got %+v\nwant %+v", tc.record, got, tc.want)
			}
			if got.Valid() != (len(tc.want.Issues) == 0) {
				t.Errorf("dnsscan: Valid() = %v with issues %v", got.Valid(), got.Issues)
			}
		})
	}
}

// Keys generated once for all tests.
var (
	keysOnce           sync.Once
	rsa2048, rsa1024   *rsa.PrivateKey
	edPub              ed25519.PublicKey
	spki2048, spki1024 string // base64 DER SubjectPublicKeyInfo
	pkcs1024           string // base64 DER PKCS#1 RSAPublicKey
	edRaw, edSPKI      string
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsa2048, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
		if edPub, _, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		b64 := base64.StdEncoding.EncodeToString
		spki := func(k any) string {
			der, err := x509.MarshalPKIXPublicKey(k)
			if err != nil {
				panic(err)
			}
			return b64(der)
		}
		spki2048, spki1024, edSPKI = spki(&rsa2048.PublicKey), spki(&rsa1024.PublicKey), spki(edPub)
		pkcs1024 = b64(x509.MarshalPKCS1PublicKey(&rsa1024.PublicKey))
		edRaw = b64(edPub)
	})
}

func TestParseDKIMKey(t *testing.T) {
	testKeys(t)
	for _, tc := range []struct {
		name, record string
		err          error
		keyType      string
		bits         int
		revoked      bool
		testing      bool
		issues       []posture.Code
	}{
		{"rsa 2048", "v=DKIM1; k=rsa; p=" + spki2048, nil, "rsa", 2048, false, false, nil},
		{"rsa 1024 default k", "p=" + spki1024, nil, "rsa", 1024, false, false, nil},
		{"rsa pkcs1", "v=DKIM1; p=" + pkcs1024, nil, "rsa", 1024, false, false, nil},
		{"folded p", "v=DKIM1; p=" + spki1024[:40] + " \r\n\t" + spki1024[40:], nil, "rsa", 1024, false, false, nil},
		{"unpadded p", "v=DKIM1; p=" + strings.TrimRight(spki1024, "="), nil, "rsa", 1024, false, false, nil},
		{"revoked", "v=DKIM1; p=", nil, "rsa", 0, true, false, nil},
		{"testing", "v=DKIM1; t=y:s; p=" + spki1024, nil, "rsa", 1024, false, true, nil},
		{"ed25519", "v=DKIM1; k=ed25519; p=" + edRaw, nil, "ed25519", 256, false, false, nil},
		{"ed25519 spki", "v=DKIM1; k=ed25519; p=" + edSPKI, nil, "ed25519", 256, false, false, []posture.Code{posture.CodeDKIMEd25519NotRaw}},
		{"ed25519 key said rsa", "v=DKIM1; k=rsa; p=" + edSPKI, nil, "rsa", 0, false, false, []posture.Code{posture.CodeDKIMKeyMismatch}},
		{"rsa key said ed25519", "v=DKIM1; k=ed25519; p=" + spki1024, nil, "ed25519", 0, false, false, []posture.Code{posture.CodeDKIMKeyMismatch}},
		{"bad base64", "v=DKIM1; p=!!!", nil, "rsa", 0, false, false, []posture.Code{posture.CodeDKIMPInvalid}},
		{"not a key", "v=DKIM1; p=" + base64.StdEncoding.EncodeToString([]byte("hello")), nil, "rsa", 0, false, false, []posture.Code{posture.CodeDKIMPInvalid}},
		{"unknown k", "v=DKIM1; k=dsa; p=" + edRaw, nil, "dsa", 0, false, false, []posture.Code{posture.CodeDKIMKUnknown}},
		{"v not first", "k=rsa; v=DKIM1; p=" + spki1024, nil, "rsa", 1024, false, false, []posture.Code{posture.CodeDKIMVNotFirst}},
		{"duplicate", "v=DKIM1; p=" + spki1024 + "; p=", nil, "rsa", 1024, false, false, []posture.Code{posture.CodeDKIMDuplicateTag}},
		{"no p", "v=DKIM1; k=rsa", ErrNotDKIM, "", 0, false, false, nil},
		{"wrong version", "v=DKIM2; p=" + spki1024, ErrNotDKIM, "", 0, false, false, nil},
		{"spf", "v=spf1 -all", ErrNotDKIM, "", 0, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseDKIMKey(tc.record)
			if !errors.Is(err, tc.err) {
				t.Fatalf("dnsscan: ParseDKIMKey error = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if r.KeyType != tc.keyType || r.KeyBits != tc.bits || r.Revoked != tc.revoked || r.Testing != tc.testing || !slices.Equal(r.Issues, tc.issues) {
				t.Errorf("dnsscan: ParseDKIMKey = type %q bits %d revoked %v testing %v issues %v; want %q %d %v %v %v",
					r.KeyType, r.KeyBits, r.Revoked, r.Testing, r.Issues, tc.keyType, tc.bits, tc.revoked, tc.testing, tc.issues)
			}
		})
	}
}

func TestSPF(t *testing.T) {
	for _, tc := range []struct {
		values  []string
		records int
		all     string
	}{
		{[]string{"v=spf1 ip4:192.0.2.0/24 -all"}, 1, "-"},
		{[]string{"V=SPF1 include:x.test ~ALL", "other"}, 1, "~"},
		{[]string{"v=spf1 a mx all"}, 1, "+"},
		{[]string{"v=spf1 +all"}, 1, "+"},
		{[]string{"v=spf1 ?all exp=x.test"}, 1, "?"},
		{[]string{"v=spf1 -all ~all"}, 1, "-"},
		{[]string{"v=spf1 redirect=_spf.x.test"}, 1, ""},
		{[]string{"v=spf1"}, 1, ""},
		{[]string{"v=spf1 -all", "v=spf1 ~all"}, 2, ""},
		{[]string{"v=spf10 -all", "v=spf1-all", "spf1 -all"}, 0, ""},
	} {
		p := spfPolicy(posture.Lookup{Values: tc.values})
		if len(p.Records) != tc.records || p.All != tc.all {
			t.Errorf("dnsscan: spfPolicy(%q) = %d records, all %q; want %d, %q", tc.values, len(p.Records), p.All, tc.records, tc.all)
		}
	}
}

func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"example.test": "example.test", "mail.example.test": "example.test",
		"a.b.c.example.test": "example.test", "test": "test",
		"mail.example.co.uk": "example.co.uk", "example.co.uk": "example.co.uk", "co.uk": "co.uk",
		"Mail.Example.COM.": "example.com", "a.b.github.io": "b.github.io",
	} {
		if got := orgDomain(in); got != want {
			t.Errorf("dnsscan: orgDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolverAddrFrom(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ conf, want string }{
		{"search x.test\nnameserver 127.0.0.53\nnameserver 127.0.0.1\n", "127.0.0.53:53"},
		{"nameserver ::1\n", "[::1]:53"},
		{"# nothing\n", ""},
	} {
		p := filepath.Join(dir, "resolv.conf")
		if err := os.WriteFile(p, []byte(tc.conf), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := resolverAddrFrom(p)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("dnsscan: resolverAddrFrom(%q) = %q, %v; want %q", tc.conf, got, err, tc.want)
		}
	}
	if _, err := resolverAddrFrom(filepath.Join(dir, "absent")); err == nil {
		t.Error("dnsscan: resolverAddrFrom(absent file): want error")
	}
}

// dnsscan's own errors say their reason to posture.MissingFor, wrapped as
// exchange wraps them.
func TestErrorReasons(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("dnsscan: x.test. TXT via udp 127.0.0.1:53: %w", err) }
	for _, tc := range []struct {
		err  error
		want posture.Reason
	}{
		{&rcodeError{"x.test.", "TXT", dns.RcodeServerFailure}, posture.ReasonServFail},
		{&rcodeError{"x.test.", "TXT", dns.RcodeNameError}, posture.ReasonNXDomain},
		{&rcodeError{"x.test.", "TXT", dns.RcodeRefused}, posture.ReasonDNSError},
		{&rcodeError{"x.test.", "TXT", dns.RcodeFormatError}, posture.ReasonDNSError},
		{wrap(wireError(dns.ErrShortRead)), posture.ReasonProtocolError},
		{wrap(errMismatch), posture.ReasonProtocolError},
		{wrap(fmt.Errorf("%w: bad rdata", errMalformed)), posture.ReasonProtocolError},
		{wrap(context.DeadlineExceeded), posture.ReasonTimeout},
		{wrap(&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNREFUSED)}), posture.ReasonRefused},
		{wrap(&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}), posture.ReasonUnreachable},
	} {
		if got := posture.MissingFor(context.Background(), tc.err); got.Reason != tc.want || got.Detail != tc.err.Error() {
			t.Errorf("dnsscan: MissingFor(%v) = %v, want %s", tc.err, got, tc.want)
		}
	}
	if got := (&rcodeError{"x.test.", "TXT", dns.RcodeServerFailure}).Error(); got != "x.test. TXT: SERVFAIL" {
		t.Errorf("rcodeError text %q", got)
	}
}
