package dnsscan

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// commonDKIMSelectors are tried besides the declared ones. A key found
// under one of them is listed in DKIM; every question asked, answered or
// not, stays in the evidence.
var commonDKIMSelectors = []string{"default", "google", "selector1", "selector2", "k1", "s1", "dkim", "mail"}

// parallelLookups bounds the questions one Scan has in flight at once:
// its lookups, its SPF tree's and its check_host evaluations' together.
const parallelLookups = netlimit.DefaultPerHost

// Options configures a Scanner.
type Options struct {
	// Resolver receives every question. Required.
	Resolver Resolver
	// DKIMSelectors are the selectors the domain declares; each is
	// recorded whether or not a key is found.
	DKIMSelectors []string
	// MailSenders are IP addresses the scope says send mail for every
	// mail domain; SPF's check_host is run for each (RFC 7208 §4).
	MailSenders []string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Limiter, when set, is the scan's connection budget: each question
	// holds a slot of the resolver (netlimit.ResolverKey, its own limit:
	// --resolver-inflight) while it is asked, whichever Scan asks it, besides the bound of one Scan
	// (parallelLookups). The MTA-STS policy fetch uses DialContext,
	// which the caller wraps.
	Limiter *netlimit.Limiter

	// The MTA-STS policy is fetched over HTTPS from the addresses the
	// Resolver gives for mta-sts.<domain>, port 443. DialContext makes
	// the connection (a net.Dialer when nil; tests map the port to their
	// server), RootCAs verify the certificate (the system roots when
	// nil), PolicyTimeout bounds the fetch (DefaultPolicyTimeout when
	// zero) and UserAgent names vouch.
	DialContext   func(ctx context.Context, network, addr string) (net.Conn, error)
	RootCAs       *x509.CertPool
	PolicyTimeout time.Duration
	UserAgent     string
}

// Scanner observes the mail posture of mail targets.
type Scanner struct {
	res       Resolver
	selectors []string
	senders   []netip.Addr
	now       func() time.Time
	policy    policyFetcher
	limiter   *netlimit.Limiter
	inFlight  int // questions one Scan has in flight at most
}

// New returns a Scanner.
func New(o Options) *Scanner {
	s := &Scanner{res: o.Resolver, now: o.Now, limiter: o.Limiter, inFlight: parallelLookups,
		policy: policyFetcher{dial: o.DialContext, roots: o.RootCAs, timeout: o.PolicyTimeout, userAgent: o.UserAgent}}
	if s.policy.timeout <= 0 {
		s.policy.timeout = DefaultPolicyTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, ip := range o.MailSenders {
		if a, err := netip.ParseAddr(strings.TrimSpace(ip)); err == nil && !slices.Contains(s.senders, a.Unmap()) {
			s.senders = append(s.senders, a.Unmap())
		}
	}
	seen := map[string]bool{}
	for _, sel := range o.DKIMSelectors {
		sel = strings.ToLower(strings.TrimSpace(sel))
		if sel != "" && !seen[sel] {
			seen[sel] = true
			s.selectors = append(s.selectors, sel)
		}
	}
	return s
}

// Name is "dns".
func (s *Scanner) Name() string { return "dns" }

// Accepts reports whether k is a mail target.
func (s *Scanner) Accepts(k posture.TargetKind) bool { return k == posture.TargetMail }

// Scan looks up SPF, DMARC, DKIM keys and MX of the mail domain t and
// returns one posture.DNSObservation. The observation as a whole is
// Missing only when every lookup failed; otherwise each lookup says for
// itself.
func (s *Scanner) Scan(ctx context.Context, t posture.Target) posture.Snapshot {
	domain := t.Host()
	obs := posture.DNSObservation{
		Observation: posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC()},
		Domain:      domain,
	}
	snap := func() posture.Snapshot { return posture.Snapshot{DNS: []posture.DNSObservation{obs}} }
	if s.res == nil {
		obs.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: "dnsscan: no resolver configured"}
		return snap()
	}
	obs.Source, obs.Resolver = s.res.Addr(), s.res.Addr()
	if !isMailDomain(domain) || t.Kind != posture.TargetMail {
		obs.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("dnsscan: %q is not a mail domain", t.Address)}
		return snap()
	}

	sess := newSession(s.res, domain, s.inFlight, s.limiter)
	declared := len(s.selectors)
	selectors := append([]string(nil), s.selectors...)
	for _, c := range commonDKIMSelectors {
		if !containsString(selectors, c) {
			selectors = append(selectors, c)
		}
	}
	var (
		spfLookup, mxLookup     posture.Lookup
		mtastsLookup, rptLookup posture.Lookup
		spf                     *posture.TXTPolicy
		spfChecks               []posture.SPFCheck
		spfCheckEv              *posture.Evidence
		mtasts                  *posture.MTASTS
		dmarc                   *posture.DMARC
		treeIDs, dmarcIDs       []string
		caaIDs, dnssecIDs       []string
		policyIDs               []string
		caa                     *posture.CAA
		dnssec                  *posture.DNSSEC
		policyEv                *posture.Evidence
		dkimLookups             = make([]posture.Lookup, len(selectors))
	)
	// Every task starts at once; a question waits only for the answers
	// it depends on (and for a slot: the session bounds what is in
	// flight). The longest chains come first.
	tasks := []func(){
		func() {
			spfLookup = sess.lookup(ctx, domain, dns.TypeTXT)
			spf = spfPolicy(spfLookup)
			if len(spf.Records) == 1 {
				spf.Tree, treeIDs = spfTree(ctx, sess, domain, spf.Records[0], spfLookup.Evidence)
			}
		},
		func() {
			mtastsLookup = sess.lookup(ctx, "_mta-sts."+domain, dns.TypeTXT)
			mtasts = mtaSTS(mtastsLookup)
			if len(mtasts.Records) > 0 {
				// A v=STSv1 record announces a policy: fetch it as
				// senders do; its MX hosts are compared below.
				var ev posture.Evidence
				mtasts.Policy, policyIDs, ev = s.policy.fetch(ctx, sess, domain)
				policyEv = &ev
			}
		},
		func() { dmarc, dmarcIDs = lookupDMARC(ctx, sess, domain) },
		func() { caa, caaIDs = lookupCAA(ctx, sess, domain) },
		func() { dnssec, dnssecIDs = lookupDNSSEC(ctx, sess, domain, s.now()) },
		func() { mxLookup = sess.lookup(ctx, domain, dns.TypeMX) },
		func() { rptLookup = sess.lookup(ctx, "_smtp._tls."+domain, dns.TypeTXT) },
	}
	if len(s.senders) > 0 {
		tasks = append(tasks, func() {
			var ev posture.Evidence
			spfChecks, ev = s.spfChecks(ctx, sess, domain)
			spfCheckEv = &ev
		})
	}
	for i, sel := range selectors {
		tasks = append(tasks, func() { dkimLookups[i] = sess.lookup(ctx, sel+"._domainkey."+domain, dns.TypeTXT) })
	}
	netlimit.Parallel(0, tasks...)

	obs.SPF = spf
	obs.SPF.Checks = spfChecks
	obs.DMARC = dmarc
	obs.MX = &mxLookup
	obs.MTASTS = mtasts
	if mtasts.Policy != nil {
		matchMX(mtasts.Policy, mxLookup.Values)
	}
	obs.DNSSEC = dnssec
	obs.TLSRPT = tlsRPT(rptLookup)
	obs.CAA = caa
	for i, sel := range selectors {
		key, isKey := dkimKey(sel, dkimLookups[i])
		if i < declared || isKey {
			obs.DKIM = append(obs.DKIM, key)
		}
	}

	// Evidence in the order a reader goes through the observation: SPF,
	// DMARC, MX, then DKIM selectors, every question asked included.
	ev := sess.evidence()
	ids := []string{spfLookup.Evidence}
	ids = append(ids, treeIDs...)
	if spfCheckEv != nil {
		ev[spfCheckEv.ID] = *spfCheckEv
		ids = append(ids, spfCheckEv.ID)
	}
	ids = append(ids, dmarcIDs...)
	ids = append(ids, mxLookup.Evidence, mtastsLookup.Evidence)
	ids = append(ids, policyIDs...)
	ids = append(ids, rptLookup.Evidence)
	ids = append(ids, caaIDs...)
	ids = append(ids, dnssecIDs...)
	for _, lk := range dkimLookups {
		ids = append(ids, lk.Evidence)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if e, ok := ev[id]; ok && !seen[id] {
			seen[id] = true
			obs.Evidence = append(obs.Evidence, e)
		}
		if id == mtastsLookup.Evidence && policyEv != nil {
			obs.Evidence = append(obs.Evidence, *policyEv)
		}
	}

	if asked, failures := sess.failed(); asked > 0 && len(failures) == asked {
		obs.Missing = &posture.Missing{
			Reason: failures[0].Reason,
			Detail: fmt.Sprintf("dnsscan: every lookup of %s via %s failed (%d); first: %s", domain, s.res.Addr(), asked, failures[0].Error()),
		}
	}
	return snap()
}

// spfChecks runs check_host(ip, domain, postmaster@domain) for each
// declared sender (RFC 7208 §4, with HELO domain), the senders at once,
// and returns the results with one piece of evidence that lists them. The
// evaluations ask through the session's exchange (its bound, and the
// replies the SPF tree already has), not its lookups: they are not part
// of the session's evidence.
func (s *Scanner) spfChecks(ctx context.Context, sess *session, domain string) ([]posture.SPFCheck, posture.Evidence) {
	ev := posture.Evidence{ID: "dns/" + domain + "/spf-check_host", Kind: posture.EvidenceText, Label: "SPF check_host for the declared mail senders"}
	var data strings.Builder
	var out []posture.SPFCheck
	checker := SPFChecker{Resolver: sessionResolver{sess}}
	sender := "postmaster@" + domain
	results := make([]SPFOutcome, len(s.senders))
	var tasks []func()
	for i, ip := range s.senders {
		tasks = append(tasks, func() { results[i] = checker.CheckHost(ctx, ip, domain, sender, domain) })
	}
	netlimit.Parallel(0, tasks...)
	for i, ip := range s.senders {
		r := results[i]
		out = append(out, posture.SPFCheck{IP: ip.String(), Sender: sender, Result: string(r.Result), Reason: r.Reason,
			DNSTerms: r.DNSTerms, VoidLookups: r.VoidLookups, Evidence: ev.ID})
		fmt.Fprintf(&data, ";; check_host(%s, %s, %s) via %s = %s (%s; %d DNS terms, %d void lookups)\n",
			ip, domain, sender, s.res.Addr(), r.Result, r.Reason, r.DNSTerms, r.VoidLookups)
	}
	ev.Data = data.String()
	return out, ev
}

// lookupDMARC finds the DMARC record of domain (RFC 7489 §6.6.3): at
// _dmarc.<domain>, else at _dmarc.<organisational domain>. DMARC.Lookup is
// the last lookup made. It also returns the evidence IDs of its lookups.
func lookupDMARC(ctx context.Context, sess *session, domain string) (*posture.DMARC, []string) {
	d := &posture.DMARC{}
	lk := sess.lookup(ctx, "_dmarc."+domain, dns.TypeTXT)
	looked := []posture.Lookup{lk}
	recs, where := dmarcRecords(lk), domain
	if len(recs) == 0 && lk.Missing == nil {
		if org := orgDomain(domain); org != domain {
			lk = sess.lookup(ctx, "_dmarc."+org, dns.TypeTXT)
			looked = append(looked, lk)
			recs, where = dmarcRecords(lk), org
		}
	}
	d.Lookup = lk
	var ids []string
	for _, l := range looked {
		ids = append(ids, l.Evidence)
	}
	switch {
	case len(recs) == 0:
		// No record. Say so when one is there but hidden by a v= that
		// is not first: receivers discard it; its owner may not know.
		for _, l := range looked {
			for _, v := range l.Values {
				if r, err := ParseDMARC(v); err == nil && containsString(r.Issues, posture.CodeDMARCVNotFirst) {
					d.Issues = []posture.Code{posture.CodeDMARCVNotFirst}
				}
			}
		}
		return d, ids
	case len(recs) > 1:
		d.Domain, d.Records = where, recs
		d.Issues = []posture.Code{posture.CodeDMARCMultipleRecords}
		return d, ids
	}
	d.Domain, d.Records = where, recs
	r, err := ParseDMARC(recs[0])
	if err != nil {
		d.Issues = []posture.Code{posture.CodeDMARCSyntax}
		return d, ids
	}
	d.Valid = r.Valid()
	d.Policy, d.SubdomainPolicy, d.NonExistentPolicy, d.Percent = r.Policy, r.SubdomainPolicy, r.NonExistentPolicy, r.Percent
	d.RUA, d.RUF, d.ADKIM, d.ASPF = r.RUA, r.RUF, r.ADKIM, r.ASPF
	d.Strength = r.Strength()
	d.Issues = r.Issues
	d.ReportDestinations, ids = reportDestinations(ctx, sess, where, r, ids)
	return d, ids
}

// reportDestinations lists the mailto: destinations of rua= and ruf= and,
// for each outside the organisational domain of policyDomain, asks
// <policyDomain>._report._dmarc.<destination> whether it agrees to take
// the reports (RFC 7489 §7.1), the destinations at once. A destination is
// asked once.
func reportDestinations(ctx context.Context, sess *session, policyDomain string, r DMARCRecord, ids []string) ([]posture.DMARCReportDestination, []string) {
	var out []posture.DMARCReportDestination
	org := orgDomain(policyDomain)
	for _, list := range []struct {
		tag  string
		uris []string
	}{{"rua", r.RUA}, {"ruf", r.RUF}} {
		for _, u := range list.uris {
			dest := reportDomain(u)
			if dest == "" {
				continue
			}
			out = append(out, posture.DMARCReportDestination{Tag: list.tag, URI: u, Domain: dest, External: orgDomain(dest) != org})
		}
	}
	lks := make([]posture.Lookup, len(out))
	var tasks []func()
	for i, rd := range out {
		if rd.External {
			tasks = append(tasks, func() { lks[i] = sess.lookup(ctx, policyDomain+"._report._dmarc."+rd.Domain, dns.TypeTXT) })
		}
	}
	netlimit.Parallel(0, tasks...)
	for i := range out {
		rd, lk := &out[i], lks[i]
		if !rd.External {
			continue
		}
		rd.Lookup = lk.Evidence
		ids = append(ids, lk.Evidence)
		switch {
		case lk.Missing != nil:
			rd.Authorized = posture.Unknown
		case len(dmarcRecords(lk)) > 0:
			rd.Authorized = posture.Yes
		default:
			rd.Authorized = posture.No
		}
	}
	return out, ids
}

// dmarcRecords returns the values of lk that are DMARC records.
func dmarcRecords(lk posture.Lookup) []string {
	var out []string
	for _, v := range lk.Values {
		if startsWithVersion(v, "DMARC1") {
			out = append(out, v)
		}
	}
	return out
}

// isMailDomain reports whether domain is a host name vouch can look up:
// letters, digits, '-' and '_' in labels of 1 to 63 octets, 253 octets at
// most. Internationalised names must be given as A-labels (xn--...).
func isMailDomain(domain string) bool {
	if domain == "" || len(domain) > 253 {
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !isAlpha(c) && !isDigit(c) && c != '-' && c != '_' {
				return false
			}
		}
	}
	return true
}

// orgDomain returns the organisational domain of domain (RFC 7489 §3.2):
// one label more than its public suffix, by the Public Suffix List that
// golang.org/x/net/publicsuffix carries (so mail.example.co.uk gives
// example.co.uk). A name that is itself a public suffix is its own.
func orgDomain(domain string) string {
	d := strings.TrimSuffix(strings.ToLower(domain), ".")
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// dkimKey reads the key published for sel. isKey reports whether the
// lookup found a TXT record that is a DKIM key record.
func dkimKey(sel string, lk posture.Lookup) (key posture.DKIMKey, isKey bool) {
	key = posture.DKIMKey{Selector: sel, Lookup: lk}
	if lk.Found != posture.Yes {
		return key, false
	}
	for _, v := range lk.Values {
		r, err := ParseDKIMKey(v)
		if err != nil {
			continue
		}
		key.KeyType, key.KeyBits, key.Revoked, key.Testing = r.KeyType, r.KeyBits, r.Revoked, r.Testing
		key.Hashes = r.Hashes
		key.Issues = append([]posture.Code(nil), r.Issues...)
		// The key's type and size are recorded as data; how many bits
		// are enough is email.dkim's to judge (its min_bits parameter).
		if r.Revoked {
			key.Issues = appendOnce(key.Issues, posture.CodeDKIMRevoked)
		}
		if r.Testing {
			key.Issues = appendOnce(key.Issues, posture.CodeDKIMTesting)
		}
		return key, true
	}
	return key, false
}

func containsString[T comparable](list []T, s T) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
