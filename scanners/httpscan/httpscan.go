package httpscan

import (
	"context"
	"crypto/x509"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Options configure a Scanner.
type Options struct {
	// Dialer opens every connection; nil means a zero net.Dialer. Without
	// a Resolver, its Resolver is how host names resolve (nil:
	// net.DefaultResolver).
	Dialer *net.Dialer
	// Resolver, when set, looks up the addresses of every host asked (the
	// scan's one resolver, shared with the other scanners), and the
	// Dialer is given only IP addresses.
	Resolver posture.Resolver
	// RootCAs verify server certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds each request, from dial to the last byte read; 0
	// means 10 s.
	Timeout time.Duration
	// UserAgent is sent with every request; empty means
	// "vouch/dev (+security posture scan)".
	UserAgent string
	// MaxRedirects is how many redirects of the plain-HTTP chain are
	// followed; 0 means 10.
	MaxRedirects int
	// Now is the clock for observation times; nil means time.Now.
	Now func() time.Time
	// PlainHTTP returns the URL where the plain-HTTP redirect chain of t
	// starts. nil means http://host/ (port 80) for every target. An empty
	// result means t has no plain-HTTP origin to look at: the chain is
	// recorded as not scanned.
	PlainHTTP func(t posture.Target) string
	// Pages returns further URLs of t that are fetched for the cookies
	// and headers they send (the scope's pages: a login page). Only
	// https:// URLs on the target's host and port are fetched. nil means
	// none.
	Pages func(t posture.Target) []string
	// MaxPages bounds how many pages are fetched per target; the rest
	// are recorded as not scanned. 0 means DefaultMaxPages.
	MaxPages int
}

// DefaultMaxPages is how many pages of a target are fetched when
// Options.MaxPages is 0.
const DefaultMaxPages = 5

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "vouch/dev (+security posture scan)"

// Scanner observes the redirect chain, HSTS and cookies of web targets.
type Scanner struct {
	dialer       *net.Dialer
	resolver     posture.Resolver
	roots        *x509.CertPool
	timeout      time.Duration
	userAgent    string
	maxRedirects int
	now          func() time.Time
	plainHTTP    func(posture.Target) string
	pages        func(posture.Target) []string
	maxPages     int
}

// New returns a Scanner.
func New(o Options) *Scanner {
	s := &Scanner{
		dialer:       o.Dialer,
		resolver:     o.Resolver,
		roots:        o.RootCAs,
		timeout:      o.Timeout,
		userAgent:    o.UserAgent,
		maxRedirects: o.MaxRedirects,
		now:          o.Now,
		plainHTTP:    o.PlainHTTP,
		pages:        o.Pages,
		maxPages:     o.MaxPages,
	}
	if s.maxPages <= 0 {
		s.maxPages = DefaultMaxPages
	}
	if s.dialer == nil {
		s.dialer = &net.Dialer{}
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	if s.userAgent == "" {
		s.userAgent = DefaultUserAgent
	}
	if s.maxRedirects <= 0 {
		s.maxRedirects = 10
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.plainHTTP == nil {
		s.plainHTTP = DefaultPlainHTTP
	}
	return s
}

// DefaultPlainHTTP returns http://host/ for t: plain HTTP on port 80 of
// the target's host.
func DefaultPlainHTTP(t posture.Target) string {
	host := strings.ToLower(t.Host())
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]"
	}
	return (&url.URL{Scheme: "http", Host: host, Path: "/"}).String()
}

// Name returns "http".
func (s *Scanner) Name() string { return "http" }

// Accepts reports whether k is a web target.
func (s *Scanner) Accepts(k posture.TargetKind) bool { return k == posture.TargetWeb }

// Scan observes t: the redirect chain from its plain-HTTP start URL and the
// response of its https:// URL. It returns one HTTPObservation. When
// neither could be observed, the observation's Missing says why.
func (s *Scanner) Scan(ctx context.Context, t posture.Target) posture.Snapshot {
	sc := &scan{Scanner: s, target: t, idPrefix: "http/" + t.Address}
	obs := posture.HTTPObservation{
		Observation:     posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC()},
		UpgradesToHTTPS: posture.Unknown,
		SameHostFirst:   posture.Unknown,
	}
	sc.obs = &obs

	sc.followChain(ctx)
	sc.fetchHTTPS(ctx)
	sc.fetchSecurityTxt(ctx)
	sc.fetchPages(ctx)

	if obs.Source == "" {
		obs.Source = t.HostPort()
	}
	if len(obs.Redirects) == 0 && obs.RedirectMissing != nil && obs.HTTPSMissing != nil {
		m := *obs.HTTPSMissing
		m.Detail = "httpscan: no answer over HTTPS (" + obs.HTTPSMissing.Error() + ") nor over plain HTTP (" + obs.RedirectMissing.Error() + ")"
		obs.Missing = &m
	}
	if len(sc.notes) > 0 {
		obs.Evidence = append(obs.Evidence, posture.Evidence{
			ID:    sc.idPrefix + "/notes",
			Kind:  posture.EvidenceText,
			Label: "Scanner notes",
			Data:  strings.Join(sc.notes, "\n") + "\n",
		})
	}
	return posture.Snapshot{HTTP: []posture.HTTPObservation{obs}}
}

// scan is the state of one Scan call.
type scan struct {
	*Scanner
	target   posture.Target
	idPrefix string
	obs      *posture.HTTPObservation
	// insecure is set once a certificate of the target's host failed
	// verification: later requests skip it, so that the headers are
	// still observed.
	insecure bool
	// notes are lines for the notes evidence.
	notes []string
	hops  int // exchanges recorded, for evidence IDs
}

func (sc *scan) note(s string) { sc.notes = append(sc.notes, s) }

// fetchHTTPS gets the target's https:// URL once and records the response,
// its HSTS header and its cookies.
func (sc *scan) fetchHTTPS(ctx context.Context) {
	u, err := url.Parse(sc.target.Address)
	if err != nil || u.Host == "" {
		sc.obs.HTTPSMissing = &posture.Missing{Reason: posture.ReasonError, Detail: "httpscan: target address " + sc.target.Address + " is not a URL"}
		return
	}
	if u.Scheme != "https" {
		sc.obs.HTTPSMissing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "httpscan: target address " + sc.target.Address + " is not an https:// URL"}
		return
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Fragment = ""
	ex, m := sc.exchange(ctx, u, "/https", "HTTPS response")
	if m != nil {
		sc.obs.HTTPSMissing = m
		return
	}
	sc.obs.Source = ex.remote
	sc.obs.HTTPS = &ex.hop
	sc.obs.HTTPSMissing = serverError(ex)
	sc.addCookies(ex, "")
	sc.obs.SecurityHeaders = parseSecurityHeaders(ex.header)
	if ex.hop.HSTS != nil {
		h := *ex.hop.HSTS
		h.Issues = slices.Clone(h.Issues)
		sc.obs.HSTS = &h
	}
}
