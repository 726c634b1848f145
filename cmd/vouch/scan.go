package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
	"github.com/vouchdev/vouch/scanners"
	"github.com/vouchdev/vouch/scanners/dnsscan"
	"github.com/vouchdev/vouch/scanners/httpscan"
	"github.com/vouchdev/vouch/scanners/tlsscan"
	"github.com/vouchdev/vouch/scanners/wafscan"
	"github.com/vouchdev/vouch/site"
)

func (a *app) scanCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "scan",
		Short: "Scan the scope of trust.yaml, judge every control, write report, site and evidence",
		Long: `Scan everything trust.yaml puts in scope, judge every control against what
was observed, and write:

  DIR/report.json            the report (see 'vouch report' for other formats)
  DIR/report.html            the internal gap report, self-contained
  DIR/snapshot.json          what was observed (judge it again with 'vouch check')
  DIR/site/                  the public trust center
  DIR/evidence/<scan-id>/    raw evidence with a manifest of SHA-256 hashes

Every output is written to a temporary name and renamed into place, so a
failed scan never destroys the previous site or evidence. The verdict
table goes to stdout; progress to stderr.

Only targets in scope are contacted: the web origins and mail domains of
scope, minus scope.exclude. DNS questions go to --resolver (or the system
resolver).

WAF detection and "kind: nuclei" controls run in vouch-waf, a companion
binary that carries the nuclei engine (so that no other command pays its
start-up): build it with 'go build -o bin/ ./cmd/vouch ./cmd/vouch-waf'.
vouch finds it with --waf-engine, next to the vouch binary, or on $PATH;
without it those controls are inconclusive, never passed. See docs/waf.md.`,
		Example: `  vouch scan -c trust.yaml -o public
  vouch scan -c trust.yaml --fail-on medium        # CI: fail on medium gaps too
  vouch scan --resolver 127.0.0.1:5353 --ca-file internal-ca.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			failOn, err := a.failOn()
			if err != nil {
				return err
			}
			decl, err := a.loadDeclaration(a.v.GetString("config"))
			if err != nil {
				return err
			}
			no, err := a.netOptions()
			if err != nil {
				return err
			}
			res, err := a.scanAndJudge(cmd.Context(), decl, no, scanExtras{})
			if err != nil {
				return err
			}
			paths, err := a.writeOutputs(a.v.GetString("output"), res)
			if err != nil {
				return err
			}
			if err := a.finish(res.report, failOn, paths); err != nil {
				return err
			}
			return a.compareBaseline(res.report)
		},
	}, flagConfig, flagOutput, flagFailOn, flagTargetTimeout, flagConcurrency, flagActive, flagWAFEngine, flagBaseURL,
		flagSMTPPort, flagBaseline, flagFailOnRegression, flagZip, flagSignKey)
}

// failOn parses --fail-on; "none" never fails.
func (a *app) failOn() (posture.Severity, error) {
	s := strings.ToLower(a.v.GetString("fail_on"))
	if s == "none" {
		return "", nil
	}
	sev, err := posture.ParseSeverity(s)
	if err != nil {
		return "", usageErr("--fail-on: %v", err)
	}
	return sev, nil
}

// loadDeclaration reads trust.yaml and checks that every verify kind is a
// registered check.
func (a *app) loadDeclaration(path string) (posture.Declaration, error) {
	decl, err := config.LoadDeclaration(a.v, path)
	if err != nil {
		return posture.Declaration{}, &exitError{code: exitUsage, err: err}
	}
	if err := config.ValidateKinds(decl, checks.Kinds()); err != nil {
		return posture.Declaration{}, &exitError{code: exitUsage, err: err}
	}
	return decl, nil
}

// scanExtras are the knobs only the demo turns: where plain HTTP lives for
// a target whose HTTP port is not 80.
type scanExtras struct {
	plainHTTP map[string]string // target address → http:// start URL
}

type result struct {
	decl   posture.Declaration
	snap   *posture.Snapshot
	report *posture.Report
}

func newScanID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// scanners builds the four scanners from the options.
func (a *app) scanners(no netOptions, decl posture.Declaration, extras scanExtras) ([]scanners.Scanner, string, error) {
	resolver := no.resolverAddr
	if resolver == "" {
		r, err := dnsscan.SystemResolverAddr()
		if err != nil {
			return nil, "", usageErr("no --resolver given and the system resolver is unknown: %v", err)
		}
		resolver = r
	}
	ua := "vouch/" + toolVersion() + " (+security posture scan)"
	passive := map[string]bool{}
	for _, p := range decl.Scope.Passive {
		passive[p] = true
	}
	active := a.v.GetBool("active")
	plain := extras.plainHTTP
	pages := map[string][]string{}
	for _, p := range decl.Scope.Pages {
		for _, w := range decl.Scope.Web {
			if sameOrigin(p, w) {
				pages[w] = append(pages[w], p)
			}
		}
	}
	smtpPort := a.v.GetInt("smtp_port") // 0 when the command has no --smtp-port: 25
	if smtpPort < 0 || smtpPort > 65535 {
		return nil, "", usageErr("--smtp-port %d: want a TCP port, 1 to 65535", smtpPort)
	}
	// One resolver for every scanner (the WAF engine, a process, gets its
	// address): the MX hosts probed for STARTTLS are those dnsscan lists.
	res := dnsscan.NewResolver(resolver, no.timeout)
	return []scanners.Scanner{
		tlsscan.New(tlsscan.Options{Dialer: no.dialer, Resolver: res, RootCAs: no.roots, Timeout: no.timeout, Now: a.now, STARTTLS: starttlsOptions(decl, smtpPort)}),
		httpscan.New(httpscan.Options{Dialer: no.dialer, Resolver: res, RootCAs: no.roots, Timeout: no.timeout, UserAgent: ua, Now: a.now,
			PlainHTTP: func(t posture.Target) string {
				if u, ok := plain[t.Address]; ok {
					return u
				}
				return defaultPlainHTTP(t)
			},
			Pages: func(t posture.Target) []string { return pages[t.Address] }}),
		dnsscan.New(dnsscan.Options{Resolver: res, DKIMSelectors: decl.Scope.DKIMSelectors, Now: a.now,
			MailSenders: decl.Scope.MailSenders, DialContext: no.dialer.DialContext, RootCAs: no.roots, PolicyTimeout: no.timeout, UserAgent: ua}),
		a.wafScanner(no, decl, resolver, ua, func(t posture.Target) bool { return !active || passive[t.Address] }),
	}, resolver, nil
}

// defaultPlainHTTP is where the redirect chain of t starts: http://host/
// for a target on the default HTTPS port. A target on another port (a
// staging service, a test server) has no plain-HTTP origin that can be
// inferred, and port 80 of its host is not asked: its chain is recorded
// as not scanned.
func defaultPlainHTTP(t posture.Target) string {
	u, err := url.Parse(t.Address)
	if err != nil || (u.Port() != "" && u.Port() != "443") {
		return ""
	}
	return httpscan.DefaultPlainHTTP(t)
}

// sameOrigin reports whether two URLs share scheme, host and port.
func sameOrigin(a, b string) bool {
	ua, errA := url.Parse(a)
	ub, errB := url.Parse(b)
	if errA != nil || errB != nil || !strings.EqualFold(ua.Scheme, ub.Scheme) ||
		!strings.EqualFold(strings.TrimSuffix(ua.Hostname(), "."), strings.TrimSuffix(ub.Hostname(), ".")) {
		return false
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "http") {
			return "80"
		}
		return "443"
	}
	return port(ua) == port(ub)
}

// scanAndJudge scans the declaration's scope and evaluates its controls.
func (a *app) scanAndJudge(ctx context.Context, decl posture.Declaration, no netOptions, extras scanExtras) (*result, error) {
	scs, resolver, err := a.scanners(no, decl, extras)
	if err != nil {
		return nil, err
	}
	if err := checkTemplates(decl); err != nil {
		return nil, err
	}
	targets := decl.Scope.Targets()
	if len(targets) == 0 {
		return nil, usageErr("%s: scope has no targets (scope.web and scope.mail are empty)", decl.Source)
	}
	started := a.now()
	runner := &scanners.Runner{
		Scanners:      scs,
		Concurrency:   a.v.GetInt("concurrency"),
		TargetTimeout: a.v.GetDuration("target_timeout"),
		Progress:      a.progress(),
		Now:           a.now,
	}
	fmt.Fprintf(a.progress(), "vouch: scanning %d targets (resolver %s)\n", len(targets), resolver)
	// The WAF engine runs once for all web targets, as its own process:
	// started now, its start-up overlaps the other scanners' work.
	for _, sc := range scs {
		if st, ok := sc.(interface{ Start(context.Context) }); ok {
			st.Start(ctx)
		}
	}
	snap := runner.Run(ctx, targets)
	snap.ID = newScanID(started)
	snap.Tool = tool()
	snap.Resolver = resolver
	snap.Excluded = decl.Scope.Exclude
	if ctx.Err() != nil {
		return nil, scanErr("scan interrupted: %v", ctx.Err())
	}
	if observed, total := countObserved(&snap); total > 0 && observed == 0 {
		return nil, scanErr("nothing in scope could be observed (%d attempts, all failed; first: %s)", total, firstMissing(&snap))
	}
	rep := checks.Evaluate(decl, &snap, checks.Options{Now: a.now().UTC(), Tool: tool()})
	return &result{decl: decl, snap: &snap, report: &rep}, nil
}

// observations lists the header of every observation in s.
func observations(s *posture.Snapshot) []posture.Observation { return s.Observations() }

func countObserved(s *posture.Snapshot) (observed, total int) {
	for _, o := range observations(s) {
		total++
		if o.Observed() {
			observed++
		}
	}
	return observed, total
}

func firstMissing(s *posture.Snapshot) string {
	for _, o := range observations(s) {
		if o.Missing != nil {
			return o.Scanner + " " + o.Target.Address + ": " + o.Missing.Error()
		}
	}
	return "unknown"
}

type outputPaths struct {
	dir, report, html, snapshot, site, evidence string
}

// writeOutputs writes every output of a scan under dir. Each is written
// atomically; a failure leaves what was there before.
func (a *app) writeOutputs(dir string, res *result) (outputPaths, error) {
	p := outputPaths{
		dir:      dir,
		report:   filepath.Join(dir, "report.json"),
		html:     filepath.Join(dir, "report.html"),
		snapshot: filepath.Join(dir, "snapshot.json"),
		site:     filepath.Join(dir, "site"),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return p, scanErr("output: %v", err)
	}
	history := loadHistory(dir, res.report)
	var reportJSON []byte
	for _, w := range []struct {
		path string
		f    report.Format
	}{{p.report, report.FormatJSON}, {p.html, report.FormatHTML}} {
		var buf bytes.Buffer
		if err := report.Write(&buf, res.report, w.f, report.Options{Internal: true}); err != nil {
			return p, scanErr("write %s: %v", w.path, err)
		}
		if err := report.WriteFileAtomic(w.path, buf.Bytes(), 0o644); err != nil {
			return p, scanErr("write %s: %v", w.path, err)
		}
		if w.f == report.FormatJSON {
			reportJSON = buf.Bytes()
		}
	}
	snapJSON, err := json.MarshalIndent(res.snap, "", "  ")
	if err != nil {
		return p, scanErr("snapshot: %v", err)
	}
	if err := report.WriteFileAtomic(p.snapshot, append(snapJSON, '\n'), 0o644); err != nil {
		return p, scanErr("write %s: %v", p.snapshot, err)
	}
	if err := site.Build(p.site, res.report, site.Options{BaseURL: a.v.GetString("base_url"), Now: res.report.GeneratedAt, History: history,
		Logo: a.readLogo(res.report.Organization, filepath.Dir(res.decl.Source))}); err != nil {
		return p, scanErr("site: %v", err)
	}
	if err := keepHistory(dir, reportJSON, res.report.ScanID); err != nil {
		return p, scanErr("history: %v", err)
	}
	host, _ := os.Hostname()
	bundle, err := report.WriteEvidence(filepath.Join(dir, "evidence"), res.snap, res.report, report.Manifest{
		Tool:     tool(),
		ScanID:   res.snap.ID,
		Command:  os.Args,
		Scope:    res.snap.Scope,
		Excluded: res.snap.Excluded,
		Resolver: res.snap.Resolver,
		Host:     host,
		Started:  res.snap.StartedAt,
		Finished: res.snap.FinishedAt,
	})
	if err != nil {
		return p, scanErr("evidence: %v", err)
	}
	p.evidence = bundle
	if err := a.sealEvidence(bundle); err != nil {
		return p, err
	}
	return p, nil
}

// finish prints the verdict table and the paths, and sets the exit code.
func (a *app) finish(rep *posture.Report, failOn posture.Severity, p outputPaths) error {
	if err := report.Write(a.stdout, rep, report.Format("table"), report.Options{Color: a.color(), Internal: true}); err != nil {
		return err
	}
	if p.dir != "" {
		fmt.Fprintf(a.stdout, "\nreport:    %s\n           %s\nsite:      %s\nevidence:  %s\nsnapshot:  %s\n",
			p.report, p.html, filepath.Join(p.site, "index.html"), p.evidence, p.snapshot)
	}
	a.setExit(rep, failOn)
	return nil
}

func (a *app) setExit(rep *posture.Report, failOn posture.Severity) {
	if failOn == "" {
		return
	}
	if failing := rep.Failing(failOn); len(failing) > 0 {
		ids := make([]string, len(failing))
		for i, c := range failing {
			ids[i] = c.Control.ID
		}
		fmt.Fprintf(a.stderr, "vouch: %d contradicted control(s) at or above %s: %s\n", len(failing), failOn, strings.Join(ids, ", "))
		a.exitCode = exitGaps
	}
}

// wafScanner is the WAF scanner: it runs the vouch-waf engine (which links
// nuclei, so that this binary does not) once for every web target in
// scope, with the user templates of "nuclei" controls.
func (a *app) wafScanner(no netOptions, decl posture.Declaration, resolver, ua string, passive func(posture.Target) bool) *wafscan.Scanner {
	o := wafscan.Options{Targets: decl.Scope.Targets(), Timeout: no.timeout, UserAgent: ua, Resolvers: []string{resolver},
		Passive: passive, Now: a.now, BatchTimeout: a.v.GetDuration("target_timeout")}
	if path, err := wafscan.FindEngine(a.v.GetString("waf_engine")); err != nil {
		o.EngineMissing = err.Error()
	} else {
		o.Engine = wafscan.ExecEngine{Path: path}
	}
	if decl.Source != "" {
		o.TemplateDir = filepath.Dir(decl.Source)
	}
	templates := map[string][]string{} // target address → templates; "" for every web target
	for _, c := range decl.Controls {
		if c.Verify == nil || c.Verify.Kind != "nuclei" || c.Verify.Params["template"] == "" {
			continue
		}
		tpl := c.Verify.Params["template"]
		if len(c.Targets) == 0 {
			templates[""] = appendNew(templates[""], tpl)
		}
		for _, t := range c.Targets {
			templates[t] = appendNew(templates[t], tpl)
		}
	}
	o.Templates = func(t posture.Target) []string {
		out := append([]string(nil), templates[""]...)
		for _, tpl := range templates[t.Address] {
			out = appendNew(out, tpl)
		}
		return out
	}
	return wafscan.New(o)
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// starttlsOptions turns on the STARTTLS scan of the mail targets' MX hosts
// (port 25, or --smtp-port) when a control asks for it with tls.starttls:
// a scope with mail targets is otherwise never connected to over SMTP.
func starttlsOptions(decl posture.Declaration, port int) *tlsscan.STARTTLSOptions {
	for _, c := range decl.Controls {
		if c.Verify != nil && c.Verify.Kind == "tls.starttls" {
			return &tlsscan.STARTTLSOptions{Port: port}
		}
	}
	return nil
}

// checkTemplates makes sure every "nuclei" control's template can be read
// before anything is scanned: a typo in a path is a usage error, not an
// inconclusive verdict found after the scan.
func checkTemplates(decl posture.Declaration) error {
	dir := "."
	if decl.Source != "" {
		dir = filepath.Dir(decl.Source)
	}
	for i, c := range decl.Controls {
		if c.Verify == nil || c.Verify.Kind != "nuclei" {
			continue
		}
		tpl := c.Verify.Params["template"]
		if tpl == "" {
			return usageErr("%s: controls[%d] (%s): verify.template: a nuclei template file is required", decl.Source, i, c.ID)
		}
		p := tpl
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if st, err := os.Stat(p); err != nil {
			return usageErr("%s: controls[%d] (%s): verify.template: %v", decl.Source, i, c.ID, err)
		} else if st.IsDir() {
			return usageErr("%s: controls[%d] (%s): verify.template: %s is a directory, not a template file", decl.Source, i, c.ID, p)
		}
		data, err := os.ReadFile(p)
		if err == nil {
			err = wafscan.ValidateTemplate(data)
		}
		if err != nil {
			return usageErr("%s: controls[%d] (%s): verify.template: %s: %v (see docs/waf.md)", decl.Source, i, c.ID, tpl, err)
		}
	}
	return nil
}
