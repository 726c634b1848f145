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
