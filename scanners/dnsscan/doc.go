// Package dnsscan observes the mail posture a domain publishes in the DNS:
// SPF, DMARC, DKIM keys, MX, MTA-STS (with its policy over HTTPS),
// TLS-RPT, CAA and DNSSEC.
//
// Every question goes to one resolver through the Resolver interface
// (NewResolver is the miekg/dns implementation; tests point it at a server
// on 127.0.0.1). A question is asked over UDP first with an EDNS0 buffer of
// 1232 octets; when the reply comes back truncated (TC bit, RFC 1035 §4.2.1,
// RFC 7766 §5) it is asked again over TCP. Each question and its reply
// become a posture.Lookup together with the reply in zone-file form as
// evidence.
//
// The scanner records what it sees and never judges:
//
//   - A reply of NXDOMAIN, or NOERROR without records of the asked type, is
//     an observation of absence (Found = no).
//   - A lookup that got no usable reply (timeout, SERVFAIL, REFUSED, a
//     refused or unreachable resolver, a reply that does not parse) is
//     recorded as Missing with the reason: the checks make it inconclusive.
//
// What is read, and where:
//
//   - SPF (RFC 7208 §4.5): the TXT records at the domain whose text starts
//     with "v=spf1" followed by a space or the end. The qualifier of the
//     "all" mechanism is noted when exactly one such record exists. That
//     record is then walked with every record it reaches through include:
//     and redirect= (an SPF tree): each record's terms, the DNS-querying
//     terms across the whole tree (include, a, mx, ptr, exists, redirect;
//     receivers allow 10), the void lookups of its a, mx and exists terms
//     (NXDOMAIN or no data; receivers allow 2; an a term asks A for an
//     IPv4 client and AAAA for an IPv6 one, and the larger family count
//     is kept), ptr use and syntax errors
//     (RFC 7208 §4.6.4, §5.5). Terms whose domain holds macros depend on
//     the sender and are counted but not followed.
//   - SPF evaluation: SPFChecker.CheckHost is check_host(ip, domain,
//     sender) of RFC 7208 §4 with its processing limits and macros (§7),
//     returning none, neutral, pass, fail, softfail, temperror or
//     permerror. ParseSPF is the record grammar of §4.6 and §12. Both are
//     proved on the openspf RFC 7208 test suite (spfsuite_test.go). The
//     scanner runs it for each address of Options.MailSenders (the
//     scope's declared senders) with sender postmaster@<domain>.
//   - DMARC (RFC 7489 §6.1, §6.3, §6.6.3): the TXT records at
//     _dmarc.<domain> that start with "v=DMARC1". When there are none, the
//     record of the organisational domain (by the Public Suffix List) is
//     looked up instead. The tags are parsed by ParseDMARC, np= of RFC 9091 included. Each mailto: rua/ruf
//     destination outside the organisational domain of the record's domain
//     is asked whether it takes the reports: a v=DMARC1 TXT record at
//     <record domain>._report._dmarc.<destination> (RFC 7489 §7.1).
//   - DKIM (RFC 6376 §3.6.1, §3.6.2.1; RFC 8463 for Ed25519): the TXT
//     record at <selector>._domainkey.<domain> for each declared selector
//     and for a few commonly used ones; ParseDKIMKey reads the key type and
//     size, whether the key is revoked (empty p=), whether the domain is
//     testing (t=y) and the hash algorithms h= allows (sha1 alone is
//     flagged: RFC 8301 §3.1). The key's type and size are
//     recorded; the email.dkim check judges them (RFC 8301 §3.2).
//   - MX (RFC 5321 §5.1; RFC 7505 for the null MX "."): the exchange hosts
//     in order of preference.
//   - MTA-STS (RFC 8461 §3.1): the TXT record at _mta-sts.<domain> that
//     starts with "v=STSv1", with its id (ParseMTASTS). When there is one,
//     the policy is fetched as senders do (§3.3): mta-sts.<domain> is
//     resolved through the same Resolver, https://mta-sts.<domain>/
//     .well-known/mta-sts.txt is fetched from port 443 of its addresses
//     (Options.DialContext, RootCAs), redirects are not followed, the
//     body is bounded (64 KiB) and the fetch timed (PolicyTimeout); the
//     policy is parsed by ParseMTASTSPolicy (version, mode, mx, max_age)
//     and the MX hosts are matched against its mx patterns (§4.1). A
//     certificate that does not validate is an observation (senders must
//     not use the policy); a timeout or refused connection is Missing.
//   - TLS-RPT (RFC 8460 §3): the TXT record at _smtp._tls.<domain> that
//     starts with "v=TLSRPTv1", with its rua destinations (ParseTLSRPT).
//   - CAA (RFC 8659 §3, §4): the CAA record set at the domain or, when it
//     has none, at the nearest ancestor that has one, the top-level
//     domain included (the climb stops before the root); issue, issuewild and iodef properties, and
//     unknown properties marked critical.
//   - DNSSEC (RFC 4033, 4035): the DNSKEY set at the apex of the zone
//     holding the domain (found by climbing, or named by the SOA of a
//     negative answer), asked with DO and AD set when the Resolver is a
//     DNSSECResolver: whether the zone is signed, whether an RRSIG over
//     the DNSKEY set verifies with its keys now (the zone's own signature,
//     not the chain from the root), whether the parent publishes a DS
//     set for the apex and one DS matches a key that signs the DNSKEY set
//     (a negative DS answer carrying the zone's own SOA came from the
//     wrong side of the cut and is not observed), and the AD bit of the
//     reply with the resolver that gave it. No AD is not a failure: an authoritative
//     server (AA set) never validates, and a recursive one may not; the
//     observation says which.
//
// TXT character-strings arrive from miekg/dns in presentation form (\" \\
// and \DDD escapes, RFC 1035 §5.1); UnescapeTXT restores the bytes, and the
// strings of one record are joined with no separator (RFC 7208 §3.3, RFC
// 6376 §3.6.2.2).
//
// Lookups are cached for the length of one Scan, so that the SPF tree and
// the other lookups can ask the same question twice without a second
// packet or a second piece of evidence; check_host's evaluations share
// the Scan's replies too (not its evidence).
//
// A Scan asks at once whatever does not wait for an answer: the first
// questions of every part, the records an SPF record includes (a level
// at once, ahead of the depth-first walk that builds the tree in reading
// order), the MTA-STS policy as soon as its TXT record is in, the
// senders' check_host evaluations, the DMARC report destinations. What
// is in flight is bounded per Scan (parallelLookups questions) and, with
// Options.Limiter, by the resolver host's share of the --per-host budget.
// The result does not depend on the bound: a Scan that asks one question
// at a time observes the same, evidence and its order included.
package dnsscan
