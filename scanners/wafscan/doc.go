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
//
// # Per-host budget
//
// --per-host N promises at most N connections open to one host at once,
// whichever scanner opens them. The engine is another process, so it
// cannot take a slot per connection from the scan's netlimit.Limiter;
// instead it gets a share, EngineShare(N) = N/2 (at least 2, at most N), as
// Job.PerHost, and while it runs the scanner holds that many slots of
// every address its targets resolve to (IP literals as written, names
// through Options.Resolver, the resolver the engine is given too), so
// that vouch's own scanners have N - share left for that host. The slots
// are taken before the engine starts and given back when it exits; all
// of one run's slots are taken, address by address in order, before
// another run takes any, and the wait ends with the scan's deadline (the
// observation is then Missing). With --per-host 2 or 3 the share is two
// slots; with --per-host 1 it is the whole budget, and the engine's one
// request in flight may, for the moment Go takes to close a finished
// connection, overlap the next one's: 2 connections, the one exception
// to the budget. The other scanners wait for the engine, and it for them.
// A server that ignores "Connection: close" and waits for the client to
// hang up may, under load, see one connection more than the share for
// such a moment (TestPerHostStubbornServer measures it with strace).
//
// Inside the engine (package engine) at most PerHost connections are open
// to one host: nuclei runs at most PerHost/2 requests at once across all
// targets (templates at once × targets at once per template; no payload
// concurrency), and every request has a connection of its own that is
// closed after the response — our templates and the user's (rewritten
// before they run) say "Connection: close", for which nuclei keeps no
// connection alive — so no connection waits idle in a keep-alive pool.
// Half, because Go's HTTP client closes a finished connection from
// another goroutine a moment after the response is read, so the next
// request's connection may open before the last one is closed. User
// templates with "unsafe: true" are refused: nuclei's raw client leaves a
// connection open when a response is late or cut.
//
// The addresses are resolved by vouch and again by the engine: a name
// whose answer changes between the two (round-robin DNS) may have the
// engine connect to an address vouch holds no slot for.
//
// # One target does not hold up another
//
// One engine process (nuclei started once) serves every web target, but
// each target runs in a nuclei execution of its own, bounded by
// Options.TargetTimeout (Job.TargetTimeoutSeconds) from when it starts,
// and the engine writes a target's result as one JSON line as soon as it
// is done; the Scanner hands it to that target's Scan at once. A target
// that accepts and never answers (a tarpit) ends as a timeout (Missing,
// never a pass) while the others are observed. The executions run side by
// side, as many as the engine's requests in flight allow (PerHost/2, its
// templates one at a time), so a tarpit takes one of them; with one
// (--per-host 2 or 3) targets run one after the other and a tarpit
// delays those queued behind it by its TargetTimeout.
package wafscan
