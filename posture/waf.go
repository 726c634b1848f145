package posture

// WAFObservation is what the WAF scanner saw for one web target.
type WAFObservation struct {
	Observation
	URL     string `json:"url"`
	Present Tri    `json:"present"`
	Vendor  string `json:"vendor,omitempty"`
	// Active is false when active probing was switched off for the target
	// (passive fingerprints still ran).
	Active bool `json:"active"`
	// Exchanges are the requests sent and what came back.
	Exchanges []HTTPHop `json:"exchanges,omitempty"`
	// Signals names what led to the conclusion (a header, a block status).
	Signals []string `json:"signals,omitempty"`
}
