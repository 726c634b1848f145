package wafscan

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// Options configure a Scanner.
type Options struct {
	// Engine runs the templates. nil means no engine is available:
	// every observation is then Missing with EngineMissing as detail.
	Engine Engine
	// EngineMissing says why Engine is nil (shown in the verdicts).
	EngineMissing string
	// Targets are every target of the scan: Start (or the first Scan) runs
	// the engine once for all of the web ones, and each Scan reads its
	// part. A target not listed is run on its own.
	Targets []posture.Target
	// BatchTimeout bounds that one run; 0 means 10 minutes.
	BatchTimeout time.Duration
	// TargetTimeout bounds each target's work inside the engine on its
	// own (Job.TargetTimeoutSeconds, rounded up to a second), so that a
	// target that does not answer holds up no other: each target's result
	// is read as soon as the engine is done with it. 0 means none but
	// BatchTimeout.
	TargetTimeout time.Duration
	// Timeout bounds each request; 0 means 10 s.
	Timeout time.Duration
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// Resolvers are the DNS servers the engine resolves names with.
	Resolvers []string
	// Passive reports whether active probing is off for t (passive
	// fingerprints still run). nil means probing is on for every target.
	Passive func(t posture.Target) bool
	// Templates lists the user templates to run against t, as declared;
	// relative paths are read from TemplateDir.
	Templates   func(t posture.Target) []string
	TemplateDir string
	// Now is the clock for observation times; nil means time.Now.
	Now func() time.Time
	// Limiter, when set, is the scan's per-host connection budget
	// (--per-host): the engine gets EngineShare of it, and every engine
	// run holds that many slots of each of its targets' addresses while it
	// runs (see the package documentation).
	Limiter *netlimit.Limiter
	// Resolver finds those addresses; nil means net.DefaultResolver.
	Resolver posture.Resolver
}

// DefaultUserAgent is sent when Options.UserAgent is empty.
const DefaultUserAgent = "vouch/dev (+security posture scan)"

// Scanner observes WAF presence and vendor for web targets.
type Scanner struct {
	o Options

	once    sync.Once
	done    chan struct{}        // closed when the batch is over
	batched map[string]*delivery // the batch's targets, set by Start
	stats   Stats
	runErr  error
}

// New returns a Scanner.
func New(o Options) *Scanner {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = 10 * time.Minute
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Passive == nil {
		o.Passive = func(posture.Target) bool { return false }
	}
	if o.Templates == nil {
		o.Templates = func(posture.Target) []string { return nil }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	return &Scanner{o: o}
}

// Name returns "waf".
func (s *Scanner) Name() string { return "waf" }

// Accepts reports whether k is a web target.
func (s *Scanner) Accepts(k posture.TargetKind) bool { return k == posture.TargetWeb }

// Err says why the scanner could not observe at all: no engine (known at
// once), or the batch run of the engine failed (known once it is over;
// nil while it still runs). nil when it ran. Each target's observation
// says the same; Err is for one line on stderr.
func (s *Scanner) Err() error {
	if s.o.Engine == nil {
		if s.o.EngineMissing != "" {
			return errors.New(s.o.EngineMissing)
		}
		return errors.New("no WAF engine")
	}
	if s.done == nil {
		return nil
	}
	select {
	case <-s.done:
		return s.runErr
	default:
		return nil
	}
}

// Stats are the engine's timings of the batch run, once it is over.
func (s *Scanner) Stats() Stats {
	if s.done == nil {
		return Stats{}
	}
	<-s.done
	return s.stats
}

func (s *Scanner) jobTarget(t posture.Target) JobTarget {
	return JobTarget{URL: t.Address, Active: !s.o.Passive(t), Templates: s.o.Templates(t)}
}

func (s *Scanner) job(targets []posture.Target) Job {
	j := Job{UserAgent: s.o.UserAgent, TimeoutSeconds: int((s.o.Timeout + time.Second - 1) / time.Second), Resolvers: s.o.Resolvers, Dir: s.o.TemplateDir}
	if s.o.TargetTimeout > 0 {
		j.TargetTimeoutSeconds = int((s.o.TargetTimeout + time.Second - 1) / time.Second)
	}
	if s.o.Limiter != nil {
		j.PerHost = EngineShare(s.o.Limiter.PerHost())
	}
	for _, t := range targets {
		j.Targets = append(j.Targets, s.jobTarget(t))
	}
	return j
}

// Scan observes t and returns one WAFObservation.
func (s *Scanner) Scan(ctx context.Context, t posture.Target) posture.Snapshot {
	obs := posture.WAFObservation{
		Observation: posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.o.Now().UTC()},
		URL:         t.Address,
		Present:     posture.Unknown,
		Active:      !s.o.Passive(t),
	}
	if u, err := url.Parse(t.Address); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		obs.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: "wafscan: target address " + t.Address + " is not an http(s) URL"}
		return snap(obs)
	}
	if s.o.Engine == nil {
		detail := s.o.EngineMissing
		if detail == "" {
			detail = "no WAF engine"
		}
		obs.Missing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: detail}
		return snap(obs)
	}
	events, err := s.events(ctx, t)
	if err != nil {
		obs.Missing = posture.MissingFor(ctx, err)
		return snap(obs)
	}
	interpret(&obs, events, s.o.Templates(t))
	return snap(obs)
}

func snap(o posture.WAFObservation) posture.Snapshot {
	if o.Source == "" {
		o.Source = o.Target.HostPort()
	}
	return posture.Snapshot{WAF: []posture.WAFObservation{o}}
}

// delivery is one batch target's result: ready is closed when the engine
// delivered it, and events and err are set before.
type delivery struct {
	ready  chan struct{}
	once   sync.Once
	events []Event
	err    error
}

func (d *delivery) set(events []Event, err error) {
	d.once.Do(func() {
		d.events, d.err = events, err
		close(d.ready)
	})
}

// targetError is the engine's word on why a target's work did not end:
// a timeout is the target's own, never a pass.
func targetError(text string) error {
	m := posture.MissingForText(text)
	if strings.Contains(text, "timeout") || strings.Contains(text, "deadline exceeded") {
		m.Reason = posture.ReasonTimeout
	}
	return m
}

// Start runs the engine for every web target of Options.Targets in the
// background, once; Scan calls it when nobody did. Calling it before the
// other scanners run lets the engine's start-up overlap their work. The
// run is bounded by ctx and Options.BatchTimeout, not by any one
// target's deadline.
func (s *Scanner) Start(ctx context.Context) {
	s.once.Do(func() {
		s.done = make(chan struct{})
		s.batched = map[string]*delivery{}
		var web []posture.Target
		for _, x := range s.o.Targets {
			if x.Kind == posture.TargetWeb && s.batched[x.Address] == nil {
				s.batched[x.Address] = &delivery{ready: make(chan struct{})}
				web = append(web, x)
			}
		}
		if len(web) == 0 || s.o.Engine == nil {
			close(s.done)
			return
		}
		go func() {
			defer close(s.done)
			bctx, cancel := context.WithTimeout(ctx, s.o.BatchTimeout)
			defer cancel()
			// Each target's result is handed over as soon as the engine
			// says it is done, not when the whole batch is.
			onTarget := func(tr TargetResult) {
				d := s.batched[tr.Target]
				if d == nil {
					return
				}
				var err error
				if tr.Error != "" {
					err = targetError(tr.Error)
				}
				d.set(tr.Events, err)
			}
			res, err := s.run(bctx, web, onTarget)
			s.runErr, s.stats = err, res.Stats
			// Targets the engine did not hand over one by one (an engine
			// that does not stream, or a run that failed) get their part
			// of the whole result.
			byTarget := map[string][]Event{}
			for _, e := range res.Events {
				byTarget[e.Target] = append(byTarget[e.Target], e)
			}
			for addr, d := range s.batched {
				switch {
				case err != nil:
					d.set(nil, err)
				case res.Errors[addr] != "":
					d.set(nil, targetError(res.Errors[addr]))
				default:
					d.set(byTarget[addr], nil)
				}
			}
		}()
	})
}

// run runs the engine for targets, holding its share of the per-host
// budget for each of their addresses while it runs.
func (s *Scanner) run(ctx context.Context, targets []posture.Target, onTarget func(TargetResult)) (Result, error) {
	release, err := s.hold(ctx, targets)
	if err != nil {
		return Result{}, err
	}
	defer release()
	j := s.job(targets)
	j.OnTarget = onTarget
	return s.o.Engine.Run(ctx, j)
}

// holdMu makes one engine run take all its slots before another starts
// taking any: two runs each holding some slots while waiting for the
// other's would wait until their deadlines.
var holdMu sync.Mutex

// hold takes EngineShare(PerHost) slots of the Limiter for every address
// of the targets' hosts and returns the function that gives them back.
// Addresses are taken in order, under holdMu; waiting ends with ctx.
// Vouch's scanners take a slot per connection and give it back when it
// closes, never waiting for another while holding one, so the wait ends.
// A host that does not resolve holds nothing: the engine, asking the same
// resolver, cannot connect to it either.
func (s *Scanner) hold(ctx context.Context, targets []posture.Target) (release func(), err error) {
	l := s.o.Limiter
	if l == nil {
		return func() {}, nil
	}
	addrs := map[string]bool{}
	for _, t := range targets {
		host := t.Host()
		if ip := net.ParseIP(host); ip != nil {
			addrs[ip.String()] = true
			continue
		}
		var res posture.Resolver = net.DefaultResolver
		if s.o.Resolver != nil {
			res = s.o.Resolver
		}
		ips, err := res.LookupIPAddr(ctx, host)
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			continue // the engine cannot connect to it either
		case err != nil:
			// A lookup that failed here may succeed in the engine: it
			// would then connect with no slot held.
			return nil, fmt.Errorf("wafscan: resolving %s to hold the WAF engine's connection slots (--per-host): %w", host, err)
		}
		for _, ip := range ips {
			addrs[ip.IP.String()] = true
		}
	}
	share := EngineShare(l.PerHost())
	var held []func()
	release = func() {
		for _, r := range held {
			r()
		}
	}
	holdMu.Lock()
	defer holdMu.Unlock()
	for _, a := range slices.Sorted(maps.Keys(addrs)) {
		for range share {
			// Host slots only: the engine's batch holds them for long,
			// over many hosts, and must not take the global limit.
			r, err := l.AcquireHost(ctx, a)
			if err != nil {
				release()
				return nil, fmt.Errorf("wafscan: waiting for the WAF engine's connection slots for %s (--per-host): %w", a, err)
			}
			held = append(held, r)
		}
	}
	return release, nil
}

// events returns the engine's events for t: from the batch when t is one
// of Options.Targets, else from a run of its own.
func (s *Scanner) events(ctx context.Context, t posture.Target) ([]Event, error) {
	// A lazily started batch must not die with the first target's deadline.
	s.Start(context.WithoutCancel(ctx))
	d := s.batched[t.Address]
	if d == nil {
		res, err := s.run(ctx, []posture.Target{t}, nil)
		if err == nil && res.Errors[s.jobTarget(t).URL] != "" {
			err = targetError(res.Errors[s.jobTarget(t).URL])
		}
		return res.Events, err
	}
	select {
	case <-d.ready:
		return d.events, d.err
	case <-ctx.Done():
		return nil, fmt.Errorf("the WAF engine did not finish within the target's time (%w)", ctx.Err())
	}
}

// interpret turns the engine's events for one target into the observation.
func interpret(obs *posture.WAFObservation, events []Event, templates []string) {
	idp := "waf/" + obs.Target.Address
	vendorHits := map[string]int{}
	var vendors []string
	var probe []Event
	var errs []string
	for _, e := range events {
		if obs.Source == "" && e.IP != "" {
			obs.Source = net.JoinHostPort(e.IP, strconv.Itoa(obs.Target.Port()))
		}
		switch e.Kind {
		case KindFingerprint:
			if e.Error != "" {
				errs = append(errs, e.TemplateID+": "+e.Error)
				continue
			}
			if !e.Matched {
				continue
			}
			if vendorHits[e.Vendor] == 0 {
				vendors = append(vendors, e.Vendor)
			}
			vendorHits[e.Vendor]++
			what := e.Matcher
			if len(e.Extracted) > 0 {
				what += " " + strings.Join(e.Extracted, ", ")
			}
			signal(obs, fmt.Sprintf("%s: fingerprint %s", e.Vendor, strings.TrimSpace(what)))
			addEvidence(obs, idp+"/"+e.TemplateID+"/"+e.Matcher, "Fingerprint "+e.Vendor+" ("+e.Matcher+")", e)
		case KindProbe:
			probe = append(probe, e)
		}
	}
	best := 0
	for _, v := range vendors {
		if vendorHits[v] > best {
			best, obs.Vendor = vendorHits[v], v
		}
	}
	if len(vendors) > 1 {
		signal(obs, "several vendors fingerprinted: "+strings.Join(vendors, ", "))
	}

	if !obs.Active {
		signal(obs, "passive: active probing is off for this target; presence not tested")
		if len(errs) > 0 && best == 0 {
			obs.Missing = posture.MissingForText(errs[0])
		}
	} else {
		judgeProbe(obs, probe, idp)
	}
	for _, tpl := range templates {
		obs.Templates = append(obs.Templates, userMatch(obs, tpl, events, idp))
	}
}

// judgeProbe reads the active probe's events: "blocked" fired → present;
// "passed" fired → absent; neither, or an error → unknown.
func judgeProbe(obs *posture.WAFObservation, probe []Event, idp string) {
	var blocked, passed *Event
	var failed []string
	for i := range probe {
		e := &probe[i]
		switch {
		case e.Error != "":
			failed = append(failed, e.Error)
		case e.Matched && e.Matcher == "blocked":
			blocked = e
		case e.Matched && e.Matcher == "passed":
			passed = e
		}
	}
	statuses := ""
	for _, e := range probe {
		if len(e.Extracted) > 0 {
			statuses = strings.Join(e.Extracted, " ")
		}
	}
	switch {
	case blocked != nil:
		obs.Present = posture.Yes
		signal(obs, "blocked: an attack-shaped request was refused and the baseline was not ("+statuses+")")
		addEvidence(obs, idp+"/probe/blocked", "Active probe: blocked", *blocked)
	case passed != nil:
		obs.Present = posture.No
		signal(obs, "not blocked: every attack-shaped request was answered like the baseline ("+statuses+")")
		addEvidence(obs, idp+"/probe/passed", "Active probe: not blocked", *passed)
	case len(failed) > 0:
		obs.Missing = posture.MissingForText("active probe: " + failed[0])
	default:
		label := "undecided: the answers were neither a recognised block nor like the baseline"
		if statuses != "" {
			label += " (" + statuses + ")"
		}
		signal(obs, label)
	}
}

// userMatch is the outcome of one user template for the target.
func userMatch(obs *posture.WAFObservation, tpl string, events []Event, idp string) posture.TemplateMatch {
	m := posture.TemplateMatch{Template: tpl, Matched: posture.Unknown}
	ran := false
	for _, e := range events {
		if e.Kind != KindUser || e.Template != tpl {
			continue
		}
		m.ID = e.TemplateID
		switch {
		case e.Error != "":
			if m.Missing == nil {
				m.Missing = posture.MissingForText(e.Error)
			}
		case e.Matched:
			ran = true
			m.Matched = posture.Yes
			if e.Matcher != "" && !slices.Contains(m.Matchers, e.Matcher) {
				m.Matchers = append(m.Matchers, e.Matcher)
			}
			for _, x := range e.Extracted {
				if !slices.Contains(m.Extracted, x) {
					m.Extracted = append(m.Extracted, x)
				}
			}
			if m.Evidence == "" {
				m.Evidence = idp + "/template/" + e.TemplateID
				addEvidence(obs, m.Evidence, "Template "+e.TemplateID+" matched", e)
			}
		default:
			ran = true
			if m.Matched != posture.Yes {
				m.Matched = posture.No
				if m.Evidence == "" && (e.Request != "" || e.Response != "") {
					m.Evidence = idp + "/template/" + e.TemplateID
					addEvidence(obs, m.Evidence, "Template "+e.TemplateID+" did not match", e)
				}
			}
		}
	}
	if ran {
		m.Missing = nil
	} else if m.Missing == nil {
		m.Missing = &posture.Missing{Reason: posture.ReasonError, Detail: "the engine reported nothing for this template"}
	}
	return m
}

func signal(obs *posture.WAFObservation, s string) {
	if !slices.Contains(obs.Signals, s) {
		obs.Signals = append(obs.Signals, s)
	}
}

func addEvidence(obs *posture.WAFObservation, id, label string, e Event) {
	for _, x := range obs.Evidence {
		if x.ID == id {
			return
		}
	}
	data := e.Request
	if e.Response != "" {
		if data != "" && !strings.HasSuffix(data, "\n") {
			data += "\n"
		}
		data += "\n" + e.Response
	}
	if data == "" {
		return
	}
	obs.Evidence = append(obs.Evidence, posture.Evidence{ID: id, Kind: posture.EvidenceHTTP, Label: label, Data: data})
	if e.Request != "" {
		obs.Exchanges = append(obs.Exchanges, posture.HTTPHop{URL: requestURL(obs.Target.Address, e.Request), Status: responseStatus(e.Response), Evidence: id})
	}
}

// requestURL is the URL of a raw request head, on the target's origin.
func requestURL(target, req string) string {
	line, _, _ := strings.Cut(req, "\n")
	f := strings.Fields(line)
	if len(f) < 2 {
		return target
	}
	if strings.HasPrefix(f[1], "http://") || strings.HasPrefix(f[1], "https://") {
		return f[1]
	}
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	return u.Scheme + "://" + u.Host + f[1]
}

// responseStatus is the status code of a raw response head (three digits,
// 100 to 599), 0 if none.
func responseStatus(resp string) int {
	line, _, _ := strings.Cut(resp, "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || len(f[1]) != 3 || n < 100 || n > 599 {
		return 0
	}
	return n
}
