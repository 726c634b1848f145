// Package engine runs vouch's WAF templates with the nuclei library,
// offline and quietly. It is the only package of vouch that links nuclei,
// and only the vouch-waf companion binary (and this package's tests) import
// it: linking nuclei costs every process its start-up, so the main vouch
// binary runs vouch-waf as a subprocess (wafscan.ExecEngine) and pays that
// cost only when a scan looks for a WAF.
//
// Offline and quiet means:
//   - only our embedded templates and the user's template files are
//     loaded: no template download, no update check;
//   - the request nuclei's update package makes to its vendor once per
//     process, even with DisableUpdateCheck, is refused by a stub
//     transport installed before any engine exists (Stats.PhoneHome
//     counts the attempts);
//   - no interactsh/OAST;
//   - no log lines: the logger is silent and results come back through a
//     callback, never stdout;
//   - temporary files live in a directory of ours, removed on return.
//
// Files nuclei writes under $HOME at start-up (~/.config/nuclei) are the
// caller's concern: wafscan.ExecEngine gives the child a private HOME.
package engine

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/projectdiscovery/gologger"
	"github.com/projectdiscovery/gologger/levels"
	nuclei "github.com/projectdiscovery/nuclei/v3/lib"
	"github.com/projectdiscovery/nuclei/v3/pkg/output"
	updateutils "github.com/projectdiscovery/utils/update"
	"go.yaml.in/yaml/v3"

	"github.com/vouchdev/vouch/scanners/wafscan"
)

//go:embed templates/*.yaml
var embedded embed.FS

// phoneHome counts refused requests to the nuclei vendor.
var phoneHome atomic.Int64

// refuse is the transport that replaces the one nuclei's update package
// would use to reach its vendor.
type refuse struct{}

func (refuse) RoundTrip(r *http.Request) (*http.Response, error) {
	phoneHome.Add(1)
	return nil, errors.New("vouch: refused: no request leaves vouch except to targets in scope")
}

func init() {
	// The client is shared by pointer with nuclei's version check, so its
	// transport is replaced in place.
	if updateutils.DefaultHttpClient == nil {
		updateutils.DefaultHttpClient = &http.Client{}
	}
	updateutils.DefaultHttpClient.Transport = refuse{}
	gologger.DefaultLogger.SetMaxLevel(levels.LevelSilent)
}

// PhoneHomeAttempts returns how many vendor requests were refused so far.
func PhoneHomeAttempts() int { return int(phoneHome.Load()) }

// Embedded lists the embedded template names (file names), sorted.
func Embedded() []string {
	ents, _ := fs.ReadDir(embedded, "templates")
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// rateLimit bounds the requests per second of one run, across all targets.
// Each target gets at most five (a shared passive GET, then the probe's
// four, one after the other).
const rateLimit = 100

// concurrency keeps the connections open to one host at once within
// perHost. nuclei runs TemplateConcurrency templates at once, each on
// HostConcurrency targets at once, and the requests of one template on one
// target one after the other (PayloadConcurrency 1; our templates have no
// payloads or threads, and user templates may not): the product bounds
// the requests in flight across all targets, so it holds for one host
// however many of the targets name it. Each request has a connection of
// its own (see runGroup), but Go's HTTP transport closes it from another
// goroutine a moment after the response is read, so the next request's
// connect(2) can come before the last one's close(2): each request in
// flight may have one connection still closing beside its own. Hence half
// of perHost in flight (at least one: at perHost 1 such a moment may see
// two connections).
func concurrency(perHost int) nuclei.Concurrency {
	inFlight := max(perHost/2, 1)
	templates := min(2, inFlight)
	return nuclei.Concurrency{
		TemplateConcurrency:           templates,
		HostConcurrency:               inFlight / templates,
		HeadlessHostConcurrency:       1,
		HeadlessTemplateConcurrency:   1,
		JavascriptTemplateConcurrency: 1,
		TemplatePayloadConcurrency:    1,
		ProbeConcurrency:              1,
	}
}

// maxRaw bounds the request and response kept per event.
const maxRaw = 4 << 10

// Engine runs jobs in this process. The zero value is ready; it is safe
// for one Run at a time.
type Engine struct {
	mu sync.Mutex
}

// Run implements wafscan.Engine: one nuclei engine per distinct template
// set (all targets share one unless some are passive or carry user
// templates), every target of that set loaded into it.
func (e *Engine) Run(ctx context.Context, job wafscan.Job) (wafscan.Result, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var res wafscan.Result
	dir, err := os.MkdirTemp("", "vouch-waf-templates-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	fingerprints, probe, err := writeEmbedded(dir)
	if err != nil {
		return res, err
	}
	res.Stats.Templates = len(fingerprints) + 1

	// Group targets by template set.
	type group struct {
		templates []string
		targets   []string
	}
	groups := map[string]*group{}
	var order []string
	userAbs := map[string]string{} // our copy's path → as declared
	copies := map[string]string{}  // absolute path → our copy's path
	seenTarget := map[string]bool{}
	for _, t := range job.Targets {
		if seenTarget[t.URL] {
			continue
		}
		seenTarget[t.URL] = true
		set := append([]string(nil), fingerprints...)
		if t.Active {
			set = append(set, probe)
		}
		for _, u := range t.Templates {
			p := u
			if !filepath.IsAbs(p) && job.Dir != "" {
				p = filepath.Join(job.Dir, p)
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				return res, err
			}
			cp, ok := copies[abs]
			if !ok {
				data, err := os.ReadFile(abs)
				if err == nil {
					err = wafscan.ValidateTemplate(data)
				}
				if err == nil {
					data, err = oneRequestPerConnection(data)
				}
				if err == nil {
					cp = filepath.Join(dir, fmt.Sprintf("user-%d-%s", len(copies), filepath.Base(abs)))
					err = os.WriteFile(cp, data, 0o600)
				}
				if err != nil {
					res.Events = append(res.Events, wafscan.Event{Target: t.URL, Template: u, Kind: wafscan.KindUser, Error: "template " + u + ": " + err.Error()})
					continue
				}
				copies[abs] = cp
			}
			userAbs[cp] = u
			set = append(set, cp)
		}
		sort.Strings(set)
		key := strings.Join(set, "\x00")
		g := groups[key]
		if g == nil {
			g = &group{templates: set}
			groups[key] = g
			order = append(order, key)
		}
		g.targets = append(g.targets, t.URL)
	}
	timeout := job.TimeoutSeconds
	if timeout <= 0 {
		timeout = 10
	}
	perHost := job.PerHost
	if perHost <= 0 {
		perHost = wafscan.DefaultEnginePerHost
	}
	ua := job.UserAgent
	if ua == "" {
		ua = wafscan.DefaultUserAgent
	}
	var targets []targetRun
	for _, key := range order {
		g := groups[key]
		for _, t := range g.targets {
			targets = append(targets, targetRun{url: t, templates: g.templates})
		}
	}
	var targetTimeout time.Duration
	if job.TargetTimeoutSeconds > 0 {
		targetTimeout = time.Duration(job.TargetTimeoutSeconds) * time.Second
	}
	// Events found before the runs (a user template that could not be
	// read) belong to their target's result.
	early := map[string][]wafscan.Event{}
	for _, ev := range res.Events {
		early[ev.Target] = append(early[ev.Target], ev)
	}
	res.Events = nil
	var resMu sync.Mutex
	deliver := func(tr wafscan.TargetResult) {
		tr.Events = append(early[tr.Target], tr.Events...)
		resMu.Lock()
		res.Events = append(res.Events, tr.Events...)
		if tr.Error != "" {
			if res.Errors == nil {
				res.Errors = map[string]string{}
			}
			res.Errors[tr.Target] = tr.Error
		}
		resMu.Unlock()
		if job.OnTarget != nil {
			job.OnTarget(tr)
		}
	}
	st, err := runTargets(ctx, dir, targets, ua, timeout, targetTimeout, job.Resolvers, userAbs, perHost, deliver)
	res.Stats.Engines = st.Engines
	res.Stats.Create, res.Stats.Execute, res.Stats.Close = st.Create, st.Execute, st.Close
	sortEvents(res.Events)
	if err != nil {
		return res, err
	}
	res.Stats.PhoneHome = PhoneHomeAttempts()
	return res, nil
}

// targetRun is one target and the templates to run against it.
type targetRun struct {
	url       string
	templates []string
}

func sortEvents(events []wafscan.Event) {
	sort.SliceStable(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if a.TemplateID != b.TemplateID {
			return a.TemplateID < b.TemplateID
		}
		return a.Matcher < b.Matcher
	})
}

// oneRequestPerConnection returns a user template (one ValidateTemplate
// accepted) with "Connection: close" among the headers of each of its
// requests, in place of any Connection header it had. nuclei then closes
// each connection after its response and keeps none alive (its
// "ReuseUnsafe" policy), whether or not the server closes it: our
// templates say so themselves; the user's may not, and a connection they
// left open idle would count against --per-host without a request.
func oneRequestPerConnection(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i].Value; k != "http" && k != "requests" {
			continue
		}
		reqs := root.Content[i+1]
		if reqs.Kind != yaml.SequenceNode {
			return nil, errors.New(root.Content[i].Value + ": want a list of requests")
		}
		for _, req := range reqs.Content {
			if req.Kind != yaml.MappingNode {
				return nil, errors.New("want a request")
			}
			if err := closeHeader(req); err != nil {
				return nil, err
			}
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	// A signature no longer matches what was signed.
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(l, "# digest:") {
			lines = append(lines, l)
		}
	}
	return []byte(strings.Join(lines, "\n")), nil
}

// closeHeader sets Connection: close in the headers of one request.
func closeHeader(req *yaml.Node) error {
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	for i := 0; i+1 < len(req.Content); i += 2 {
		if req.Content[i].Value != "headers" {
			continue
		}
		h := req.Content[i+1]
		if h.Kind != yaml.MappingNode {
			return errors.New("headers: want a mapping")
		}
		kept := h.Content[:0]
		for j := 0; j+1 < len(h.Content); j += 2 {
			if !strings.EqualFold(strings.TrimSpace(h.Content[j].Value), "Connection") {
				kept = append(kept, h.Content[j], h.Content[j+1])
			}
		}
		h.Content = append(kept, str("Connection"), str("close"))
		return nil
	}
	req.Content = append(req.Content, str("headers"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{str("Connection"), str("close")}})
	return nil
}

// writeEmbedded copies the embedded templates into dir and returns the
// fingerprint files and the probe file.
func writeEmbedded(dir string) (fingerprints []string, probe string, err error) {
	for _, name := range Embedded() {
		data, err := embedded.ReadFile("templates/" + name)
		if err != nil {
			return nil, "", err
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, "", err
		}
		if name == "probe.yaml" {
			probe = p
		} else {
			fingerprints = append(fingerprints, p)
		}
	}
	if probe == "" {
		return nil, "", errors.New("engine: embedded probe template missing")
	}
	return fingerprints, probe, nil
}

// runTargets runs every target in one nuclei engine, started once, each
// target in an execution of its own with its own deadline (targetTimeout,
// 0 for none), and delivers each target's result as soon as its execution
// ends or its deadline passes, whichever comes first: a target that does
// not answer holds up no other. An execution past its deadline is
// abandoned, not waited for, but keeps its share of the concurrency until
// nuclei returns from it (its requests are bounded by timeout), so the
// per-host bound holds.
func runTargets(ctx context.Context, tmp string, targets []targetRun, ua string, timeout int, targetTimeout time.Duration, resolvers []string, userAbs map[string]string, perHost int, deliver func(wafscan.TargetResult)) (st wafscan.Stats, err error) {
	// Names resolve through the given resolvers and nothing else. The
	// library's dialer starts from the system's resolv.conf and, without a
	// list, falls back to public resolvers (1.1.1.1, 8.8.8.8, ...): point
	// its resolv.conf at an empty file and always give it a list.
	if len(resolvers) == 0 {
		resolvers = systemResolvers("/etc/resolv.conf")
	}
	if len(resolvers) == 0 {
		return st, errors.New("engine: no DNS resolver: pass one (vouch --resolver) or list a nameserver in /etc/resolv.conf")
	}
	if len(targets) == 0 {
		return st, nil
	}
	none := filepath.Join(tmp, "resolv.conf.none")
	if err := os.WriteFile(none, nil, 0o600); err != nil {
		return st, err
	}
	os.Setenv("RESOLVERS_PATH", none)
	netcfg := nuclei.NetworkConfig{
		Timeout:               timeout,
		Retries:               1,
		DisableMaxHostErr:     true,
		SystemResolvers:       false, // true would also enable a fallback to the C library's resolver
		LeaveDefaultPorts:     true,
		InternalResolversList: resolvers,
	}
	// At most perHost connections to one host: concurrency bounds the
	// requests in flight of one execution (one target), slots the
	// executions at once, and no connection outlives its request, so that
	// none lingers idle in nuclei's keep-alive pools. Our templates say
	// "Connection: close" themselves, which makes nuclei close the
	// connection after the response and pool none; the header added to
	// every request asks the same of the server for user templates.
	conc, slots := concurrencyPerTarget(perHost)
	start := time.Now()
	ne, err := nuclei.NewThreadSafeNucleiEngineCtx(ctx,
		nuclei.DisableUpdateCheck(),
		nuclei.WithInteractshOptions(nuclei.InteractshOpts{NoInteractsh: true, CacheSize: 100}),
		nuclei.WithNetworkConfig(netcfg),
		nuclei.WithHeaders([]string{"User-Agent: " + ua, "Connection: close"}),
		nuclei.WithConcurrency(conc),
		nuclei.WithTemporaryDirectory(tmp),
		nuclei.EnableMatcherStatus(),
	)
	st.Create = time.Since(start)
	if err != nil {
		return st, fmt.Errorf("engine: nuclei: %w", err)
	}
	st.Engines = 1
	var wg sync.WaitGroup
	defer func() {
		wg.Wait() // abandoned executions end within their request timeouts
		t := time.Now()
		ne.Close()
		st.Close = time.Since(t)
	}()
	t0 := time.Now()
	defer func() { st.Execute = time.Since(t0) }()
	sem := make(chan struct{}, slots)
	var deliveries sync.WaitGroup
	for i, tr := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			for _, rest := range targets[i:] {
				deliver(wafscan.TargetResult{Target: rest.url, Error: "engine: " + ctx.Err().Error()})
			}
			deliveries.Wait()
			return st, nil
		}
		tctx, cancel := ctx, context.CancelFunc(func() {})
		if targetTimeout > 0 {
			tctx, cancel = context.WithTimeout(ctx, targetTimeout)
		}
		type outcome struct {
			events []wafscan.Event
			err    error
		}
		done := make(chan outcome, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			evs, err := runOne(tctx, ne, tr, userAbs, rateLimit/slots)
			done <- outcome{evs, err}
		}()
		deliveries.Add(1)
		go func() {
			defer deliveries.Done()
			defer cancel()
			select {
			case o := <-done:
				switch {
				case tctx.Err() != nil:
					deliver(timedOut(tr.url, tctx, targetTimeout))
				case o.err != nil:
					deliver(wafscan.TargetResult{Target: tr.url, Error: "engine: " + o.err.Error()})
				default:
					deliver(wafscan.TargetResult{Target: tr.url, Events: o.events})
				}
			case <-tctx.Done():
				deliver(timedOut(tr.url, tctx, targetTimeout))
			}
		}()
	}
	deliveries.Wait()
	return st, nil
}

// timedOut is the result of a target whose execution did not end in time.
func timedOut(target string, ctx context.Context, d time.Duration) wafscan.TargetResult {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && d > 0 {
		return wafscan.TargetResult{Target: target, Error: fmt.Sprintf("engine: timeout: the target's WAF check did not finish within %s", d)}
	}
	return wafscan.TargetResult{Target: target, Error: "engine: " + ctx.Err().Error()}
}

// concurrencyPerTarget splits concurrency(perHost) into the concurrency of
// one execution (one target: its templates at once) and the executions at
// once (slots), whose product is the requests in flight concurrency
// allows.
//
// Each execution runs its templates one at a time and the slots are all
// the requests in flight allowed, so that as many targets as possible run
// side by side: a tarpit then takes one slot and the others go on. With
// one slot (perHost below 4) targets run one after the other.
func concurrencyPerTarget(perHost int) (nuclei.Concurrency, int) {
	c := concurrency(perHost)
	slots := c.TemplateConcurrency * c.HostConcurrency
	c.TemplateConcurrency, c.HostConcurrency = 1, 1
	return c, slots
}

// runOne runs a target's templates against it in one execution of ne.
func runOne(ctx context.Context, ne *nuclei.ThreadSafeNucleiEngine, tr targetRun, userAbs map[string]string, rate int) ([]wafscan.Event, error) {
	var mu sync.Mutex
	var events []wafscan.Event
	seen := map[string]bool{}
	ran := map[string]bool{} // template paths that gave a result
	cb := func(ev *output.ResultEvent) {
		e := convert(ev, userAbs)
		e.Target = tr.url
		// A template fires once per named matcher; keep one event each.
		k := e.TemplateID + "\x00" + e.Template + "\x00" + e.Matcher + "\x00" + fmt.Sprint(e.Matched)
		mu.Lock()
		defer mu.Unlock()
		ran[ev.TemplatePath] = true
		if !seen[k] {
			seen[k] = true
			events = append(events, e)
		}
	}
	err := ne.ExecuteNucleiWithOptsCtx(ctx, []string{tr.url},
		nuclei.WithTemplatesOrWorkflows(nuclei.TemplateSources{Templates: tr.templates}),
		nuclei.WithGlobalRateLimitCtx(ctx, max(rate, 1), time.Second),
		nuclei.WithResultCallback(cb),
	)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		return nil, err
	}
	// nuclei skips a template it cannot parse without saying so, and every
	// template it runs gives at least one result (matcher status): a
	// user's template without one is that control's problem alone.
	for _, tpl := range tr.templates {
		if u, isUser := userAbs[tpl]; isUser && !ran[tpl] {
			events = append(events, wafscan.Event{Target: tr.url, Template: u, Kind: wafscan.KindUser,
				Error: "template " + u + ": nuclei could not load it (check it with nuclei -validate)"})
		}
	}
	sortEvents(events)
	return events, nil
}

// convert turns a nuclei result into an Event.
func convert(ev *output.ResultEvent, userAbs map[string]string) wafscan.Event {
	e := wafscan.Event{
		TemplateID: ev.TemplateID,
		Template:   filepath.Base(ev.TemplatePath),
		Matched:    ev.MatcherStatus,
		Matcher:    ev.MatcherName,
		Extracted:  ev.ExtractedResults,
		IP:         ev.IP,
		Request:    cut(ev.Request),
		Response:   cut(ev.Response),
		Error:      ev.Error,
	}
	if u, ok := userAbs[ev.TemplatePath]; ok {
		e.Kind, e.Template = wafscan.KindUser, u
	} else {
		kind, _ := ev.Info.Metadata["kind"].(string)
		vendor, _ := ev.Info.Metadata["vendor"].(string)
		e.Kind, e.Vendor = kind, vendor
	}
	return e
}

// systemResolvers lists the nameservers of a resolv.conf as host:53.
func systemResolvers(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			if ip := net.ParseIP(strings.SplitN(f[1], "%", 2)[0]); ip != nil {
				out = append(out, net.JoinHostPort(ip.String(), "53"))
			}
		}
	}
	return out
}

// origin is scheme://host:port of a URL (default ports made explicit), or
// "" when s is not one.
func origin(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

func cut(s string) string {
	if len(s) <= maxRaw {
		return s
	}
	return s[:maxRaw] + "\n[... cut at 4 KiB]"
}
