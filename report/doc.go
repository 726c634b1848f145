// Package report writes a posture.Report for people and machines, and packs
// the evidence of a scan into a bundle an auditor can check.
//
// Writers (Write) never scan and never judge: they print the verdicts the
// checks reached, quoting the evidence behind them. Every writer works on a
// copy of the report, so the caller's value is never changed.
//
//   - table: an aligned verdict table for a terminal (text/tabwriter), with
//     ANSI colours only when asked. Text that came from a server is stripped
//     of control characters, so a hostile header cannot drive the terminal.
//   - json: the posture.Report itself, indented, with a JSON Schema
//     (draft 2020-12, https://json-schema.org/draft/2020-12/schema) shipped
//     beside this file as report.schema.json. ReadReport reads it back and
//     refuses a schema_version it does not know.
//   - sarif: the Static Analysis Results Interchange Format, OASIS SARIF
//     2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/). Contradicted
//     findings are results of kind "fail"; inconclusive ones are of kind
//     "review" with level "none" (SARIF §3.27.9: a result whose kind is not
//     "fail" has level "none"). Each result carries a partial fingerprint
//     derived from control, target and issue code, so code-scanning services
//     match a gap across runs.
//   - junit: the JUnit XML report format CI systems read: one testsuite per
//     control section, one testcase per control and target.
//   - markdown: GitHub-flavoured Markdown (https://github.github.com/gfm/)
//     for a pull-request comment; declared and observed text is escaped so
//     that it can neither break a table (|) nor inject HTML.
//   - html: one self-contained printable page (inline CSS, no script, no
//     external resource) rendered with html/template, which escapes every
//     value for its context. Markdown and HTML list the controls by section
//     and again by framework requirement (SOC2:CC6.7, ISO27001:A.8.24,
//     CIS:3.10, ...), from the control's mappings and its rule's.
//   - oscal: NIST OSCAL 1.1.2 assessment results (JSON): one result per
//     scan, one finding per control (objective satisfied or not), one
//     observation per vouch finding citing its raw evidence. UUIDs are
//     name-based (RFC 9562 §5.5, version 5) on the scan id, so a report
//     always gives the same document.
//
// Diff compares two reports gap by gap, keyed by control, target and issue
// code — the same key as the SARIF fingerprint — and WriteDiff prints the
// drift (regressed, still failing, unobserved, waived, fixed; new and
// removed controls) as a table, JSON or Markdown. A gap that can no longer
// be observed is not counted as fixed.
//
// WriteSnapshot prints a posture.Snapshot itself, before any check: what
// `vouch probe` shows, one block per observation.
//
// The evidence bundle (WriteEvidence) is a directory named after the scan
// id holding the snapshot, the report, one file per piece of raw evidence
// and a manifest with the SHA-256 (FIPS 180-4) of every other file.
// VerifyEvidence re-hashes it. The bundle is built beside its destination
// and renamed into place, so it is either complete or absent.
//
// SignEvidence adds manifest.json.sig, a detached Ed25519 signature
// (RFC 8032) of the manifest, which VerifyEvidence checks when given public
// keys: since the manifest holds every file's hash, the signature covers
// the whole bundle. ZipEvidence packs a bundle into a deterministic zip
// (sorted entries, fixed times) for hand-over.
package report
