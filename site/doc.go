// Package site renders the public trust center: the page a company
// publishes about its security, built from a posture.Report so that every
// claim on it carries the verdict of the scan it came from.
//
// The output is plain static files that work from any web server or from
// file:// — no JavaScript, no external fonts, scripts or images, relative
// links only:
//
//	index.html                the page (a-h/templ, every declared string escaped)
//	style.css                 a separate stylesheet, so that a strict
//	                          Content-Security-Policy of default-src 'self' holds
//	controls.json             the public controls as data; its "$schema"
//	                          member points to controls.schema.json
//	controls.schema.json      JSON Schema (draft 2020-12) of controls.json,
//	                          strict: unknown members and statuses are invalid
//	logo.<ext>                the logo, when Options.Logo holds its bytes
//	                          (png, svg, jpg, jpeg, webp or gif; at most 1 MiB;
//	                          bytes must match the extension, an SVG must be
//	                          plain XML without scripts, event attributes or
//	                          external links)
//	feed.xml                  Atom (RFC 4287): what changed from scan to scan
//	.well-known/security.txt  RFC 9116, when the organisation names a security contact
//
// The page never shows a claim as holding unless the scan verified it.
// Only public controls appear. A verified control shows when it was last
// verified and by which check; an attested one shows who attested it and
// when it was reviewed; a contradicted one is shown "Under review" (or
// hidden, if the control asks for it) and never as holding; a waived one is
// "Under review" too, since a waiver is an internal acceptance of a gap and
// not a verification; an inconclusive one is "Not verified in the latest
// scan"; a not-applicable one is "Not checked". Findings — observed values,
// targets, evidence — never reach the public page.
//
// security.txt (RFC 9116, section 2.5) carries the Contact field (mailto:
// or https: only), Expires 180 days after generation (section 2.5.5
// recommends less than a year), and Canonical (section 2.5.2) when the
// site's https:// base URL is known.
//
// Given the reports of earlier scans (Options.History, oldest first), a
// verified control also says since when it has been verified in every
// scan without a break (and with the same statement), and feed.xml gets one
// entry per change of the public page between consecutive scans: a claim
// added, withdrawn, no longer verified, verified again, or otherwise
// changed. The feed says no more than the page may: a control now hidden
// or internal appears in none of its entries. Entry ids are name-based
// urn:uuid values (RFC 4287 section 4.2.6 wants them permanent), so a
// rebuilt feed keeps them.
//
// Build writes the new site into a temporary directory beside the target
// and swaps it in only when it is complete, so a failed build never
// destroys the site already published.
package site
