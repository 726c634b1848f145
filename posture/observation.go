package posture

import "time"

// Reason says why a value could not be observed. The set is open: scanners
// may add reasons, but should prefer these.
type Reason string

const (
	ReasonRefused         Reason = "refused"          // TCP connection refused
	ReasonTimeout         Reason = "timeout"          // no answer in time
	ReasonUnreachable     Reason = "unreachable"      // no route, host down
	ReasonHandshakeFailed Reason = "handshake_failed" // TLS handshake failed for a reason other than a refused version/suite
	ReasonNXDomain        Reason = "nxdomain"         // the name does not exist (when its existence was needed to observe)
	ReasonServFail        Reason = "servfail"         // the resolver failed
	ReasonDNSError        Reason = "dns_error"        // another resolver error (REFUSED, FORMERR, truncated, ...)
	ReasonProtocolError   Reason = "protocol_error"   // the peer spoke something we could not parse
	ReasonTooLarge        Reason = "too_large"        // the peer sent more than vouch reads
	ReasonExcluded        Reason = "excluded"         // out of scope by declaration
	ReasonNotScanned      Reason = "not_scanned"      // the scanner did not run (disabled, not installed)
	ReasonError           Reason = "error"            // anything else; Detail says what
)

// Missing explains why an observation (or one field of it) is absent.
type Missing struct {
	Reason Reason `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

func (m *Missing) Error() string {
	if m == nil {
		return ""
	}
	if m.Detail == "" {
		return string(m.Reason)
	}
	return string(m.Reason) + ": " + m.Detail
}

// Tri is a three-valued observation: yes, no, or could not tell.
type Tri string

const (
	Yes     Tri = "yes"
	No      Tri = "no"
	Unknown Tri = "unknown"
)

// TriOf converts a bool to Yes or No.
func TriOf(b bool) Tri {
	if b {
		return Yes
	}
	return No
}

// EvidenceKind says how to read Evidence.Data.
type EvidenceKind string

const (
	EvidencePEM          EvidenceKind = "pem"           // certificate chain as served, PEM blocks in order
	EvidenceDNS          EvidenceKind = "dns"           // DNS answers in zone-file form
	EvidenceHTTP         EvidenceKind = "http"          // an HTTP request/response head as sent and received
	EvidenceTLSHandshake EvidenceKind = "tls-handshake" // a handshake summary or log (JSON)
	EvidenceText         EvidenceKind = "text"          // anything else, as text
)

// Evidence is raw material as it was seen, quoted by findings and copied
// into the evidence bundle. ID is unique within a Snapshot.
type Evidence struct {
	ID    string       `json:"id"`
	Kind  EvidenceKind `json:"kind"`
	Label string       `json:"label,omitempty"`
	Data  string       `json:"data"`
}

// Observation is the header every scanner's observation carries.
type Observation struct {
	Target  Target `json:"target"`
	Scanner string `json:"scanner"` // "tls", "http", "dns", "waf"
	// Source is where the observation came from: the IP:port connected
	// to, or the resolver asked.
	Source     string    `json:"source,omitempty"`
	ObservedAt time.Time `json:"observed_at"`
	// Missing is set when the scanner could not observe the target at all.
	Missing  *Missing   `json:"missing,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Observed reports whether the observation holds data (Missing is nil).
func (o Observation) Observed() bool { return o.Missing == nil }

// EvidenceIDs lists the IDs of the observation's evidence.
func (o Observation) EvidenceIDs() []string {
	ids := make([]string, 0, len(o.Evidence))
	for _, e := range o.Evidence {
		ids = append(ids, e.ID)
	}
	return ids
}
