package posture

import (
	"sort"
	"time"
)

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

	TLS  []TLSObservation  `json:"tls,omitempty"`
	HTTP []HTTPObservation `json:"http,omitempty"`
	DNS  []DNSObservation  `json:"dns,omitempty"`
	WAF  []WAFObservation  `json:"waf,omitempty"`
}

// Merge appends other's observations to s. Header fields of s are kept.
func (s *Snapshot) Merge(other Snapshot) {
	s.TLS = append(s.TLS, other.TLS...)
	s.HTTP = append(s.HTTP, other.HTTP...)
	s.DNS = append(s.DNS, other.DNS...)
	s.WAF = append(s.WAF, other.WAF...)
}

// Sort puts observations in a stable order (by target, then source) so
// that output never follows goroutine scheduling.
func (s *Snapshot) Sort() {
	key := func(o Observation) string { return o.Target.String() + "\x00" + o.Source }
	sort.SliceStable(s.TLS, func(i, j int) bool { return key(s.TLS[i].Observation) < key(s.TLS[j].Observation) })
	sort.SliceStable(s.HTTP, func(i, j int) bool { return key(s.HTTP[i].Observation) < key(s.HTTP[j].Observation) })
	sort.SliceStable(s.DNS, func(i, j int) bool { return key(s.DNS[i].Observation) < key(s.DNS[j].Observation) })
	sort.SliceStable(s.WAF, func(i, j int) bool { return key(s.WAF[i].Observation) < key(s.WAF[j].Observation) })
}

// AllEvidence lists every piece of evidence in the snapshot, in order.
func (s *Snapshot) AllEvidence() []Evidence {
	var out []Evidence
	for _, o := range s.TLS {
		out = append(out, o.Evidence...)
	}
	for _, o := range s.HTTP {
		out = append(out, o.Evidence...)
	}
	for _, o := range s.DNS {
		out = append(out, o.Evidence...)
	}
	for _, o := range s.WAF {
		out = append(out, o.Evidence...)
	}
	return out
}
