package dnsscan

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
)

// Real records, as published by large senders (keys shortened where the
// seed only needs the shape).
var dmarcSeeds = []string{
	"v=DMARC1; p=reject; sp=none; np=quarantine; rua=mailto:a@B.example!10m,mailto:x%40y@z.example?subject=x",
	"v=DMARC1; p=reject; rua=mailto:mailauth-reports@google.com",
	"v=DMARC1; p=quarantine; pct=100; rua=mailto:dmarc@example.test; ruf=mailto:forensics@example.test; fo=1",
	"v=DMARC1; p=none; sp=reject; adkim=s; aspf=r; ri=86400; rua=mailto:a@x.test!10m,https://r.test/dmarc",
	"v=DMARC1;p=reject;pct=100;rua=mailto:postmaster@dmarcdomain.com",
	"p=reject; v=DMARC1",
	"v=DMARC1 p=none",
	"v=DMARC1; p=reject; pct=999; fo=0:1:d:s:x",
	"",
}

var dkimSeeds = []string{
	"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYtIxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB",
	"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	"v=DKIM1; p=",
	"v=DKIM1; t=y:s; h=sha256; s=email; n=notes; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC",
	"k=rsa; v=DKIM1; p=AAAA; p=",
	"v=DKIM1; k=rsa; p=MIIBCgKCAQEA",
}

func FuzzParseDMARC(f *testing.F) {
	for _, s := range dmarcSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r, err := ParseDMARC(record)
		if err != nil {
			if !errors.Is(err, ErrNotDMARC) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if r.Percent < 0 || r.Percent > 100 {
			t.Fatalf("pct %d out of range", r.Percent)
		}
		if r.Valid() != (len(r.Issues) == 0) {
			t.Fatal("Valid disagrees with Issues")
		}
		switch r.Policy {
		case "", "none", "quarantine", "reject":
		default:
			t.Fatalf("policy %q", r.Policy)
		}
		if r.Policy == "" && r.Valid() {
			t.Fatal("valid record without a policy")
		}
		if r.Valid() && !startsWithVersion(record, "DMARC1") {
			t.Fatalf("valid record %q is not taken for a DMARC record", record)
		}
		for _, p := range []string{r.SubdomainPolicy, r.NonExistentPolicy} {
			switch p {
			case "", "none", "quarantine", "reject":
			default:
				t.Fatalf("sp/np %q", p)
			}
		}
		switch st := r.Strength(); {
		case r.Policy == "" && st != "", r.Policy == "none" && st != "monitoring",
			st == "enforcing" && (r.Percent != 100 || r.SubdomainPolicy == "none" || r.NonExistentPolicy == "none"):
			t.Fatalf("strength %q for %+v", st, r)
		}
		for _, u := range append(append([]string(nil), r.RUA...), r.RUF...) {
			if d := reportDomain(u); d != "" && !isMailDomain(d) {
				t.Fatalf("report domain %q of %q", d, u)
			}
		}
	})
}

func FuzzParseDKIMKey(f *testing.F) {
	for _, s := range dkimSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, record string) {
		r, err := ParseDKIMKey(record)
		if err != nil {
			if !errors.Is(err, ErrNotDKIM) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if r.KeyBits < 0 || (r.Revoked && r.KeyBits != 0) {
			t.Fatalf("bits %d revoked %v", r.KeyBits, r.Revoked)
		}
		if (r.KeyType != "rsa" && r.KeyType != "ed25519") != slices.Contains(r.Issues, posture.CodeDKIMKUnknown) {
			t.Fatalf("key type %q with issues %v", r.KeyType, r.Issues)
		}
		if r.KeyBits > 0 && !slices.Contains([]string{"rsa", "ed25519"}, r.KeyType) {
			t.Fatalf("%d bits for key type %q", r.KeyBits, r.KeyType)
		}
	})
}

// FuzzUnescapeTXT checks that UnescapeTXT undoes what miekg/dns does to a
// TXT string read from the wire, for any bytes, and never grows its input.
func FuzzUnescapeTXT(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all", `quote " and \ backslash`, "semi;colon", "\x00\x01\x7f\x80\xff", "été",
		`already \"escaped\" \059`, "v=DKIM1; p=" + strings.Repeat("A", 200),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got := UnescapeTXT(raw); len(got) > len(raw) {
			t.Fatalf("UnescapeTXT(%q) grew to %q", raw, got)
		}
		if len(raw) > 255 {
			raw = raw[:255]
		}
		// One TXT RR on the wire: root owner, TXT, IN, TTL 0, RDATA
		// holding one character-string.
		rdlen := len(raw) + 1
		wire := []byte{0, 0, 16, 0, 1, 0, 0, 0, 0, byte(rdlen >> 8), byte(rdlen), byte(len(raw))}
		wire = append(wire, raw...)
		rr, _, err := dns.UnpackRR(wire, 0)
		if err != nil {
			t.Fatalf("UnpackRR: %v", err)
		}
		txt := rr.(*dns.TXT).Txt
		if len(txt) != 1 {
			t.Fatalf("want one string, got %q", txt)
		}
		if got := UnescapeTXT(txt[0]); got != raw {
			t.Fatalf("UnescapeTXT(%q) = %q, want %q", txt[0], got, raw)
		}
	})
}

// FuzzParseMTASTSPolicy checks the policy-file parser on any text: no
// panic, fields only from well-formed lines, Valid agreeing with Issues.
func FuzzParseMTASTSPolicy(f *testing.F) {
	for _, s := range []string{
		"version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
		"version: STSv1\nmode: none\nmax_age: 0", "mode: testing\nmode: enforce\n", "mx: *.*.x\n\n\n", "max_age: 99999999999",
		"version:STSv1\nmode:\tenforce\nmx:a.b\nmax_age:1\n", "\r\n", ":", "x:y:z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p := ParseMTASTSPolicy(text)
		if p.Mode != "" && p.Mode != "enforce" && p.Mode != "testing" && p.Mode != "none" {
			t.Fatalf("mode %q", p.Mode)
		}
		if p.MaxAge < 0 || p.MaxAge > mtastsMaxAgeLimit {
			t.Fatalf("max_age %d", p.MaxAge)
		}
		for _, mx := range p.MX {
			if !validMXPattern(mx) || strings.ContainsAny(mx, "\r\n \t") {
				t.Fatalf("mx pattern %q kept", mx)
			}
		}
		if p.Valid() && (p.Version != "STSv1" || p.Mode == "" || len(p.MX) == 0 && p.Mode != "none") {
			t.Fatalf("valid policy %+v", p)
		}
		if len(slices.Compact(slices.Clone(p.Issues))) != len(p.Issues) {
			t.Fatalf("repeated issues %v", p.Issues)
		}
		for _, mx := range p.MX {
			host := strings.TrimPrefix(mx, "*.")
			if strings.HasPrefix(mx, "*.") {
				host = "x." + host
			}
			if !MatchMXPattern(mx, host) {
				t.Fatalf("pattern %q does not match %q", mx, host)
			}
		}
	})
}
