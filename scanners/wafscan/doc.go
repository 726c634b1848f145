// Package wafscan observes whether a web application firewall stands in
// front of a web target, and whose. It observes and never judges: whether
// the absence of a WAF contradicts a claim is for the checks to say.
//
// # Passive fingerprints
//
// Most WAFs and the CDNs that carry them mark their responses: a header
// (Cloudflare's CF-RAY, Akamai's Akamai-GRN, Imperva's X-Iinfo, Sucuri's
// X-Sucuri-ID, Azure Front Door's X-Azure-Ref, CloudFront's X-Amz-Cf-Id,
// Fastly's X-Served-By: cache-...), a Server value (cloudflare, awselb,
// AkamaiGHost, BigIP) or a cookie (__cf_bm, incap_ses_*, BIGipServer*,
// TS01*). Every response is matched against these marks; each mark that
// matches is a signal, and the vendor is the one with most signals. A
// vendor mark says who carries the traffic, not that its firewall is on.
//
// # Active probing
//
// Whether a firewall acts is seen by asking: one baseline GET of the
// target with a harmless query (q=vouch-baseline), then up to three GETs
// whose q holds an attack-shaped but harmless value (a script tag, an
// SQL tautology, a path traversal), sent one at a time and stopped at the
// first that is blocked. A probe is blocked when it gets 403, 406, 429 or
// 501 (RFC 9110 §15.5.4, §15.5.7, RFC 6585 §4, RFC 9110 §15.6.2) while the
// baseline got 2xx, 3xx or 404, or when its body is a block page the
// baseline's is not. Present is then Yes; it is No when every probe got a
// response of the baseline's class (2xx, 3xx, 4xx); otherwise (a probe
// unanswered, or answered 500) it is Unknown, and Signals say why. When
// the baseline itself gets no response the observation is Missing (refused,
// timeout, ...), and when it is not 2xx, 3xx or 404 there is nothing to
// compare with: no probe is sent and Present is Unknown.
//
// Every request says it is vouch (Options.UserAgent), every exchange is
// recorded as a hop with its heads as evidence, and Options.Passive turns
// probing off per target: then exactly one GET of the target is sent, its
// fingerprints recorded, and Present stays Unknown.
//
// # Bounds
//
// Every request carries a deadline of Options.Timeout within ctx; response
// heads are limited to 64 KiB and at most 64 KiB of a body is read;
// redirects are not followed; no connection is reused and no proxy from
// the environment is used. A certificate the RootCAs do not trust is the
// TLS scanner's finding: the request is repeated without verification and
// an evidence note says so.
package wafscan
