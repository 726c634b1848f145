package wafscan

import (
	"context"
	"time"
)

// Job is one run of the WAF engine: every target of a scan at once, so that
// one engine serves them all.
type Job struct {
	Targets []JobTarget `json:"targets"`
	// UserAgent is sent with every request.
	UserAgent string `json:"user_agent"`
	// TimeoutSeconds bounds each request; 0 means 10.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// Resolvers are the DNS servers (host:port) host names are resolved
	// with; empty means the system's.
	Resolvers []string `json:"resolvers,omitempty"`
	// Dir is the directory relative template paths are read from (that
	// of trust.yaml); empty means the engine's working directory.
	Dir string `json:"dir,omitempty"`
	// PerHost bounds the connections the engine has open to one host (one
	// IP address, however many target names point at it) at once; 0 means
	// DefaultEnginePerHost. vouch gives it its share of --per-host
	// (EngineShare) and holds that many slots of the scan's budget for it.
	PerHost int `json:"per_host,omitempty"`
	// TargetTimeoutSeconds bounds each target's WAF work on its own, from
	// when the engine starts it; 0 means no bound but the job's. A target
	// past it ends with a timeout error and holds up no other.
	TargetTimeoutSeconds int `json:"target_timeout_seconds,omitempty"`
	// OnTarget, when set, is called once per target as soon as that
	// target's work is over, from any goroutine, one call at a time or
	// not: it must be safe for concurrent use. ExecEngine calls it as the
	// engine process streams each target's line.
	OnTarget func(TargetResult) `json:"-"`
}

// TargetResult is one target's part of a Result, delivered as soon as it
// is done. vouch-waf writes one per line, as JSON, then a last line with
// the Stats alone.
type TargetResult struct {
	Target string  `json:"target"` // JobTarget.URL
	Events []Event `json:"events,omitempty"`
	// Error says why the target's work did not end (a timeout, the job's
	// end); its Events are then not to be trusted as complete.
	Error string `json:"error,omitempty"`
}

// DefaultEnginePerHost is the engine's per-host bound when a Job gives
// none: the share of the default --per-host.
const DefaultEnginePerHost = 4

// EngineShare is the part of a per-host budget of perHost connections the
// engine gets: half, and at least two (one request in flight and the
// connection of the one before, still closing: package engine), never
// more than the budget. The rest stays for vouch's own scanners.
func EngineShare(perHost int) int {
	return min(perHost, max(2, perHost/2))
}

// JobTarget is one web target of a Job.
type JobTarget struct {
	URL string `json:"url"`
	// Active turns the active probe on; passive fingerprints always run.
	Active bool `json:"active"`
	// Templates are user template files (verify kind "nuclei") to run
	// against this target only.
	Templates []string `json:"templates,omitempty"`
}

// Event kinds.
const (
	KindFingerprint = "fingerprint" // one of our passive fingerprints
	KindProbe       = "probe"       // our active probe
	KindUser        = "user"        // a user template
)

// Event is what one template said about one target: one per template and
// target when nothing matched or it failed, one per matcher that fired
// otherwise.
type Event struct {
	Target string `json:"target"` // JobTarget.URL
	// TemplateID is the template's id; Template is the user's file for
	// user templates, the embedded name for ours.
	TemplateID string `json:"template_id"`
	Template   string `json:"template"`
	Kind       string `json:"kind"`
	// Vendor is the fingerprint template's vendor.
	Vendor    string   `json:"vendor,omitempty"`
	Matched   bool     `json:"matched"`
	Matcher   string   `json:"matcher,omitempty"`
	Extracted []string `json:"extracted,omitempty"`
	// IP is the address the engine connected to.
	IP string `json:"ip,omitempty"`
	// Request and Response are as sent and received, cut at a few KiB.
	Request  string `json:"request,omitempty"`
	Response string `json:"response,omitempty"`
	// Error says why the template could not run to a conclusion.
	Error string `json:"error,omitempty"`
}

// Stats are the engine's own timings, for BENCHMARKS.md.
type Stats struct {
	Engines   int           `json:"engines"`
	Create    time.Duration `json:"create_ns"`
	Execute   time.Duration `json:"execute_ns"`
	Close     time.Duration `json:"close_ns"`
	Templates int           `json:"templates"`
	// PhoneHome counts the requests the nuclei library tried to send to
	// its vendor in this process (its version check retries, so 3 per
	// process), each refused before it reached the network.
	PhoneHome int `json:"phone_home"`
}

// Result is what a Job produced.
type Result struct {
	Events []Event `json:"events"`
	// Errors are the TargetResult errors, by target.
	Errors map[string]string `json:"errors,omitempty"`
	Stats  Stats             `json:"stats"`
}

// Engine runs Jobs. ExecEngine runs the vouch-waf companion binary; the
// engine package runs nuclei in-process (and is what vouch-waf is made of).
type Engine interface {
	Run(ctx context.Context, job Job) (Result, error)
}
