// Package checks judges what a scan observed against what a company
// declares: a posture.Snapshot and a posture.Declaration in, a
// posture.Report out.
//
// Every check is a pure function of its Input. Nothing in this package
// touches the network, the file system or the clock: the engine is handed
// "now" by its caller, so `vouch check --snapshot s.json` re-judges old
// evidence offline and the same inputs always give the same report.
//
// One check lives in one file named after its ID (tls.min_version in
// tls_min_version.go) and registers itself from init() as data: a
// posture.Rule (title, citation of the requirement, severity, remediation,
// suggested framework mappings, documented parameters) and a Run function
// that returns one finding per thing it observed (one TLS endpoint IP, one
// web target, one mail domain).
//
// Verdicts follow DESIGN.md:
//
//   - verified: observed, and the claim holds;
//   - contradicted: observed, and the claim does not hold (a gap), with a
//     stable issue code from codes.go;
//   - inconclusive: could not observe (a posture.Missing reason such as
//     refused, timeout or servfail). A value a scanner could not see is
//     never a pass and never a gap;
//   - attested, waived, not_applicable: decided by the engine (Evaluate)
//     from the declaration, its waivers, and a check that found nothing in
//     scope.
//
// Checks never return errors: a bad parameter, an unknown kind or a panic
// becomes an inconclusive finding for that one control, so one broken check
// never sinks a scan.
package checks
