// Package httpscan observes what a web target says over HTTP: where plain
// http:// sends a visitor, and what the https:// origin answers, with its
// Strict-Transport-Security header and the cookies it sets. It observes and
// never judges: whether a missing redirect or a short max-age is a gap is
// for the checks to say.
//
// # The redirect chain
//
// A visitor who types the bare host name arrives over plain HTTP, port 80.
// The server is expected to answer with a redirect (301, 302, 303, 307 or
// 308 with a Location field, RFC 9110 §15.4) to https:// on the same host,
// and only then to anywhere else: a browser learns a host's HSTS policy
// only from a response over HTTPS on that host (RFC 6797 §8.1, §7.2), so a
// first hop to another host means the policy of the typed host is never
// seen.
//
// The scanner follows that chain by hand, one request per hop, so that
// every hop is recorded as it was seen (status, Location, headers, and the
// request and response heads as evidence). It follows a hop only while the
// Location stays on the target's host (any port, either scheme); a hop that
// leaves the host is recorded (LeavesHost says where it went) but not
// requested, because that host is not the target (when it leaves over
// plain http://, where the chain ends is then not observed:
// UpgradesToHTTPS is Unknown). It stops at the first response that is not a redirect, at a
// Location it has already requested (a loop), or after Options.MaxRedirects
// redirects. UpgradesToHTTPS says whether the chain ends on https://, and
// SameHostFirst whether its first hop goes to https:// on the same host.
// A loop sets RedirectLoop as well as RedirectMissing. When the first
// request gets no answer (nothing listens on port 80, or it is silent) the
// chain is not observed: RedirectMissing says why and both are Unknown,
// never No. A server error or rate limit (5xx, 429) is no answer either:
// that response is kept as evidence, not as a hop, and RedirectMissing
// says so; the HTTPS response, a scope page and security.txt are likewise
// not observed (HTTPSMissing, HTTPPage.Missing, SecurityTxt.Missing) when
// they answer 5xx or 429.
//
// Every https:// response of the chain carries its parsed HSTS header
// (HTTPHop.HSTS). The first one, when the first redirect goes to https://
// on the same host, is where a browser that typed the bare name learns
// the policy; the browsers' preload list requires a preloadable header
// there (hstspreload.org), and the checks judge it.
//
// Where plain HTTP starts is Options.PlainHTTP: by default http://host/
// (port 80); a deployment that serves HTTP elsewhere (a test, the demo)
// says so there.
//
// # The HTTPS response and HSTS
//
// The target's https:// URL itself is fetched once, without following
// redirects. Its Strict-Transport-Security header is parsed strictly by the
// grammar of RFC 6797 §6.1 (see ParseHSTS); the header is taken only from
// this response, since a user agent ignores it over plain HTTP (RFC 6797
// §8.1), and when a response carries several such fields only the first
// counts (RFC 6797 §8.1) and the observation notes the others. A
// certificate the RootCAs do not trust is the TLS scanner's finding, not
// this one's: the request is repeated once without verification, so the
// headers are still observed, and an evidence note says so.
//
// # Cookies
//
// Every Set-Cookie field of every hop and of the HTTPS response is parsed
// with net/http.ParseSetCookie (RFC 6265 §4.1) and recorded with its
// Secure, HttpOnly, SameSite, Domain and Path attributes and the raw field.
// A field the parser rejects, which a browser ignores too, is named in an
// evidence note and not recorded as a cookie. Expires and Max-Age are
// recorded, and each cookie carries issue codes for what a browser makes
// of its attributes: a __Host- cookie needs Secure, Path=/ and no Domain,
// a __Secure- cookie needs Secure, both from an https:// response (RFC
// 6265bis §4.1.3, prefixes matched case-insensitively); a Secure cookie
// from plain HTTP is ignored; a Domain that names a parent of the host
// shares the cookie with every sibling, one that does not domain-match
// the host is rejected (RFC 6265 §5.3); a lifetime beyond 400 days is
// capped (RFC 6265bis §5.5).
//
// # Pages the scope names
//
// A session cookie is often set only by a login page, not by the site's
// root. Options.Pages names further URLs of a target (trust.yaml's
// scope.pages); each is fetched once, after the HTTPS origin answered, at
// most Options.MaxPages per target (the rest are recorded as not scanned),
// following at most three redirects that stay on https:// on the target's
// origin. Their responses are recorded in HTTPObservation.Pages and their
// Set-Cookie fields among the cookies, each with the URL of the response
// that set it. A page on another origin, or not https://, is not fetched.
//
// # Security headers
//
// The HTTPS response's Content-Security-Policy fields are parsed, each
// comma-separated policy on its own (W3C CSP Level 3 §2.2, see ParseCSP),
// and flagged for 'unsafe-inline' (unless a nonce, hash or
// 'strict-dynamic' cancels it), 'unsafe-eval', wildcard script or object
// sources, and a missing default-src or frame-ancestors. X-Content-Type-
// Options (nosniff), X-Frame-Options (DENY or SAMEORIGIN, RFC 7034),
// Referrer-Policy, Permissions-Policy and the Cross-Origin-*-Policy
// headers are recorded, and Server, X-Powered-By and their kin when they
// name a software version.
//
// # security.txt
//
// After the HTTPS origin has answered, https://host/.well-known/security.txt
// (RFC 9116 §3) is fetched once, following at most three redirects that
// stay on https:// on the target's host. The file (at most 64 KiB; a larger
// one is recorded as too_large) is kept as evidence and parsed by
// ParseSecurityTxt: fields, an OpenPGP cleartext signature frame (RFC 4880
// §7, not verified), and issue codes. A redirect to https:// on another
// host (RFC 9116 §3 allows it) is not followed and leaves the file not
// observed; any other status than 200 (5xx and 429 aside) is
// http.securitytxt.missing; a Content-Type other than text/plain is
// http.securitytxt.not_text_plain. An origin that did not answer is not
// asked: the file is then not observed, for the same reason.
//
// # Bounds
//
// Every request carries a deadline of Options.Timeout within ctx; response
// heads are limited to 64 KiB (a larger head is recorded as too_large);
// at most 64 KiB of each body is read and the rest discarded unread; no
// connection is reused, no proxy from the environment is used, and no
// compression is requested, so the heads recorded are what the server
// sent. Requests speak HTTP/1.1.
package httpscan
