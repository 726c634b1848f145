package dnsscan

import (
	"context"
	"fmt"
	"slices"
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
// of the keys at now, and reads the AD bit of the reply; for a signed
// DNSKEY set it also asks for the DS set at the apex (lookupDS). A domain that
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
		d.Algorithms = appendOnce(d.Algorithms, algName(k.Algorithm))
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
		signers := map[*dns.DNSKEY]bool{}
		for _, sig := range sigs {
			for _, k := range keys {
				if k.KeyTag() == sig.KeyTag && k.Algorithm == sig.Algorithm && sig.Verify(k, rrset) == nil && sig.ValidityPeriod(now) {
					d.SignaturesValid = posture.Yes
					signers[k] = true
				}
			}
		}
		ids = append(ids, lookupDS(ctx, sess, d, apex, keys, signers))
	}
	d.AuthenticatedDetail = authenticatedDetail(d, apex)
	return d, ids
}

// lookupDS asks for the DS set of the zone apex, which the parent zone
// publishes (RFC 4035 §5.2), records whether there is one, and whether
// one DS record matches a DNSKEY of the zone (key tag, algorithm and the
// digest of the key) whose RRSIG over the DNSKEY set verifies: the link
// a validator follows from the parent into the zone. It returns the
// evidence ID of the lookup.
func lookupDS(ctx context.Context, sess *session, d *posture.DNSSEC, apex string, keys []*dns.DNSKEY, signers map[*dns.DNSKEY]bool) string {
	lk, reply := sess.lookupWith(ctx, apex, dns.TypeDS, true)
	d.DS = &lk
	d.HasDS, d.DSMatches = posture.Unknown, posture.Unknown
	switch {
	case lk.Missing != nil:
		return lk.Evidence
	case lk.Found == posture.No:
		if soa := authoritySOA(reply); soa == apex {
			// A server authoritative for the zone but not for its
			// parent answers from the wrong side of the zone cut (RFC
			// 4035 §3.1.4.1): that says nothing of the parent's DS.
			lk.Found = posture.Unknown
			lk.Missing = &posture.Missing{Reason: posture.ReasonDNSError,
				Detail: fmt.Sprintf("dnsscan: the DS answer for %s came from the zone itself (SOA %s), not from its parent; the parent's DS records were not seen", apex, soa)}
			return lk.Evidence
		}
		d.HasDS = posture.No
		d.DSDetail = fmt.Sprintf("the parent of %s publishes no DS record for it (%s): validating resolvers treat the zone as unsigned", apex, lk.RCode)
		return lk.Evidence
	}
	d.HasDS = posture.Yes
	var dss []*dns.DS
	for _, rr := range reply.Answer {
		if ds, ok := rr.(*dns.DS); ok && strings.EqualFold(canonical(ds.Hdr.Name), apex) {
			dss = append(dss, ds)
		}
	}
	// Validators ignore SHA-1 DS records when SHA-256 ones are there
	// (RFC 4509 §3), and so does this match.
	sha2 := slices.ContainsFunc(dss, func(ds *dns.DS) bool { return ds.DigestType == dns.SHA256 || ds.DigestType == dns.SHA384 })
	var unknownDigest []string
	var notSigning []string
	for _, ds := range dss {
		if sha2 && ds.DigestType == dns.SHA1 {
			continue
		}
		for _, k := range keys {
			if k.KeyTag() != ds.KeyTag || k.Algorithm != ds.Algorithm {
				continue
			}
			want := k.ToDS(ds.DigestType)
			if want == nil {
				unknownDigest = appendOnce(unknownDigest, digestName(ds.DigestType))
				continue
			}
			if !strings.EqualFold(want.Digest, ds.Digest) {
				continue
			}
			if signers[k] {
				d.DSMatches = posture.Yes
				d.DSDetail = fmt.Sprintf("DS %d %s %s matches the DNSKEY %d (flags %d) of %s, whose RRSIG over the DNSKEY set verifies", ds.KeyTag, algName(ds.Algorithm), digestName(ds.DigestType), k.KeyTag(), k.Flags, apex)
				return lk.Evidence
			}
			notSigning = appendOnce(notSigning, fmt.Sprint(k.KeyTag()))
		}
	}
	switch {
	case len(unknownDigest) > 0:
		d.DSDetail = fmt.Sprintf("no DS record matches a DNSKEY of %s by a digest vouch computes; DS digest types not computed: %s", apex, strings.Join(unknownDigest, ", "))
	case len(notSigning) > 0:
		d.DSMatches = posture.No
		d.DSDetail = fmt.Sprintf("the DS records of %s match the DNSKEY %s, which signs no verifying RRSIG over the DNSKEY set: validating resolvers answer SERVFAIL", apex, strings.Join(notSigning, ", "))
	default:
		d.DSMatches = posture.No
		d.DSDetail = fmt.Sprintf("no DS record (%s) matches a DNSKEY of %s (%s): validating resolvers answer SERVFAIL", dsTags(dss), apex, keyTags(keys))
		if sha2 && slices.ContainsFunc(dss, func(ds *dns.DS) bool { return ds.DigestType == dns.SHA1 }) {
			d.DSDetail += "; SHA-1 DS records are ignored beside SHA-256 ones (RFC 4509 §3)"
		}
	}
	return lk.Evidence
}

// algName is the mnemonic of a DNSSEC algorithm, or ALG<n>.
func algName(a uint8) string {
	if s := dns.AlgorithmToString[a]; s != "" {
		return s
	}
	return fmt.Sprintf("ALG%d", a)
}

// digestName is the mnemonic of a DS digest type, or DIGEST<n>.
func digestName(t uint8) string {
	if s := dns.HashToString[t]; s != "" {
		return s
	}
	return fmt.Sprintf("DIGEST%d", t)
}

// dsTags lists DS records by key tag, algorithm and digest type.
func dsTags(dss []*dns.DS) string {
	var out []string
	for _, ds := range dss {
		out = append(out, fmt.Sprintf("key tag %d %s %s", ds.KeyTag, algName(ds.Algorithm), digestName(ds.DigestType)))
	}
	if len(out) == 0 {
		return "none parsed"
	}
	return strings.Join(out, "; ")
}

// keyTags lists DNSKEY records by key tag and algorithm.
func keyTags(keys []*dns.DNSKEY) string {
	var out []string
	for _, k := range keys {
		out = append(out, fmt.Sprintf("key tag %d %s", k.KeyTag(), algName(k.Algorithm)))
	}
	return "DNSKEY " + strings.Join(out, "; ")
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
