// Package tlsscan observes the TLS endpoints of web targets: which
// protocol versions they speak, what a default client negotiates, and the
// certificate chain they serve. It observes and never judges: whether
// TLS 1.0 being offered is a gap is for the checks to say.
//
// # Version negotiation
//
// A TLS client opens with a ClientHello and the server answers with a
// ServerHello that fixes the version and the cipher suite (RFC 5246
// §7.4.1, RFC 8446 §4.1). Up to TLS 1.2 the hello carries one version,
// the highest the client speaks, in its client_version field, and the
// server picks the highest version it shares that is not above it; SSLv3
// (RFC 6101 §5.6.1) works the same way. TLS 1.3 freezes that field at
// 0x0303 and lists the versions in the supported_versions extension
// instead (RFC 8446 §4.2.1); a server that speaks TLS 1.3 says so in the
// same extension of its ServerHello, or of a HelloRetryRequest, which is
// a ServerHello whose random is the fixed SHA-256 of "HelloRetryRequest"
// (RFC 8446 §4.1.3) sent when the client's key share is for a group the
// server does not want.
//
// So to learn whether a server speaks version V, tlsscan sends one hello
// that offers V alone, with a broad list of the suites defined for V, and
// reads the answer: a ServerHello for V means yes; a handshake_failure or
// protocol_version alert, a ServerHello for another version, or a closed
// connection means no; no answer, a refused connection or bytes that are
// not TLS mean it could not tell, and the observation says why (Missing).
// Version probes never send TLS_FALLBACK_SCSV (RFC 7507), which would
// make a server that speaks a newer version refuse an older one it does
// speak.
//
// # Why hand-built hellos
//
// Go's crypto/tls cannot send an SSLv3 hello, offers only the suites it
// implements (no DHE, Camellia, ARIA, NULL or export suites), and does
// not let a client choose its TLS 1.3 suites; zcrypto speaks SSLv3 to
// TLS 1.2 but not TLS 1.3. A hello written byte by byte can offer any
// version, any suite and any group, and only the ServerHello needs to be
// read, never a whole handshake.
//
// # Cipher suites and the server's order
//
// The server picks one suite of those offered (RFC 5246 §7.4.1.3, RFC
// 8446 §4.1.3; a HelloRetryRequest names it too). The version probe for V
// offers every suite defined for V, so its answer is the first accepted
// suite; the same hello is sent again with that suite taken out, until
// the server refuses: n accepted suites cost n+1 hellos, the version
// probe included, not one per known suite. Then the accepted suites are
// offered once in reverse: a server that picks the same first suite
// enforces its own order (ServerOrder yes, and Accepted is that order);
// one that picks the other end follows the client's (no); anything else,
// or fewer than two suites, leaves it unknown. A server that names a
// suite it was not offered, or stops answering, ends the enumeration,
// whose record then says why it is incomplete (Missing).
//
// An internal_error alert is read as a refusal of the version probed when
// the endpoint accepted another version: OpenSSL 3 answers TLS 1.0 and
// 1.1 hellos it cannot sign for this way.
//
// Enumeration steps after the TLS 1.3 version probe send no key share
// (RFC 8446 §4.2.8): the server answers with a HelloRetryRequest, which
// names the suite without the key exchange and signature of a full first
// flight.
//
// # Key exchange, downgrades and renegotiation
//
// Key-exchange groups are enumerated the same way, per protocol (extras.go):
// TLS 1.3 hellos offer every group, the post-quantum hybrid
// X25519MLKEM768 first, with an empty key_share, so the HelloRetryRequest
// names the group the server wants; TLS 1.2 (or the newest older version
// with ECDHE suites) offers the accepted ECDHE suites and reads the curve
// from the ServerKeyExchange. n groups cost n+1 hellos and one more for
// the order. Under TLS 1.2 an ECDHE_ECDSA suite needs the certificate's
// curve among the client's groups, so when only those suites are accepted
// that curve stays in every offer, last (the full handshake, done first,
// says which it is): a server that follows the client's order names every
// other curve first; one with its own order may hide the curves it ranks
// below the certificate's, and the record says so (Missing).
//
// Hellos of TLS 1.2 and older read on past a ServerHello that chose an
// (EC)DHE suite to the ServerKeyExchange of the same flight: its prime
// gives the DH size (DHBits, the smallest seen) at no extra connection.
// The same hellos carry renegotiation_info (SSLv3: its SCSV), so a
// ServerHello without the extension means no RFC 5746 support
// (SecureRenegotiation). When two or more versions are accepted, one hello
// for the second-newest with TLS_FALLBACK_SCSV tells whether the server
// refuses downgrades with inappropriate_fallback (FallbackSCSV).
//
// One full handshake with crypto/tls (falling back to zcrypto, which
// reaches SSLv3-only servers) then records what a default client
// negotiates and the certificate chain, which is verified separately, so
// an untrusted, expired or misnamed certificate is observed, not refused.
// That handshake offers ALPN h2 and http/1.1 (ALPN records the server's
// pick), asks for an OCSP staple and for SCTs; SCTs embedded in the leaf
// and those inside a stapled OCSP response are counted too. The
// chain's order and completeness are judged by names and key identifiers
// (chain.go), so SHA-1 or expired certificates do not disturb them.
//
// Every read is bounded (records of at most 2^14+2048 bytes, 64 KiB per
// probe) and every connection carries a deadline from Options.Timeout and
// the context, so a hostile or silent server costs at most one timeout
// per connection, and a silent endpoint only one.
//
// What does not depend on an earlier answer runs at the same time
// (observe in tlsscan.go): the version probes, the full handshake, the
// TLS 1.2 hint and the TLS 1.3 groups start together, each enumeration
// as soon as what it needs is known, in chunks (removal.go). Every
// connection holds a slot of its host's budget (Options.Limiter, vouch
// --per-host, default 8) from dial to close, the longest chains first;
// the chunk counts follow the budget (suiteChunks, groupChunks). Against
// a server 50 ms away with 35 accepted (protocol, suite) pairs a scan
// costs about 21 round trips for 69 connections, where one connection
// after another cost 130 (BenchmarkScanLatency).
package tlsscan
