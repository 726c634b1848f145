package dnsscan

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

const (
	mtastsPolicyPath              = "/.well-known/mta-sts.txt"
	mtastsMaxAgeLimit             = 31557600
	DefaultPolicyTimeout          = 10 * time.Second
	maxPolicyBytes                = 64 << 10
	mtastsPolicyEvidencePrefix    = "https/"
	mtastsPolicyEvidenceSuffix    = "/mta-sts-policy"
	mtastsPolicyTLSMinimumVersion = tls.VersionTLS12
)

// MTASTSPolicyFile is a parsed MTA-STS policy (RFC 8461 §3.2):
//
//	sts-policy-record = sts-policy-field *WSP *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
//	sts-policy-field  = version / mode / max_age / mx / extension, each "key:" *WSP value
//	sts-policy-term   = LF / CRLF
type MTASTSPolicyFile struct {
	Version string
	Mode    string
	MaxAge  int
	MX      []string
	Issues  []posture.Code
}

// Valid reports whether senders can use the policy: the duplicate-field
// issue does not count (senders use the first value).
func (p MTASTSPolicyFile) Valid() bool {
	for _, i := range p.Issues {
		if i != posture.CodeMTASTSPolicyDuplicate {
			return false
		}
	}
	return true
}

// ParseMTASTSPolicy parses a policy file. Keys and the values of version
// and mode are case-sensitive; lines end in LF or CRLF.
func ParseMTASTSPolicy(text string) MTASTSPolicyFile {
	var p MTASTSPolicyFile
	issue := func(c posture.Code) { p.Issues = appendOnce(p.Issues, c) }
	seen := map[string]bool{}
	var haveVersion, haveMode, haveMaxAge bool
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			// Empty lines: only a final terminator is allowed.
			if i < len(lines)-1 {
				issue(posture.CodeMTASTSPolicySyntax)
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		value = strings.Trim(value, " \t")
		if !ok || !validSTSName(key) || value == "" {
			issue(posture.CodeMTASTSPolicySyntax)
			continue
		}
		if key != "mx" && seen[key] {
			issue(posture.CodeMTASTSPolicyDuplicate)
			continue
		}
		seen[key] = true
		switch key {
		case "version":
			haveVersion = true
			p.Version = value
			if value != "STSv1" {
				issue(posture.CodeMTASTSPolicyVersion)
			}
		case "mode":
			haveMode = true
			switch value {
			case "enforce", "testing", "none":
				p.Mode = value
			default:
				issue(posture.CodeMTASTSPolicyMode)
			}
		case "max_age":
			haveMaxAge = true
			n, err := strconv.Atoi(value)
			if len(value) > 10 || !allDigits(value) || err != nil || n > mtastsMaxAgeLimit {
				issue(posture.CodeMTASTSPolicyMaxAge)
			} else {
				p.MaxAge = n
			}
		case "mx":
			if !validMXPattern(value) {
				issue(posture.CodeMTASTSPolicySyntax)
				continue
			}
			p.MX = append(p.MX, strings.ToLower(strings.TrimSuffix(value, ".")))
		default:
			// An extension: ignored by senders.
		}
	}
	if !haveVersion {
		issue(posture.CodeMTASTSPolicyVersion)
	}
	if !haveMode {
		issue(posture.CodeMTASTSPolicyMode)
	}
	if !haveMaxAge {
		issue(posture.CodeMTASTSPolicyMaxAge)
	}
	if len(p.MX) == 0 && p.Mode != "none" {
		issue(posture.CodeMTASTSPolicyNoMX)
	}
	return p
}

// validMXPattern: ["*."] Domain.
func validMXPattern(v string) bool {
	d := strings.TrimPrefix(v, "*.")
	d = strings.TrimSuffix(d, ".")
	return d != "" && isMailDomain(d) && strings.Contains(d, ".")
}

// MatchMXPattern reports whether the MX host matches pattern (RFC 8461
// §4.1): exactly, or, for "*.<domain>", in its one left-most label.
func MatchMXPattern(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		label, parent, ok := strings.Cut(host, ".")
		return ok && label != "" && parent == rest
	}
	return pattern == host
}

// policyFetcher fetches MTA-STS policies over HTTPS.
type policyFetcher struct {
	dial      func(ctx context.Context, network, addr string) (net.Conn, error)
	roots     *x509.CertPool
	timeout   time.Duration
	userAgent string
}

// fetch resolves mta-sts.<domain> through the session and fetches its
// policy from the first address that takes a connection. It returns the
// policy and the evidence IDs of its lookups; the fetch itself becomes
// one piece of HTTP evidence, returned apart. It needs no MX hosts: it
// starts as soon as the TXT record announces a policy, and matchMX
// compares the hosts when both are in.
func (f *policyFetcher) fetch(ctx context.Context, sess *session, domain string) (p *posture.MTASTSPolicy, ids []string, ev posture.Evidence) {
	host := "mta-sts." + domain
	p = &posture.MTASTSPolicy{URL: "https://" + host + mtastsPolicyPath, Found: posture.Unknown}
	ev = posture.Evidence{ID: mtastsPolicyEvidencePrefix + domain + mtastsPolicyEvidenceSuffix, Kind: posture.EvidenceHTTP, Label: "GET " + p.URL}
	p.Evidence = ev.ID
	var data strings.Builder
	defer func() { ev.Data = data.String() }()
	fmt.Fprintf(&data, "GET %s\n", p.URL)

	var failed *posture.Missing
	absent := 0
	var lks [2]posture.Lookup
	netlimit.Parallel(0, func() { lks[0] = sess.lookup(ctx, host, dns.TypeA) }, func() { lks[1] = sess.lookup(ctx, host, dns.TypeAAAA) })
	for _, lk := range lks {
		ids = append(ids, lk.Evidence)
		switch {
		case lk.Missing != nil:
			failed = lk.Missing
		case lk.Found == posture.Yes:
			for _, v := range lk.Values {
				if ip := net.ParseIP(strings.TrimSpace(v)); ip != nil {
					p.Addresses = append(p.Addresses, ip.String())
				}
			}
		default:
			absent++
		}
	}
	if len(p.Addresses) == 0 {
		if absent == 2 {
			p.Found = posture.No
			p.Issues = []posture.Code{posture.CodeMTASTSPolicyHostMissing}
			fmt.Fprintf(&data, ";; %s has no A or AAAA record\n", host)
		} else {
			p.Missing = failed
			if p.Missing == nil {
				p.Missing = &posture.Missing{Reason: posture.ReasonProtocolError, Detail: "dnsscan: " + host + ": no usable address in the answers"}
			}
			fmt.Fprintf(&data, ";; %s: no address (%s)\n", host, p.Missing.Error())
		}
		return p, ids, ev
	}

	// The fetch's timeout starts when its connection holds its slot of
	// the per-host budget (netlimit.WithOnSlot, called by the scan's
	// limited dialer), not while it waits behind other scanners'
	// connections to the same host; at the latest once dialled.
	ctx, start, expired, stop := netlimit.SlotTimeout(netlimit.WithPriority(ctx, netlimit.PriorityShort), f.timeout)
	defer stop()
	missingFor := func(err error) *posture.Missing {
		if expired() {
			return &posture.Missing{Reason: posture.ReasonTimeout, Detail: fmt.Sprintf("dnsscan: %s: no answer within %s: %v", p.URL, f.timeout, err)}
		}
		return posture.MissingFor(ctx, err)
	}
	dial := f.dial
	if dial == nil {
		d := &net.Dialer{Timeout: f.timeout}
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			start()
			return d.DialContext(ctx, network, addr)
		}
	}
	var connected string
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var last error
			defer start()
			for _, ip := range p.Addresses {
				c, err := dial(ctx, "tcp", net.JoinHostPort(ip, "443"))
				if err == nil {
					connected = ip
					return c, nil
				}
				last = err
			}
			return nil, last
		},
		TLSClientConfig:        &tls.Config{ServerName: host, RootCAs: f.roots, MinVersion: mtastsPolicyTLSMinimumVersion},
		DisableKeepAlives:      true,
		TLSHandshakeTimeout:    f.timeout,
		MaxResponseHeaderBytes: 16 << 10,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		// RFC 8461 §3.3: redirects must not be followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL, nil)
	if err != nil {
		p.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: err.Error()}
		return p, ids, ev
	}
	if f.userAgent != "" {
		req.Header.Set("User-Agent", f.userAgent)
	}
	resp, err := client.Do(req)
	p.Address = connected
	if err != nil {
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			// Observed: senders must not use a policy served with a
			// certificate that does not validate (§3.3).
			p.Found = posture.No
			p.TLSError = cv.Error()
			p.Issues = []posture.Code{posture.CodeMTASTSPolicyTLS}
		} else {
			p.Missing = missingFor(err)
		}
		fmt.Fprintf(&data, ";; via %s\n;; error: %v\n", or(connected, strings.Join(p.Addresses, ",")), err)
		return p, ids, ev
	}
	defer resp.Body.Close()
	fmt.Fprintf(&data, ";; via %s\n%s %s\n", connected, resp.Proto, resp.Status)
	for _, k := range []string{"Content-Type", "Content-Length", "Location", "Cache-Control"} {
		if v := resp.Header.Get(k); v != "" {
			fmt.Fprintf(&data, "%s: %s\n", k, v)
		}
	}
	p.Status = resp.StatusCode
	p.ContentType = resp.Header.Get("Content-Type")
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		// A server error or a rate limit is a failed fetch, not an
		// answer that there is no policy: senders keep a cached policy
		// through it (§3.3, §5.1).
		p.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("dnsscan: %s answered HTTP %d", p.URL, resp.StatusCode)}
		return p, ids, ev
	}
	if resp.StatusCode != http.StatusOK {
		p.Found = posture.No
		p.Issues = []posture.Code{posture.CodeMTASTSPolicyHTTPStatus}
		return p, ids, ev
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPolicyBytes+1))
	if err != nil {
		p.Missing = missingFor(err)
		return p, ids, ev
	}
	if len(body) > maxPolicyBytes {
		p.Missing = &posture.Missing{Reason: posture.ReasonTooLarge, Detail: fmt.Sprintf("dnsscan: %s: policy larger than %d bytes", p.URL, maxPolicyBytes)}
		return p, ids, ev
	}
	p.Found = posture.Yes
	p.Body = strings.ToValidUTF8(string(body), "\uFFFD")
	fmt.Fprintf(&data, "\n%s", p.Body)

	pf := ParseMTASTSPolicy(p.Body)
	p.Valid, p.Version, p.Mode, p.MaxAge, p.MX = pf.Valid(), pf.Version, pf.Mode, pf.MaxAge, pf.MX
	p.Issues = append(p.Issues, pf.Issues...)
	if mt, _, err := mime.ParseMediaType(p.ContentType); err != nil || mt != "text/plain" {
		p.Issues = appendOnce(p.Issues, posture.CodeMTASTSPolicyContentType)
	}
	return p, ids, ev
}

// matchMX lists the MX hosts that the policy p, when one was read,
// does not match (RFC 8461 §4.1).
func matchMX(p *posture.MTASTSPolicy, mx []string) {
	if p.Mode != "none" && len(p.MX) > 0 {
		for _, h := range mx {
			if h == "." {
				continue
			}
			matched := false
			for _, pat := range p.MX {
				if MatchMXPattern(pat, h) {
					matched = true
					break
				}
			}
			if !matched {
				p.UnmatchedMX = append(p.UnmatchedMX, h)
			}
		}
		if len(p.UnmatchedMX) > 0 {
			p.Issues = appendOnce(p.Issues, posture.CodeMTASTSPolicyMXUnmatched)
		}
	}
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
