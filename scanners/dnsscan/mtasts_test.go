package dnsscan

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

func TestParseMTASTS(t *testing.T) {
	tests := []struct {
		record, id string
		issues     []posture.Code
	}{
		{"v=STSv1; id=20160831085700Z;", "20160831085700Z", nil},
		{"v=STSv1;id=abc", "abc", nil},
		{"v=STSv1; id=abc; ext.x=foo", "abc", nil},
		{"v=STSv1;", "", []posture.Code{posture.CodeMTASTSNoID}},
		{"v=stsv1; id=abc", "", []posture.Code{posture.CodeMTASTSSyntax}},
		{"id=abc; v=STSv1", "", []posture.Code{posture.CodeMTASTSSyntax}},
		{"v=STSv1; id=abc-def", "", []posture.Code{posture.CodeMTASTSSyntax, posture.CodeMTASTSNoID}},
		{"v=STSv1; id=" + strings.Repeat("a", 33), "", []posture.Code{posture.CodeMTASTSSyntax, posture.CodeMTASTSNoID}},
		{"v=STSv1; id=a; id=b", "a", []posture.Code{posture.CodeMTASTSSyntax}},
		{"v=STSv1;; id=a", "a", []posture.Code{posture.CodeMTASTSSyntax}},
	}
	for _, tt := range tests {
		r := ParseMTASTS(tt.record)
		if r.ID != tt.id || !slices.Equal(r.Issues, tt.issues) || r.Valid() != (len(tt.issues) == 0) {
			t.Errorf("dnsscan: ParseMTASTS(%q) = %+v, want id %q issues %v", tt.record, r, tt.id, tt.issues)
		}
	}
}

func TestParseTLSRPT(t *testing.T) {
	tests := []struct {
		record string
		rua    []string
		issues []posture.Code
	}{
		{"v=TLSRPTv1; rua=mailto:reports@example.com", []string{"mailto:reports@example.com"}, nil},
		{"v=TLSRPTv1;rua=mailto:a@x.example,https://r.example/tlsrpt;", []string{"mailto:a@x.example", "https://r.example/tlsrpt"}, nil},
		{"v=TLSRPTv1", nil, []posture.Code{posture.CodeTLSRPTNoRUA}},
		{"v=TLSRPTv1; rua=ftp://x.example", nil, []posture.Code{posture.CodeTLSRPTBadRUA, posture.CodeTLSRPTNoRUA}},
		{"v=TLSRPTv1; rua=mailto:a@x.example, http://x.example", []string{"mailto:a@x.example"}, []posture.Code{posture.CodeTLSRPTBadRUA}},
		{"rua=mailto:a@x.example; v=TLSRPTv1", nil, []posture.Code{posture.CodeTLSRPTSyntax}},
	}
	for _, tt := range tests {
		r := ParseTLSRPT(tt.record)
		if !slices.Equal(r.RUA, tt.rua) || !slices.Equal(r.Issues, tt.issues) || r.Valid() != (len(tt.issues) == 0) {
			t.Errorf("dnsscan: ParseTLSRPT(%q) = %+v, want rua %v issues %v", tt.record, r, tt.rua, tt.issues)
		}
	}
}

func TestParseCAAValue(t *testing.T) {
	tests := []struct {
		v    string
		want posture.CAARecord
		ok   bool
	}{
		{`0 issue "letsencrypt.org"`, posture.CAARecord{Tag: "issue", Value: "letsencrypt.org"}, true},
		{`128 TBS "x"`, posture.CAARecord{Flags: 128, Critical: true, Tag: "tbs", Value: "x"}, true},
		{`0 iodef "mailto:security@example.com"`, posture.CAARecord{Tag: "iodef", Value: "mailto:security@example.com"}, true},
		{`0 issue ";"`, posture.CAARecord{Tag: "issue", Value: ";"}, true},
		{`0 issue "a\"b"`, posture.CAARecord{Tag: "issue", Value: `a"b`}, true},
		{`x issue "a"`, posture.CAARecord{}, false},
		{`256 issue "a"`, posture.CAARecord{}, false},
		{`0`, posture.CAARecord{}, false},
		{`0 is-sue "a"`, posture.CAARecord{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseCAAValue(tt.v)
		if ok != tt.ok || got != tt.want {
			t.Errorf("dnsscan: ParseCAAValue(%q) = %+v, %v; want %+v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestScanMTASTSTLSRPTCAA(t *testing.T) {
	s, err := dnstest.Start("test", `
sts.test.               TXT "v=spf1 -all"
_mta-sts.sts.test.      TXT "v=STSv1; id=20261123T0930"
_smtp._tls.sts.test.    TXT "v=TLSRPTv1; rua=mailto:tls@sts.test"
sts.test.               CAA 0 issue "letsencrypt.org; validationmethods=dns-01"
sts.test.               CAA 0 issuewild ";"
sts.test.               CAA 0 iodef "mailto:security@sts.test"
sts.test.               CAA 128 future "x"
two.sts.test.           TXT "v=spf1 -all"
_mta-sts.two.sts.test.  TXT "v=STSv1; id=a"
_mta-sts.two.sts.test.  TXT "v=STSv1; id=b"
_smtp._tls.two.sts.test. TXT "v=TLSRPTv1"
deep.a.b.test.          TXT "v=spf1 -all"
b.test.                 CAA 0 issue "pki.goog"
none.test.              TXT "v=spf1 -all"
slow.test.              TXT "v=spf1 -all"
`)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Timeout("slow.test") // every lookup at slow.test times out, CAA too
	res := NewResolver(s.Addr, 300*time.Millisecond)

	o := scan(t, res, "sts.test")
	if m := o.MTASTS; m == nil || !m.Valid || m.ID != "20261123T0930" || len(m.Issues) != 0 {
		t.Errorf("dnsscan: sts.test MTA-STS %+v", o.MTASTS)
	}
	if r := o.TLSRPT; r == nil || !r.Valid || !slices.Equal(r.RUA, []string{"mailto:tls@sts.test"}) {
		t.Errorf("dnsscan: sts.test TLS-RPT %+v", o.TLSRPT)
	}
	c := o.CAA
	if c == nil || c.Domain != "sts.test" || !slices.Equal(c.Issue, []string{"letsencrypt.org"}) || !slices.Equal(c.IssueWild, []string{""}) ||
		!slices.Equal(c.IODEF, []string{"mailto:security@sts.test"}) || !slices.Equal(c.Issues, []posture.Code{posture.CodeCAAUnknownCritical}) || len(c.Records) != 4 {
		t.Errorf("dnsscan: sts.test CAA %+v", o.CAA)
	}

	o = scan(t, res, "two.sts.test")
	if m := o.MTASTS; m.Valid || !slices.Equal(m.Issues, []posture.Code{posture.CodeMTASTSMultipleRecords}) || len(m.Records) != 2 {
		t.Errorf("dnsscan: two.sts.test MTA-STS %+v", m)
	}
	if r := o.TLSRPT; r.Valid || !slices.Equal(r.Issues, []posture.Code{posture.CodeTLSRPTNoRUA}) {
		t.Errorf("dnsscan: two.sts.test TLS-RPT %+v", r)
	}
	// No CAA at two.sts.test: the set at sts.test governs it.
	if o.CAA.Domain != "sts.test" || len(o.CAA.Records) != 4 {
		t.Errorf("dnsscan: two.sts.test CAA %+v", o.CAA)
	}

	o = scan(t, res, "deep.a.b.test")
	if o.CAA.Domain != "b.test" || !slices.Equal(o.CAA.Issue, []string{"pki.goog"}) {
		t.Errorf("dnsscan: deep.a.b.test CAA %+v", o.CAA)
	}

	o = scan(t, res, "none.test")
	if o.MTASTS.Lookup.Found != posture.No || o.MTASTS.Valid || o.TLSRPT.Lookup.Found != posture.No || o.CAA.Domain != "" || o.CAA.Lookup.Found != posture.No {
		t.Errorf("dnsscan: none.test: %+v %+v %+v", o.MTASTS, o.TLSRPT, o.CAA)
	}

	o = scan(t, res, "slow.test")
	if o.CAA.Lookup.Missing == nil || o.CAA.Lookup.Missing.Reason != posture.ReasonTimeout || o.CAA.Domain != "" {
		t.Errorf("dnsscan: slow.test CAA %+v", o.CAA)
	}
}
