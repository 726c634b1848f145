package wafscan

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Options configure a Scanner.
type Options struct {
	// Dialer opens every connection; nil means a zero net.Dialer. Its
	// Resolver is how host names resolve (nil: net.DefaultResolver).
	Dialer *net.Dialer
	// RootCAs verify server certificates; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds each request; 0 means 10 s.
	Timeout time.Duration
	// UserAgent is sent with every request; empty means
	// "vouch/dev (+security posture scan)".
	UserAgent string
	// Passive reports whether active probing is off for t: then one GET
	// is sent and only fingerprints are recorded. nil means probing is on
	// for every target.
	Passive func(t posture.Target) bool
	// Now is the clock for observation times; nil means time.Now.
	Now func() time.Time
}

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "vouch/dev (+security posture scan)"

// BaselineQuery is the q value of the baseline request.
const BaselineQuery = "vouch-baseline"

// probes are the attack-shaped query values, in the order they are sent.
// They are harmless: nothing in them acts on a server that does not
// interpret them, and each is sent URL-encoded as the one query parameter.
var probes = []struct{ name, value string }{
	{"xss", "<script>alert(1)</script>"},
	{"sqli", "' OR '1'='1"},
	{"traversal", "../../etc/passwd"},
}

// Scanner observes WAF presence and vendor for web targets.
type Scanner struct {
	dialer    *net.Dialer
	roots     *x509.CertPool
	timeout   time.Duration
	userAgent string
	passive   func(posture.Target) bool
	now       func() time.Time
}

// New returns a Scanner.
func New(o Options) *Scanner {
	s := &Scanner{dialer: o.Dialer, roots: o.RootCAs, timeout: o.Timeout, userAgent: o.UserAgent, passive: o.Passive, now: o.Now}
	if s.dialer == nil {
		s.dialer = &net.Dialer{}
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	if s.userAgent == "" {
		s.userAgent = DefaultUserAgent
	}
	if s.passive == nil {
		s.passive = func(posture.Target) bool { return false }
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Name returns "waf".
func (s *Scanner) Name() string { return "waf" }

// Accepts reports whether k is a web target.
func (s *Scanner) Accepts(k posture.TargetKind) bool { return k == posture.TargetWeb }

// Scan observes t and returns one WAFObservation.
func (s *Scanner) Scan(ctx context.Context, t posture.Target) posture.Snapshot {
	obs := posture.WAFObservation{
		Observation: posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC()},
		URL:         t.Address,
		Present:     posture.Unknown,
		Active:      !s.passive(t),
	}
	sc := &scan{Scanner: s, obs: &obs, idPrefix: "waf/" + t.Address, vendorHits: map[string]int{}}
	u, err := url.Parse(t.Address)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		obs.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: "wafscan: target address " + t.Address + " is not an http(s) URL"}
		return sc.finish()
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Fragment = ""

	if !obs.Active {
		ex, m := sc.exchange(ctx, u, "/passive", "Passive fingerprint request")
		if m != nil {
			obs.Missing = m
			return sc.finish()
		}
		obs.Source = ex.remote
		sc.fingerprint(ex)
		sc.signal("passive: active probing is off for this target; presence not tested")
		return sc.finish()
	}

	base, m := sc.exchange(ctx, withQuery(u, BaselineQuery), "/baseline", "Baseline request")
	if m != nil {
		obs.Missing = m
		return sc.finish()
	}
	obs.Source = base.remote
	sc.fingerprint(base)
	if !comparable(base.status) {
		sc.signal(fmt.Sprintf("undecided: baseline answered %d; with nothing to compare against, no probe was sent", base.status))
		return sc.finish()
	}
	undecided := false
	for i, p := range probes {
		what := fmt.Sprintf("probe %d (%s)", i+1, p.name)
		ex, m := sc.exchange(ctx, withQuery(u, p.value), fmt.Sprintf("/probe%d", i+1), "Active probe "+p.name)
		if m != nil {
			undecided = true
			sc.signal(fmt.Sprintf("undecided: %s got no response (%s)", what, m.Reason))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		sc.fingerprint(ex)
		if why := blocked(sc, ex, base); why != "" {
			obs.Present = posture.Yes
			sc.signal(fmt.Sprintf("blocked: %s %s; baseline answered %d", what, why, base.status))
			return sc.finish()
		}
		if ex.status/100 != base.status/100 {
			undecided = true
			sc.signal(fmt.Sprintf("undecided: %s answered %d, baseline %d: not a recognised block", what, ex.status, base.status))
			continue
		}
		sc.signal(fmt.Sprintf("not blocked: %s answered %d like the baseline (%d)", what, ex.status, base.status))
	}
	if !undecided {
		obs.Present = posture.No
	}
	return sc.finish()
}

// comparable reports whether a baseline status is one probes can be
// compared with: the site answered normally.
func comparable(status int) bool {
	return (200 <= status && status < 400) || status == 404
}

// withQuery returns u with its query replaced by q=value.
func withQuery(u *url.URL, value string) *url.URL {
	c := *u
	c.RawQuery = url.Values{"q": {value}}.Encode()
	return &c
}

// scan is the state of one Scan call.
type scan struct {
	*Scanner
	obs        *posture.WAFObservation
	idPrefix   string
	insecure   bool
	notes      []string
	vendorHits map[string]int
}

func (sc *scan) note(s string) { sc.notes = append(sc.notes, s) }

// signal records s once.
func (sc *scan) signal(s string) {
	for _, x := range sc.obs.Signals {
		if x == s {
			return
		}
	}
	sc.obs.Signals = append(sc.obs.Signals, s)
}

// finish picks the vendor, adds the notes and returns the snapshot.
func (sc *scan) finish() posture.Snapshot {
	best := 0
	for _, v := range vendors {
		if n := sc.vendorHits[v]; n > best {
			best, sc.obs.Vendor = n, v
		}
	}
	if sc.obs.Source == "" {
		sc.obs.Source = sc.obs.Target.HostPort()
	}
	if len(sc.notes) > 0 {
		sc.obs.Evidence = append(sc.obs.Evidence, posture.Evidence{
			ID:    sc.idPrefix + "/notes",
			Kind:  posture.EvidenceText,
			Label: "Scanner notes",
			Data:  strings.Join(sc.notes, "\n") + "\n",
		})
	}
	return posture.Snapshot{WAF: []posture.WAFObservation{*sc.obs}}
}
