package posture

import "time"

// Tool identifies the program that made a Snapshot or Report.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Snapshot is everything one scan observed.
type Snapshot struct {
	SchemaVersion string      `json:"schema_version"`
	ID            string      `json:"id"` // scan id, e.g. 20261123T093000Z-1a2b3c
	Tool          Tool        `json:"tool"`
	StartedAt     time.Time   `json:"started_at"`
	FinishedAt    time.Time   `json:"finished_at"`
	Resolver      string      `json:"resolver,omitempty"`
	Scope         []Target    `json:"scope"`
	Excluded      []Exclusion `json:"excluded,omitempty"`
	// Shard is set when the scan covered one shard of the scope
	// (vouch scan --shard K/N): which one, and the digest of the
	// trust.yaml it ran under, so that merging shards can check they fit.
	Shard *Shard `json:"shard,omitempty"`

	TLS  []TLSObservation  `json:"tls,omitempty"`
	HTTP []HTTPObservation `json:"http,omitempty"`
	DNS  []DNSObservation  `json:"dns,omitempty"`
	WAF  []WAFObservation  `json:"waf,omitempty"`
}

// Shard names shard K of N (K from 0 to N-1) of a scan's scope.
type Shard struct {
	K int `json:"k"`
	N int `json:"n"`
	// DeclarationSHA256 is the hex SHA-256 of the trust.yaml bytes.
	DeclarationSHA256 string `json:"declaration_sha256,omitempty"`
}

// Merge appends other's observations to s. Header fields of s are kept.
func (s *Snapshot) Merge(other Snapshot) {
	for _, k := range kinds {
		k.merge(s, &other)
	}
}

// Sort puts observations in a stable order (by target, then source) so
// that output never follows goroutine scheduling.
func (s *Snapshot) Sort() {
	key := func(o *Observation) string { return o.Target.String() + "\x00" + o.Source }
	for _, k := range kinds {
		k.sort(s, key)
	}
}

// Clone returns a copy of s whose observation lists are its own, so that
// sorting or filtering the copy leaves s as it is. The observations
// themselves are shared.
func (s *Snapshot) Clone() *Snapshot {
	out := *s
	for _, k := range kinds {
		k.clone(&out)
	}
	return &out
}

// Filter returns a copy of s that holds only the observations whose
// target keep accepts; s is not changed.
func (s *Snapshot) Filter(keep func(Target) bool) *Snapshot {
	out := *s
	for _, k := range kinds {
		k.filter(&out, keep)
	}
	return &out
}

// Observations returns the header of every observation in s, kind by kind
// in the order of the table, then in the order of each list.
func (s *Snapshot) Observations() []Observation {
	var out []Observation
	for _, k := range kinds {
		k.headers(s, func(o *Observation) { out = append(out, *o) })
	}
	return out
}

// AllEvidence lists every piece of evidence in the snapshot, in order.
func (s *Snapshot) AllEvidence() []Evidence {
	var out []Evidence
	for _, k := range kinds {
		k.headers(s, func(o *Observation) { out = append(out, o.Evidence...) })
	}
	return out
}
