package posture

// DNSObservation is what the DNS scanner saw for one mail domain.
type DNSObservation struct {
	Observation
	Domain string `json:"domain"`
	// Resolver is the address of the resolver every lookup went to.
	Resolver string     `json:"resolver"`
	SPF      *TXTPolicy `json:"spf,omitempty"`
	DMARC    *DMARC     `json:"dmarc,omitempty"`
	DKIM     []DKIMKey  `json:"dkim,omitempty"`
	MX       *Lookup    `json:"mx,omitempty"`
	MTASTS   *MTASTS    `json:"mta_sts,omitempty"`
	TLSRPT   *TLSRPT    `json:"tls_rpt,omitempty"`
	CAA      *CAA       `json:"caa,omitempty"`
	DNSSEC   *DNSSEC    `json:"dnssec,omitempty"`
}

// Lookup is one DNS question and what came back. Found is No when the
// resolver answered authoritatively that there is nothing (NXDOMAIN or no
// data): that is an observation. Missing is set when the lookup failed
// (timeout, SERVFAIL, ...): that is not.
type Lookup struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	RCode string `json:"rcode,omitempty"`
	Found Tri    `json:"found"`
	// Answers are the answer records in zone-file form.
	Answers []string `json:"answers,omitempty"`
	// Values are the record data: TXT strings joined and unescaped, MX
	// hosts, etc.
	Values   []string `json:"values,omitempty"`
	Missing  *Missing `json:"missing,omitempty"`
	Evidence string   `json:"evidence,omitempty"`
}

// TXTPolicy is a TXT-published policy record such as SPF: the lookup, and
// the one record that matched the policy's prefix, if exactly one did.
type TXTPolicy struct {
	Lookup Lookup `json:"lookup"`
	// Records are the TXT values that carry the policy (v=spf1 ...). More
	// than one is an error under the protocols' rules.
	Records []string `json:"records,omitempty"`
	// All is the qualifier of the final "all" term for SPF ("-", "~", "?", "+").
	All string `json:"all,omitempty"`
	// Tree is the SPF include tree with its lookup counts, when exactly
	// one SPF record was found.
	Tree *SPFTree `json:"tree,omitempty"`
	// Checks are check_host results (RFC 7208 §4) for the sending
	// addresses the scope declares (scope.mail_senders).
	Checks []SPFCheck `json:"checks,omitempty"`
}

// SPFCheck is check_host(ip, domain, sender) for one declared sender.
type SPFCheck struct {
	IP     string `json:"ip"`
	Sender string `json:"sender"`
	// Result is none, neutral, pass, fail, softfail, temperror or
	// permerror (RFC 7208 §2.6).
	Result string `json:"result"`
	// Reason says which term decided, or what went wrong.
	Reason      string `json:"reason,omitempty"`
	DNSTerms    int    `json:"dns_terms"`
	VoidLookups int    `json:"void_lookups"`
	// Evidence is the ID of the evidence that records the evaluation.
	Evidence string `json:"evidence,omitempty"`
}

// DMARC is the DMARC record of a domain (RFC 7489).
type DMARC struct {
	Lookup Lookup `json:"lookup"`
	// Domain is where the record was found: _dmarc.<domain> or, by
	// fallback, _dmarc.<organisational domain>.
	Domain          string   `json:"domain,omitempty"`
	Records         []string `json:"records,omitempty"`
	Valid           bool     `json:"valid"`
	Policy          string   `json:"p,omitempty"`
	SubdomainPolicy string   `json:"sp,omitempty"`
	// NonExistentPolicy is np= (RFC 9091 §4.1), the policy for
	// subdomains that do not exist; empty when absent.
	NonExistentPolicy string   `json:"np,omitempty"`
	Percent           int      `json:"pct"`
	RUA               []string `json:"rua,omitempty"`
	RUF               []string `json:"ruf,omitempty"`
	ADKIM             string   `json:"adkim,omitempty"`
	ASPF              string   `json:"aspf,omitempty"`
	// Strength sums up the policy as receivers apply it: "enforcing"
	// (p, and sp and np where given, quarantine or reject, pct=100),
	// "partial" (enforcing p, but pct below 100 or a weaker sp or np),
	// "monitoring" (p=none), or empty for no usable record.
	Strength string `json:"strength,omitempty"`
	// ReportDestinations are the mailto: destinations of rua and ruf,
	// with the external-destination authorisation of RFC 7489 §7.1 for
	// those outside the record's organisational domain.
	ReportDestinations []DMARCReportDestination `json:"report_destinations,omitempty"`
	Issues             []Code                   `json:"issues,omitempty"`
}

// DMARCReportDestination is one mailto: URI of rua= or ruf=.
type DMARCReportDestination struct {
	// Tag is "rua" or "ruf".
	Tag string `json:"tag"`
	URI string `json:"uri"`
	// Domain is the destination mailbox's domain, lower case.
	Domain string `json:"domain"`
	// External is true when Domain's organisational domain differs from
	// that of the domain holding the DMARC record.
	External bool `json:"external,omitempty"`
	// Authorized says, for an external destination, whether
	// <policy domain>._report._dmarc.<Domain> publishes a v=DMARC1
	// record (receivers send reports only then); Unknown when the lookup
	// failed; empty for internal destinations.
	Authorized Tri `json:"authorized,omitempty"`
	// Lookup is the evidence ID of the authorisation lookup.
	Lookup string `json:"lookup,omitempty"`
}

// DKIMKey is the key published for one selector.
type DKIMKey struct {
	Selector string `json:"selector"`
	Lookup   Lookup `json:"lookup"`
	KeyType  string `json:"key_type,omitempty"` // rsa, ed25519
	KeyBits  int    `json:"key_bits,omitempty"`
	Revoked  bool   `json:"revoked,omitempty"` // empty p=
	Testing  bool   `json:"testing,omitempty"` // t=y
	// Hashes are the hash algorithms h= allows (RFC 6376 §3.6.1); empty
	// when h= is absent (every algorithm allowed).
	Hashes []string `json:"hashes,omitempty"`
	// Issues are the key record's issue codes (syntax, weak key, sha1
	// only, ...).
	Issues []Code `json:"issues,omitempty"`
}

// SPFTree is an SPF record with every record it reaches through include:
// and redirect=, walked without a client address (RFC 7208 §4.6.4 limits
// are about the whole evaluation, includes counted). Terms whose domain
// depends on macros (the sender, the client) are counted but not followed.
type SPFTree struct {
	// Records are the records visited, root first, depth first in term
	// order. Parent indexes Records.
	Records []SPFTreeRecord `json:"records"`
	// DNSTerms counts include, a, mx, ptr, exists and redirect across the
	// whole tree: receivers return permerror above 10.
	DNSTerms int `json:"dns_terms"`
	// VoidLookups counts lookups of a, mx and exists terms that answered
	// NXDOMAIN or no data: receivers return permerror above 2.
	VoidLookups int `json:"void_lookups"`
	// UsesPTR is true when some record uses the ptr mechanism (RFC 7208
	// §5.5: SHOULD NOT be used).
	UsesPTR bool `json:"uses_ptr,omitempty"`
	// SyntaxErrors are the records' syntax errors, "<domain>: <error>".
	SyntaxErrors []string `json:"syntax_errors,omitempty"`
	// Errors are other reasons evaluation would end in permerror: a
	// target with no or several SPF records, an include loop, an MX term
	// with more than 10 hosts.
	Errors []string `json:"errors,omitempty"`
	// Missing is set when a lookup the walk needed failed: the counts are
	// then lower bounds.
	Missing *Missing `json:"missing,omitempty"`
	// Truncated is true when the walk stopped at its own bounds (records
	// or depth): the counts are then lower bounds.
	Truncated bool `json:"truncated,omitempty"`
}

// SPFTreeRecord is one SPF record of a tree.
type SPFTreeRecord struct {
	Domain string `json:"domain"`
	// Parent is the index of the record that reached this one; -1 for the
	// root.
	Parent int `json:"parent"`
	// Via is "include" or "redirect"; empty for the root.
	Via    string        `json:"via,omitempty"`
	Record string        `json:"record,omitempty"`
	Terms  []SPFTreeTerm `json:"terms,omitempty"`
	// DNSTerms counts this record's own DNS-querying terms.
	DNSTerms int    `json:"dns_terms"`
	Error    string `json:"error,omitempty"`
	// Lookup is the evidence ID of the TXT lookup that found the record.
	Lookup  string   `json:"lookup,omitempty"`
	Missing *Missing `json:"missing,omitempty"`
}

// SPFTreeTerm is one term of an SPF record.
type SPFTreeTerm struct {
	// Qualifier is +, -, ~ or ? for mechanisms, empty for modifiers.
	Qualifier string `json:"qualifier,omitempty"`
	Name      string `json:"name"`
	Modifier  bool   `json:"modifier,omitempty"`
	// Value is the argument as written (domain-spec, network, cidr).
	Value string `json:"value,omitempty"`
	// DNS is true when the term counts against the 10-term limit.
	DNS bool `json:"dns,omitempty"`
	// Void is true when the term's lookup answered NXDOMAIN or no data.
	Void bool `json:"void,omitempty"`
	// Macro is true when the domain holds macros (not followed).
	Macro bool `json:"macro,omitempty"`
	// Ignored is true for terms evaluation never reaches (after all, or a
	// redirect= beside an all).
	Ignored bool `json:"ignored,omitempty"`
}

// MTASTS is the MTA-STS policy indicator at _mta-sts.<domain> (RFC 8461
// §3.1) and the policy it announces, fetched over HTTPS (§3.2, §3.3).
type MTASTS struct {
	Lookup Lookup `json:"lookup"`
	// Records are the TXT values that start with v=STSv1; more than one
	// means senders must act as if there were none.
	Records []string `json:"records,omitempty"`
	Valid   bool     `json:"valid"`
	ID      string   `json:"id,omitempty"`
	Issues  []Code   `json:"issues,omitempty"`
	// Policy is the policy file; nil when it was not fetched (no TXT
	// record announces one, or the scanner has no HTTPS client).
	Policy *MTASTSPolicy `json:"policy,omitempty"`
}

// MTASTSPolicy is the policy served at
// https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.2).
type MTASTSPolicy struct {
	URL string `json:"url"`
	// Addresses are the addresses mta-sts.<domain> resolved to; Address
	// is the one the policy was fetched from.
	Addresses []string `json:"addresses,omitempty"`
	Address   string   `json:"address,omitempty"`
	// Found is Yes when a 200 response came back, No when the host does
	// not exist or answered another 3xx/4xx status (3xx redirects are not
	// followed, §3.3), Unknown when the fetch failed or the server
	// answered 5xx or 429 (senders keep a cached policy through those;
	// Missing says why).
	Found       Tri    `json:"found"`
	Status      int    `json:"status,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// TLSError is set when the HTTPS connection failed certificate
	// validation: senders must then not use the policy (§3.3).
	TLSError string `json:"tls_error,omitempty"`
	// Body is the policy text as served (bounded).
	Body    string `json:"body,omitempty"`
	Valid   bool   `json:"valid"`
	Version string `json:"version,omitempty"`
	// Mode is enforce, testing or none.
	Mode   string   `json:"mode,omitempty"`
	MX     []string `json:"mx,omitempty"`
	MaxAge int      `json:"max_age"`
	// UnmatchedMX are the domain's MX hosts that no mx pattern matches:
	// in enforce mode senders refuse to deliver to them.
	UnmatchedMX []string `json:"unmatched_mx,omitempty"`
	Issues      []Code   `json:"issues,omitempty"`
	Missing     *Missing `json:"missing,omitempty"`
	Evidence    string   `json:"evidence,omitempty"`
}

// TLSRPT is the SMTP TLS reporting record at _smtp._tls.<domain> (RFC 8460
// §3).
type TLSRPT struct {
	Lookup  Lookup   `json:"lookup"`
	Records []string `json:"records,omitempty"`
	Valid   bool     `json:"valid"`
	// RUA are the report destinations (mailto: or https: URIs).
	RUA    []string `json:"rua,omitempty"`
	Issues []Code   `json:"issues,omitempty"`
}

// CAA is the CAA record set that governs certificate issuance for the
// domain (RFC 8659 §3): the one at the domain or, if it has none, at the
// nearest ancestor that has one.
type CAA struct {
	// Lookup is the last lookup made on the way up.
	Lookup Lookup `json:"lookup"`
	// Domain is where the set was found; empty when none was.
	Domain  string      `json:"domain,omitempty"`
	Records []CAARecord `json:"records,omitempty"`
	// Issue and IssueWild are the issuer domains allowed by issue and
	// issuewild properties; an entry "" (an empty value, ";") forbids
	// issuance.
	Issue     []string `json:"issue,omitempty"`
	IssueWild []string `json:"issuewild,omitempty"`
	IODEF     []string `json:"iodef,omitempty"`
	Issues    []Code   `json:"issues,omitempty"`
}

// CAARecord is one CAA property.
type CAARecord struct {
	Flags    int    `json:"flags"`
	Critical bool   `json:"critical,omitempty"`
	Tag      string `json:"tag"`
	Value    string `json:"value"`
}

// DNSSEC is what the resolver showed of the DNSSEC state of the zone that
// holds the domain (RFC 4033, RFC 4035). Questions are asked with the DO
// bit set, so that signatures come back, and with AD set, so that a
// validating resolver says whether it validated (RFC 6840 §5.7).
type DNSSEC struct {
	// Zone is the apex of the zone holding the domain, when found.
	Zone string `json:"zone,omitempty"`
	// Resolver is the address that answered.
	Resolver string `json:"resolver"`
	// DNSKEY is the DNSKEY lookup at the zone apex.
	DNSKEY Lookup `json:"dnskey"`
	// Signed is Yes when the apex publishes DNSKEY records and an RRSIG
	// over them, No when it publishes no DNSKEY, Unknown otherwise.
	Signed Tri `json:"signed"`
	// Keys counts the DNSKEY records; KSKs those with the SEP flag.
	Keys int `json:"keys"`
	KSKs int `json:"ksks"`
	// Algorithms are the DNSKEY algorithms by mnemonic (ECDSAP256SHA256 ...).
	Algorithms []string `json:"algorithms,omitempty"`
	// SignaturesValid is Yes when an RRSIG over the DNSKEY set verifies
	// with one of the keys and is within its validity period; this checks
	// the zone's own signature, not the chain of trust from the root.
	SignaturesValid Tri `json:"signatures_valid"`
	// Authenticated is the AD bit of the resolver's replies: Yes when it
	// set AD (it validated the answer from the root down). No AD is
	// Unknown: either the resolver does not validate or the chain does
	// not reach the zone; Detail says which when it can tell (an
	// authoritative server does not validate).
	Authenticated       Tri    `json:"authenticated"`
	AuthenticatedDetail string `json:"authenticated_detail,omitempty"`
	// Authoritative is true when the replies came from an authoritative
	// server (AA bit), not a recursive resolver.
	Authoritative bool `json:"authoritative,omitempty"`
	// DS is the DS lookup at the zone apex, answered from the parent
	// zone (RFC 4035 §5.2); nil when it was not asked (no signed DNSKEY
	// set was seen).
	// Without a DS the zone is signed but insecure: validating
	// resolvers treat it as unsigned (RFC 4035 §4.3).
	DS *Lookup `json:"ds,omitempty"`
	// HasDS is Yes when the parent publishes DS records for the zone,
	// No when it answered that it has none (NXDOMAIN or no data from
	// the parent's side), Unknown when the lookup failed or the answer
	// did not come from the parent (DS.Missing says why) or was not made.
	HasDS Tri `json:"has_ds,omitempty"`
	// DSMatches is Yes when a DS record matches a DNSKEY of the zone
	// (key tag, algorithm and digest) whose RRSIG over the DNSKEY set
	// verifies, No when none does, Unknown when it could not be told
	// (no DS, or a digest type vouch cannot compute). DSDetail says
	// which DS and which key.
	DSMatches Tri      `json:"ds_matches,omitempty"`
	DSDetail  string   `json:"ds_detail,omitempty"`
	Missing   *Missing `json:"missing,omitempty"`
}
