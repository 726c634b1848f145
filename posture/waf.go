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
	// Templates are the user templates run against this target.
	Templates []TemplateMatch `json:"templates,omitempty"`
}

// TemplateMatch is the outcome of one user-supplied nuclei template (a
// control with verify kind "nuclei") against one web target.
type TemplateMatch struct {
	// Template is the template file as the control names it.
	Template string `json:"template"`
	// ID is the template's id.
	ID string `json:"id,omitempty"`
	// Matched is Yes when the template matched, No when it ran and did not,
	// Unknown when it could not run (Missing says why).
	Matched Tri `json:"matched"`
	// Matchers are the names of the matchers that fired.
	Matchers []string `json:"matchers,omitempty"`
	// Extracted are the values its extractors returned.
	Extracted []string `json:"extracted,omitempty"`
	Missing   *Missing `json:"missing,omitempty"`
	// Evidence is the ID of the Evidence holding the request and response.
	Evidence string `json:"evidence,omitempty"`
}
