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
	"github.com/vouchdev/vouch/scanners/netlimit"
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
	// Limiter, when set, is the scan's per-host connection budget: every
	// connection waits for a slot of its host and holds it until closed.
	// nil means no bound beyond the fetches one Scan runs at once (the
	// redirect chain, the HTTPS root, security.txt and each page).
	Limiter *netlimit.Limiter
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
	dialIP       netlimit.DialFunc // dialer through the limiter
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
	s.dialIP = o.Limiter.Dial(s.dialer.DialContext)
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
//
// The fetches that do not depend on each other run at once, each on its
// own connections (within the per-host budget): the redirect chain, the
// HTTPS root, security.txt and each scope page. security.txt and the
// pages are recorded only when the HTTPS root answered; they are fetched
// beside it and dropped (cancelled, when still running) when it did not.
// Each fetch records into its own branch, and the branches are merged in
// the order they once ran one after the other (chain, root, security.txt,
// pages), so the observation is the same whatever finished first.
func (s *Scanner) Scan(ctx context.Context, t posture.Target) posture.Snapshot {
	sc := &scan{Scanner: s, target: t, idPrefix: "http/" + t.Address, certNote: -1}
	obs := posture.HTTPObservation{
		Observation:     posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC()},
		UpgradesToHTTPS: posture.Unknown,
		SameHostFirst:   posture.Unknown,
	}
	sc.obs = &obs

	chain, root, sectxt := sc.branch(), sc.branch(), sc.branch()
	pages := sc.planPages()
	// Speculative fetches die with the HTTPS root's failure.
	spec, cancelSpec := context.WithCancel(ctx)
	defer cancelSpec()
	tasks := []func(){
		func() { chain.followChain(ctx) },
		func() {
			root.fetchHTTPS(ctx)
			if root.obs.HTTPSMissing != nil {
				cancelSpec()
			}
		},
		func() { sectxt.fetchSecurityTxt(spec) },
	}
	for _, p := range pages {
		if p.sc != nil {
			tasks = append(tasks, func() { p.sc.fetchPage(spec, p.pg, p.u, p.base, p.n) })
		}
	}
	netlimit.Parallel(0, tasks...)

	obs.StartURL, obs.Redirects, obs.RedirectMissing = chain.obs.StartURL, chain.obs.Redirects, chain.obs.RedirectMissing
	obs.UpgradesToHTTPS, obs.SameHostFirst = chain.obs.UpgradesToHTTPS, chain.obs.SameHostFirst
	obs.LeavesHost, obs.RedirectLoop = chain.obs.LeavesHost, chain.obs.RedirectLoop
	sc.merge(chain)
	obs.Source, obs.HTTPS, obs.HTTPSMissing = root.obs.Source, root.obs.HTTPS, root.obs.HTTPSMissing
	obs.SecurityHeaders, obs.HSTS = root.obs.SecurityHeaders, root.obs.HSTS
	sc.merge(root)
	if u := sc.securityTxtURL(); u != nil && obs.HTTPSMissing != nil {
		m := *obs.HTTPSMissing
		obs.SecurityTxt = &posture.SecurityTxt{URL: u.String(), Missing: &m}
	} else {
		obs.SecurityTxt = sectxt.obs.SecurityTxt
		sc.merge(sectxt)
	}
	sc.mergePages(pages)

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

// scan is the state of one Scan call, or of one branch of it (one fetch
// run beside the others, recording into an observation of its own).
type scan struct {
	*Scanner
	target   posture.Target
	idPrefix string
	obs      *posture.HTTPObservation
	// insecure is set once a certificate of the target's host failed
	// verification: later requests skip it, so that the headers are
	// still observed.
	insecure bool
	// notes are lines for the notes evidence; certNote is the index of
	// the one that says the certificate was not trusted (-1: none).
	notes    []string
	certNote int
	// certNoted is set in the merged scan once a branch's certificate
	// note is in its notes: one run of the fetches in a row said so once.
	certNoted bool
	hops      int // exchanges recorded, for evidence IDs
}

func (sc *scan) note(s string) { sc.notes = append(sc.notes, s) }

// branch returns a scan that records into an observation of its own, for
// one fetch run beside the others; merge takes what it recorded.
func (sc *scan) branch() *scan {
	o := *sc.obs
	return &scan{Scanner: sc.Scanner, target: sc.target, idPrefix: sc.idPrefix, obs: &o, certNote: -1}
}

// merge appends the evidence, cookies and notes b recorded. Run in a row,
// only the first fetch to meet an untrusted certificate noted it (the
// later ones skipped verification): so only the first such note is kept.
func (sc *scan) merge(b *scan) {
	sc.obs.Evidence = append(sc.obs.Evidence, b.obs.Evidence...)
	sc.obs.Cookies = append(sc.obs.Cookies, b.obs.Cookies...)
	for i, n := range b.notes {
		if i == b.certNote {
			if sc.certNoted {
				continue
			}
			sc.certNoted = true
		}
		sc.notes = append(sc.notes, n)
	}
}

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
