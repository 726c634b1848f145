package dnsscan

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/vouchdev/vouch/posture"
)

// lookupDNSSEC observes the DNSSEC state of the zone holding domain: it
// finds the zone apex (the DNSKEY set at the domain, else the owner of the
// SOA in the authority section of the reply, else the nearest ancestor
// with a DNSKEY set, the top-level domain not asked), asks for its DNSKEY
// set with DO and AD, checks that an RRSIG over that set verifies with one
// of the keys at now, and reads the AD bit of the reply. A domain that
// does not exist in a public suffix's zone (NXDOMAIN from a top-level
// domain) is not observed: that zone is not the domain's. It returns the
// evidence IDs of its lookups.
func lookupDNSSEC(ctx context.Context, sess *session, domain string, now time.Time) (*posture.DNSSEC, []string) {
	d := &posture.DNSSEC{Resolver: sess.res.Addr(), Signed: posture.Unknown, SignaturesValid: posture.Unknown, Authenticated: posture.Unknown}
	if _, ok := sess.res.(DNSSECResolver); !ok {
		d.Missing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "dnsscan: the resolver cannot ask with the DO bit"}
		return d, nil
	}
	var (
		ids   []string
		reply *dns.Msg
		apex  string
	)
	ask := func(name string) {
		var lk posture.Lookup
		lk, reply = sess.lookupWith(ctx, name, dns.TypeDNSKEY, true)
		ids = append(ids, lk.Evidence)
		d.DNSKEY = lk
	}
	labels := dns.SplitDomainName(domain)
	for i := 0; i < len(labels)-1 || i == 0; i++ {
		name := strings.Join(labels[i:], ".")
		ask(name)
		if d.DNSKEY.Missing != nil {
			break
		}
		if d.DNSKEY.Found == posture.Yes {
			apex = name
			break
		}
		if soa := authoritySOA(reply); soa != "" && dns.IsSubDomain(soa, name) {
			if reply.Rcode == dns.RcodeNameError && isPublicSuffix(soa) {
				// The name does not exist in a registry's zone (a
				// top-level domain): its signature is not the domain's.
				d.Missing = &posture.Missing{Reason: posture.ReasonNXDomain,
					Detail: fmt.Sprintf("dnsscan: %s does not exist (NXDOMAIN from the zone %s)", name, soa)}
				return d, ids
			}
			// The reply names the zone: ask its apex, once.
			apex = soa
			if soa != name {
				ask(soa)
			}
			break
		}
		if i+1 >= len(labels) {
			break
		}
	}
	if d.DNSKEY.Missing != nil {
		d.Missing = d.DNSKEY.Missing
		return d, ids
	}
	if reply != nil {
		d.Authoritative = reply.Authoritative
		if reply.AuthenticatedData {
			d.Authenticated = posture.Yes
		}
	}
	if apex == "" {
		// No DNSKEY anywhere up the tree and no SOA to name the zone.
		d.Signed = posture.No
		d.AuthenticatedDetail = authenticatedDetail(d, "")
		return d, ids
	}
	d.Zone = apex
	var keys []*dns.DNSKEY
	var sigs []*dns.RRSIG
	var rrset []dns.RR
	if reply != nil {
		for _, rr := range reply.Answer {
			if !strings.EqualFold(canonical(rr.Header().Name), apex) {
				continue
			}
			switch r := rr.(type) {
			case *dns.DNSKEY:
				keys = append(keys, r)
				rrset = append(rrset, r)
			case *dns.RRSIG:
				if r.TypeCovered == dns.TypeDNSKEY {
					sigs = append(sigs, r)
				}
			}
		}
	}
	d.Keys = len(keys)
	for _, k := range keys {
		if k.Flags&dns.SEP != 0 {
			d.KSKs++
		}
		alg := dns.AlgorithmToString[k.Algorithm]
		if alg == "" {
			alg = fmt.Sprintf("ALG%d", k.Algorithm)
		}
		d.Algorithms = appendOnce(d.Algorithms, alg)
	}
	switch {
	case len(keys) == 0:
		d.Signed = posture.No
	case len(sigs) == 0:
		d.Missing = &posture.Missing{Reason: posture.ReasonProtocolError,
			Detail: fmt.Sprintf("dnsscan: %s publishes DNSKEY records but no RRSIG over them came back via %s (a resolver that strips DNSSEC records?)", apex, sess.res.Addr())}
	default:
		d.Signed = posture.Yes
		d.SignaturesValid = posture.No
		for _, sig := range sigs {
			for _, k := range keys {
				if k.KeyTag() == sig.KeyTag && k.Algorithm == sig.Algorithm && sig.Verify(k, rrset) == nil && sig.ValidityPeriod(now) {
					d.SignaturesValid = posture.Yes
				}
			}
		}
	}
	d.AuthenticatedDetail = authenticatedDetail(d, apex)
	return d, ids
}

// isPublicSuffix reports whether zone is a public suffix (a top-level
// domain or a registry's zone), by the Public Suffix List.
func isPublicSuffix(zone string) bool {
	ps, _ := publicsuffix.PublicSuffix(zone)
	return ps == zone
}

// authoritySOA returns the owner of the SOA record in a reply's authority
// section (the zone a negative answer comes from), or "".
func authoritySOA(m *dns.Msg) string {
	if m == nil {
		return ""
	}
	for _, rr := range m.Ns {
		if soa, ok := rr.(*dns.SOA); ok {
			return canonical(soa.Hdr.Name)
		}
	}
	return ""
}

// authenticatedDetail says what the AD bit (or its absence) means.
func authenticatedDetail(d *posture.DNSSEC, zone string) string {
	switch {
	case d.Authenticated == posture.Yes:
		return fmt.Sprintf("the resolver %s set AD: it validated the answer", d.Resolver)
	case d.Authoritative:
		return fmt.Sprintf("the replies came from an authoritative server (%s, AA set), which does not validate: not validated", d.Resolver)
	case zone == "":
		return fmt.Sprintf("the resolver %s did not set AD", d.Resolver)
	}
	return fmt.Sprintf("the resolver %s did not set AD: either it does not validate, or the chain of trust from the root does not reach %s (no DS at its parent); not validated", d.Resolver, zone)
}
