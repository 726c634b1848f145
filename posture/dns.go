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
	Percent         int      `json:"pct"`
	RUA             []string `json:"rua,omitempty"`
	RUF             []string `json:"ruf,omitempty"`
	ADKIM           string   `json:"adkim,omitempty"`
	ASPF            string   `json:"aspf,omitempty"`
	Issues          []string `json:"issues,omitempty"`
}

// DKIMKey is the key published for one selector.
type DKIMKey struct {
	Selector string `json:"selector"`
	Lookup   Lookup `json:"lookup"`
	KeyType  string `json:"key_type,omitempty"` // rsa, ed25519
	KeyBits  int    `json:"key_bits,omitempty"`
	Revoked  bool   `json:"revoked,omitempty"` // empty p=
	Testing  bool   `json:"testing,omitempty"` // t=y
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
// §3.1). The policy itself is served over HTTPS and is not part of this.
type MTASTS struct {
	Lookup Lookup `json:"lookup"`
	// Records are the TXT values that start with v=STSv1; more than one
	// means senders must act as if there were none.
	Records []string `json:"records,omitempty"`
	Valid   bool     `json:"valid"`
	ID      string   `json:"id,omitempty"`
	Issues  []string `json:"issues,omitempty"`
}

// TLSRPT is the SMTP TLS reporting record at _smtp._tls.<domain> (RFC 8460
// §3).
type TLSRPT struct {
	Lookup  Lookup   `json:"lookup"`
	Records []string `json:"records,omitempty"`
	Valid   bool     `json:"valid"`
	// RUA are the report destinations (mailto: or https: URIs).
	RUA    []string `json:"rua,omitempty"`
	Issues []string `json:"issues,omitempty"`
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
	Issues    []string `json:"issues,omitempty"`
}

// CAARecord is one CAA property.
type CAARecord struct {
	Flags    int    `json:"flags"`
	Critical bool   `json:"critical,omitempty"`
	Tag      string `json:"tag"`
	Value    string `json:"value"`
}
