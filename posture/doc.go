// Package posture is vouch's one data model: the vocabulary every other
// package speaks.
//
// Data flows one way:
//
//	Declaration (trust.yaml) ──┐
//	                           ├─► checks ─► Report ─► report writers, site
//	Targets ─► scanners ─► Snapshot
//
// A Snapshot holds what the scanners saw, as it was seen: each observation
// carries its target, the time, the source it came from (an address, a
// resolver), raw evidence, and — when the scanner could not observe — a
// Missing reason. "Could not observe" is never a pass and never a gap: checks
// turn it into an inconclusive verdict.
//
// A Declaration holds what the company claims. A Report holds the verdict of
// each claim with the findings behind it.
//
// This package imports only the standard library, and everything in it
// round-trips through encoding/json without loss.
package posture

// SchemaVersion is written into every Snapshot and Report so that readers can
// refuse what they do not understand.
const SchemaVersion = "vouch/v1"
