package dnsscan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
)

func TestParseSPF(t *testing.T) {
	tests := []struct {
		record string
		terms  []string // name/qualifier/domain per term
		err    bool
	}{
		{"v=spf1 -all", []string{"all/-/"}, false},
		{"V=SPF1 mx a:mail.example.com/24//64 ~all", []string{"mx/+/", "a/+/mail.example.com", "all/~/"}, false},
		{"v=spf1 include:_spf.google.com ?all", []string{"include/+/_spf.google.com", "all/?/"}, false},
		{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", []string{"ip4/+/", "ip6/+/", "all/-/"}, false},
		{"v=spf1 exists:%{i}.%{d}.rbl.example redirect=_spf.example.com", []string{"exists/+/%{i}.%{d}.rbl.example", "redirect//_spf.example.com"}, false},
		{"v=spf1 ptr:example.com -all exp=explain.%{d}", []string{"ptr/+/example.com", "all/-/", "exp//explain.%{d}"}, false},
		{"v=spf1 foo=bar -all", []string{"foo//bar", "all/-/"}, false},
		{"v=spf1", nil, false},
		{"v=spf1 a:foo:bar/baz.example.com", []string{"a/+/foo:bar/baz.example.com"}, false},
		{"v=spf10 -all", nil, true},
		{"spf1 -all", nil, true},
		{"v=spf1 -all:foo", nil, true},
		{"v=spf1 ip4:192.0.2.1/33", nil, true},
		{"v=spf1 ip4:2001:db8::1", nil, true},
		{"v=spf1 ip6:192.0.2.1", nil, true},
		{"v=spf1 a/024", nil, true},
		{"v=spf1 include", nil, true},
		{"v=spf1 include:foo", nil, true},
		{"v=spf1 redirect=a.example redirect=b.example", nil, true},
		{"v=spf1 exp=a.example exp=b.example", nil, true},
		{"v=spf1 exists:%{q}.example.com", nil, true},
		{"v=spf1 exists:%{r}.example.com", nil, true},
		{"v=spf1 exists:%{i0}.example.com", nil, true},
		{"v=spf1 exists:%x.example.com", nil, true},
		{"v=spf1 a:example.com\rptr", nil, true},
		{"v=spf1 a:\u00e9.example.com", nil, true},
		{"v=spf1 frob:example.com", nil, true},
		{"v=spf1 a:example.123", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.record, func(t *testing.T) {
			r, err := ParseSPF(tt.record)
			if tt.err {
				if err == nil || !errors.Is(err, ErrSPFSyntax) {
					t.Fatalf("dnsscan: ParseSPF(%q) = %+v, %v; want a syntax error", tt.record, r, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("dnsscan: ParseSPF(%q): %v", tt.record, err)
			}
			var got []string
			for _, term := range r.Terms {
				got = append(got, term.Name+"/"+term.Qualifier+"/"+term.Domain)
			}
			if !slices.Equal(got, tt.terms) {
				t.Errorf("dnsscan: ParseSPF(%q) terms %q, want %q", tt.record, got, tt.terms)
			}
		})
	}
	r, err := ParseSPF("v=spf1 a:mail.example.com/24//64 ip6:2001:db8::/32 mx")
	if err != nil {
		t.Fatal(err)
	}
	if r.Terms[0].CIDR4 != 24 || r.Terms[0].CIDR6 != 64 || r.Terms[1].Prefix.String() != "2001:db8::/32" || r.Terms[2].CIDR4 != 32 || r.Terms[2].CIDR6 != 128 {
		t.Errorf("dnsscan: cidrs/prefix parsed wrong: %+v", r.Terms)
	}
}

// chainZone publishes n records each including the next, and the last
// one ending in ip4:192.0.2.1.
func chainZone(prefix string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s%d.test. TXT \"v=spf1 include:%s%d.test -all\"\n", prefix, i, prefix, i+1)
	}
	fmt.Fprintf(&b, "%s%d.test. TXT \"v=spf1 ip4:192.0.2.1 -all\"\n", prefix, n)
	return b.String()
}

func spfLimitZone(t *testing.T) *dnstest.Server {
	t.Helper()
	zone := chainZone("ten", 10) + chainZone("eleven", 11) + `
void2.test.      TXT "v=spf1 a:nx1.void2.test mx:nx2.void2.test ip4:192.0.2.1 -all"
void3.test.      TXT "v=spf1 a:nx1.void3.test mx:nx2.void3.test exists:nx3.void3.test ip4:192.0.2.1 -all"
v4void.test.     TXT "v=spf1 a:six1.v4void.test a:six2.v4void.test a:six3.v4void.test ip4:192.0.2.1 -all"
six1.v4void.test. AAAA 2001:db8::1
six2.v4void.test. AAAA 2001:db8::2
six3.v4void.test. AAAA 2001:db8::3
manymx.test.     TXT "v=spf1 mx -all"
ptr.test.        TXT "v=spf1 ptr -all"
1.2.0.192.in-addr.arpa. PTR mail.ptr.test.
mail.ptr.test.   A   192.0.2.1
macro.test.      TXT "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"
1.2.0.192.l.x._spf.macro.test. A 127.0.0.2
slow.test.       TXT "v=spf1 include:timeout.test -all"
redir.test.      TXT "v=spf1 redirect=ten10.test"
redirnone.test.  TXT "v=spf1 redirect=nospf.test"
nospf.test.      TXT "hello"
two.test.        TXT "v=spf1 -all"
two.test.        TXT "v=spf1 +all"
`
	for i := range 11 {
		zone += fmt.Sprintf("manymx.test. MX %d mx%d.manymx.test.\n", i, i)
	}
	s, err := dnstest.Start("test", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.Timeout("timeout.test")
	return s
}

func TestCheckHostLimits(t *testing.T) {
	s := spfLimitZone(t)
	c := SPFChecker{Resolver: NewResolver(s.Addr, 300*time.Millisecond)}
	ip := netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		domain, sender string
		ip             netip.Addr
		want           SPFResult
	}{
		{"ten0.test", "", ip, SPFPass},         // 10 includes: at the limit
		{"eleven0.test", "", ip, SPFPermError}, // 11 includes: over it
		{"ten0.test", "", netip.MustParseAddr("192.0.2.9"), SPFFail},
		{"void2.test", "", ip, SPFPass},       // 2 void lookups: allowed
		{"void3.test", "", ip, SPFPermError},  // 3: permerror
		{"manymx.test", "", ip, SPFPermError}, // 11 MX hosts
		{"ptr.test", "", ip, SPFPass},         // validated PTR
		{"ptr.test", "", netip.MustParseAddr("192.0.2.2"), SPFFail},
		{"slow.test", "", ip, SPFTempError}, // include times out
		// 3 A lookups with no data for an IPv4 client.
		{"v4void.test", "", netip.MustParseAddr("192.0.2.9"), SPFPermError},
		{"redir.test", "", ip, SPFPass},
		{"redirnone.test", "", ip, SPFPermError}, // redirect to no record
		{"nospf.test", "", ip, SPFNone},
		{"absent.test", "", ip, SPFNone}, // NXDOMAIN
		{"two.test", "", ip, SPFPermError},
		{"nodot", "", ip, SPFNone},
		{"macro.test", "l.x-y@macro.test", ip, SPFPass}, // %{l1r+-} = "l.x"
		{"macro.test", "y-l.x@macro.test", ip, SPFFail},
	}
	for _, tt := range tests {
		t.Run(tt.domain+"/"+tt.ip.String()+"/"+tt.sender, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			got := c.CheckHost(ctx, tt.ip, tt.domain, tt.sender, "mail.test")
			if got.Result != tt.want {
				t.Errorf("dnsscan: check_host(%s, %s) = %s (%s), want %s", tt.ip, tt.domain, got.Result, got.Reason, tt.want)
			}
		})
	}
}

func TestSPFTree(t *testing.T) {
	s := spfLimitZone(t)
	s.Add("test", `
tree.test.      TXT "v=spf1 include:ten9.test a:nx.tree.test mx ptr exists:%{i}.x.tree.test -all include:after.test"
tree.test.      MX 10 mail.tree.test.
mail.tree.test. A 192.0.2.7
bad.test.       TXT "v=spf1 include:badinc.test -all"
badinc.test.    TXT "v=spf1 ip4:300.1.1.1 -all"
loop.test.      TXT "v=spf1 include:loop.test -all"
withall.test.   TXT "v=spf1 -all redirect=ten0.test"
`)
	res := NewResolver(s.Addr, 300*time.Millisecond)
	tests := []struct {
		domain       string
		records      []string // domain/via/parent
		dnsTerms     int
		voids        int
		ptr          bool
		syntax, errs int
		missing      bool
		truncated    bool
	}{
		{"tree.test", []string{"tree.test//-1", "ten9.test/include/0", "ten10.test/include/1"}, 6, 1, true, 0, 0, false, false},
		{"eleven0.test", nil, 11, 0, false, 0, 0, false, true},
		{"bad.test", []string{"bad.test//-1", "badinc.test/include/0"}, 1, 0, false, 1, 0, false, false},
		{"loop.test", []string{"loop.test//-1"}, 1, 0, false, 0, 1, false, false},
		{"slow.test", []string{"slow.test//-1", "timeout.test/include/0"}, 1, 0, false, 0, 0, true, false},
		{"redirnone.test", []string{"redirnone.test//-1", "nospf.test/redirect/0"}, 1, 0, false, 0, 1, false, false},
		{"withall.test", []string{"withall.test//-1"}, 0, 0, false, 0, 0, false, false},
		{"void3.test", nil, 3, 3, false, 0, 0, false, false},
		// Names with only AAAA records are void for every IPv4 client
		// (a spoofer picks the family): the count is the larger of the
		// two families'.
		{"v4void.test", nil, 3, 3, false, 0, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			o := scan(t, res, tt.domain)
			if o.SPF == nil || o.SPF.Tree == nil {
				t.Fatalf("dnsscan: %s: no SPF tree: %+v", tt.domain, o.SPF)
			}
			tr := o.SPF.Tree
			var recs []string
			for _, r := range tr.Records {
				recs = append(recs, fmt.Sprintf("%s/%s/%d", r.Domain, r.Via, r.Parent))
			}
			if tt.records != nil && !slices.Equal(recs, tt.records) {
				t.Errorf("dnsscan: %s: records %q, want %q", tt.domain, recs, tt.records)
			}
			if tr.DNSTerms != tt.dnsTerms || tr.VoidLookups != tt.voids || tr.UsesPTR != tt.ptr {
				t.Errorf("dnsscan: %s: dns terms %d, voids %d, ptr %v; want %d, %d, %v", tt.domain, tr.DNSTerms, tr.VoidLookups, tr.UsesPTR, tt.dnsTerms, tt.voids, tt.ptr)
			}
			if len(tr.SyntaxErrors) != tt.syntax || len(tr.Errors) != tt.errs {
				t.Errorf("dnsscan: %s: syntax errors %q, errors %q; want %d and %d", tt.domain, tr.SyntaxErrors, tr.Errors, tt.syntax, tt.errs)
			}
			if tr.Truncated != tt.truncated {
				t.Errorf("dnsscan: %s: truncated %v, want %v", tt.domain, tr.Truncated, tt.truncated)
			}
			if (tr.Missing != nil) != tt.missing {
				t.Errorf("dnsscan: %s: missing %v, want %v", tt.domain, tr.Missing, tt.missing)
			}
			// Every record's lookup is quoted in the evidence.
			ev := map[string]bool{}
			for _, e := range o.Evidence {
				ev[e.ID] = true
			}
			for _, r := range tr.Records {
				if r.Lookup != "" && !ev[r.Lookup] {
					t.Errorf("dnsscan: %s: record %s lookup %s not in the evidence", tt.domain, r.Domain, r.Lookup)
				}
			}
		})
	}
	// The first record's terms, as recorded.
	o := scan(t, res, "tree.test")
	var terms []string
	for _, term := range o.SPF.Tree.Records[0].Terms {
		flags := ""
		for _, f := range []struct {
			on bool
			c  string
		}{{term.DNS, "d"}, {term.Void, "v"}, {term.Macro, "m"}, {term.Ignored, "i"}} {
			if f.on {
				flags += f.c
			}
		}
		terms = append(terms, term.Qualifier+term.Name+":"+term.Value+"/"+flags)
	}
	want := []string{"+include:ten9.test/d", "+a:nx.tree.test/dv", "+mx:/d", "+ptr:/d", "+exists:%{i}.x.tree.test/dm", "-all:/", "+include:after.test/di"}
	if !slices.Equal(terms, want) {
		t.Errorf("dnsscan: tree.test terms\n got %q\nwant %q", terms, want)
	}
	_ = posture.Yes
}
