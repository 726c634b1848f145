package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

Every option (trust.yaml, --sign-key, --ca-file, --resolver, the output
directory) is checked before the first packet is sent. Then only what the
controls in scope need is scanned: a scanner runs on a target only when a
control's check needs it there, the WAF probe's attack-shaped requests are
sent only where a waf.present control needs them (never with --active=false
or to scope.passive targets), STARTTLS only to the MX hosts of mail domains
with a tls.starttls control. Outputs are written in this order, each to a
temporary name renamed into place: evidence (signed with --sign-key before
it is in place), history, report, site; a failure at any step leaves the
previous report, site and evidence as they were. The verdict table goes to
stdout; progress to stderr.

Only targets in scope are contacted: the web origins and mail domains of
scope and of --targets, minus scope.exclude. DNS questions go to --resolver
(or the system resolver). At most --per-host connections are open to one
host at once, summed over every scanner.

WAF detection and "kind: nuclei" controls run in vouch-waf, a companion
binary that carries the nuclei engine (so that no other command pays its
start-up): build it with 'go build -o bin/ ./cmd/vouch ./cmd/vouch-waf'.
vouch finds it with --waf-engine, next to the vouch binary, or on $PATH;
without it those controls are inconclusive, never passed, and one line on
stderr says so. See docs/waf.md.

Exit codes: 0 no contradicted control at or above --fail-on; 1 one is
(this wins over 2); 2 with --fail-on-inconclusive, a control at or above
--fail-on could not be observed; 3 bad usage or configuration; 4 the scan
could not run or its outputs could not be written.`,
		Example: `  vouch scan -c trust.yaml -o public
  vouch scan -c trust.yaml --targets fleet.txt     # scope.web/mail plus one target a line
  vouch scan -c trust.yaml --targets fleet.txt --shard 2/8   # one eighth of the fleet
  vouch scan -c trust.yaml --shard /8 -o /out/shard-$JOB_COMPLETION_INDEX  # in a Kubernetes Indexed Job
  vouch scan -c trust.yaml --fail-on medium        # CI: fail on medium gaps too
  vouch scan -c trust.yaml --fail-on-inconclusive  # CI: and on what could not be observed
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
			if err := a.addTargets(&decl, cmd.InOrStdin()); err != nil {
				return err
			}
			shard, err := a.shard()
			if err != nil {
				return err
			}
			shard.filter(&decl)
			extras := scanExtras{}
			if shard != nil {
				digest, err := fileSHA256(a.v.GetString("config"))
				if err != nil {
					return usageErr("%v", err)
				}
				extras.shard = &posture.Shard{K: shard.K, N: shard.N, DeclarationSHA256: digest}
			}
			no, err := a.netOptions()
			if err != nil {
				return err
			}
			// Every option is checked before the first packet is sent.
			out, err := a.outputOptions(a.v.GetString("output"))
			if err != nil {
				return err
			}
			baseline, err := a.loadBaseline()
			if err != nil {
				return err
			}
			extras.evidence = filepath.Join(out.dir, "evidence")
			res, err := a.scanAndJudge(cmd.Context(), decl, no, extras)
			if err != nil {
				return err
			}
			paths, err := a.writeOutputs(out, res)
			if err != nil {
				return err
			}
			if err := a.finish(res.report, failOn, paths); err != nil {
				return err
			}
			return a.compareBaseline(res.report, baseline)
		},
	}, flagConfig, flagTargets, flagShard, flagOutput, flagFailOn, flagFailOnInconclusive, flagTargetTimeout, flagConcurrency, flagActive, flagWAFEngine, flagBaseURL,
		flagSMTPPort, flagBaseline, flagFailOnRegression, flagZip, flagSignKey)
}

// failOn parses --fail-on; "none" never fails.
func (a *app) failOn() (posture.Severity, error) {
	s := strings.ToLower(a.v.GetString("fail_on"))
	if s == "none" {
		if a.v.GetBool("fail_on_inconclusive") {
			return "", usageErr("--fail-on-inconclusive needs a --fail-on severity, not none")
		}
		return "", nil
	}
	sev, err := posture.ParseSeverity(s)
	if err != nil {
		return "", usageErr("--fail-on: %v", err)
	}
	return sev, nil
}

// addTargets adds the targets of --targets (a file, or - for stdin) to
// the declaration's scope; a problem in the list is a usage error naming
// its line.
func (a *app) addTargets(decl *posture.Declaration, stdin io.Reader) error {
	path := a.v.GetString("targets")
	if path == "" {
		return nil
	}
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return usageErr("--targets: %v", err)
		}
		defer f.Close()
		r = f
	}
	t, err := config.ParseTargets(path, r)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if len(t.Web)+len(t.Mail) == 0 {
		return usageErr("--targets %s: no target in it (one https:// origin or mail domain a line)", path)
	}
	config.AddTargets(decl, t)
	return nil
}

// loadDeclaration reads trust.yaml; config validates every control's
// verify against its check's declaration in the registry.
func (a *app) loadDeclaration(path string) (posture.Declaration, error) {
	decl, err := config.LoadDeclaration(a.v, path, registry())
	if err != nil {
		return posture.Declaration{}, &exitError{code: exitUsage, err: err}
	}
	return decl, nil
}

// scanExtras are the knobs only the demo turns: where plain HTTP lives for
// a target whose HTTP port is not 80.
type scanExtras struct {
	plainHTTP map[string]string // target address → http:// start URL
	// evidence, when set, is the directory the scan's evidence bundle is
	// spooled into while it runs (report.Spool): raw evidence goes to
	// disk as each scanner finishes a target, not at the end.
	evidence string
	// shard is set by --shard: recorded in the snapshot, and a shard
	// whose scope came out empty is scanned (to nothing) all the same.
	shard *posture.Shard
}

type result struct {
	decl   posture.Declaration
	snap   *posture.Snapshot
	report *posture.Report
	// spool holds the evidence of snap when the scan spooled it: snap's
	// evidence data are references into it (writeOutputs seals it).
	spool *report.Spool
}

func newScanID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// scanners builds the scanners plan uses, from the options: a scanner no
// control needs is not even built.
func (a *app) scanners(no netOptions, decl posture.Declaration, plan *posture.Plan, extras scanExtras) ([]scanners.Scanner, string, error) {
	resolver := no.resolverAddr
	if resolver == "" {
		r, err := dnsscan.SystemResolverAddr()
		if err != nil {
			return nil, "", usageErr("no --resolver given and the system resolver is unknown: %v", err)
		}
		resolver = r
	}
	ua := "vouch/" + toolVersion() + " (+security posture scan)"
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
	// STARTTLS connects to the MX hosts of the mail targets the plan
	// turns it on for (the runner runs tls on no other mail target).
	var starttls *tlsscan.STARTTLSOptions
	if plan.Uses(posture.ScannerTLS, posture.FeatureSTARTTLS) {
		starttls = &tlsscan.STARTTLSOptions{Port: smtpPort}
	}
	// One resolver for every scanner (the WAF engine, a process, gets its
	// address): the MX hosts probed for STARTTLS are those dnsscan lists.
	res := dnsscan.NewResolver(resolver, no.timeout)
	var out []scanners.Scanner
	if plan.Uses(posture.ScannerTLS, "") {
		out = append(out, tlsscan.New(tlsscan.Options{Dialer: no.dialer, Resolver: res, RootCAs: no.roots, Timeout: no.timeout, Now: a.now, STARTTLS: starttls, Limiter: no.limiter}))
	}
	if plan.Uses(posture.ScannerHTTP, "") {
		out = append(out, httpscan.New(httpscan.Options{Dialer: no.dialer, Resolver: res, Limiter: no.limiter, RootCAs: no.roots, Timeout: no.timeout, UserAgent: ua, Now: a.now,
			PlainHTTP: func(t posture.Target) string {
				if u, ok := plain[t.Address]; ok {
					return u
				}
				return defaultPlainHTTP(t)
			},
			Pages: func(t posture.Target) []string { return pages[t.Address] }}))
	}
	if plan.Uses(posture.ScannerDNS, "") {
		out = append(out, dnsscan.New(dnsscan.Options{Resolver: res, DKIMSelectors: decl.Scope.DKIMSelectors, Now: a.now,
			MailSenders: decl.Scope.MailSenders, DialContext: no.limiter.Dial(no.dialer.DialContext), RootCAs: no.roots, PolicyTimeout: no.timeout, UserAgent: ua, Limiter: no.limiter}))
	}
	if plan.Uses(posture.ScannerWAF, "") {
		out = append(out, a.wafScanner(no, decl, plan, resolver, ua))
	}
	return out, resolver, nil
}

// scanPlan is what the scan of decl runs (checks.Plan), made passive
// everywhere by --active=false.
func (a *app) scanPlan(decl posture.Declaration) posture.Plan {
	plan := checks.Plan(decl)
	if !a.v.GetBool("active") {
		plan = plan.Passive()
	}
	return plan
}

// planSummary says in one line how many targets each scanner looks at.
func planSummary(plan *posture.Plan) string {
	var parts []string
	for _, id := range []posture.ScannerID{posture.ScannerTLS, posture.ScannerHTTP, posture.ScannerDNS, posture.ScannerWAF} {
		ts := plan.TargetsOf(id)
		if len(ts) == 0 {
			continue
		}
		part := fmt.Sprintf("%s %d", id, len(ts))
		active := 0
		for _, t := range ts {
			if plan.Active(id, t) {
				active++
			}
		}
		if active > 0 {
			part += fmt.Sprintf(" (active probe %d)", active)
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		return "nothing to scan: no control in scope needs an observation"
	}
	return strings.Join(parts, ", ")
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

// scanAndJudge scans what the declaration's controls need of its scope
// and evaluates them.
func (a *app) scanAndJudge(ctx context.Context, decl posture.Declaration, no netOptions, extras scanExtras) (*result, error) {
	targets := decl.Scope.Targets()
	if len(targets) == 0 && extras.shard == nil {
		return nil, usageErr("%s: scope has no targets (scope.web and scope.mail are empty)", decl.Source)
	}
	plan := a.scanPlan(decl)
	scs, resolver, err := a.scanners(no, decl, &plan, extras)
	if err != nil {
		return nil, err
	}
	started := a.now()
	id := newScanID(started)
	var spool *report.Spool
	if extras.evidence != "" {
		if spool, err = report.NewSpool(extras.evidence, id); err != nil {
			return nil, scanErr("evidence: %v", err)
		}
	}
	ok := false
	defer func() {
		if !ok && spool != nil {
			spool.Abort()
		}
	}()
	runner := &scanners.Runner{
		Scanners:      scs,
		Plan:          &plan,
		Concurrency:   a.v.GetInt("concurrency"),
		TargetTimeout: a.v.GetDuration("target_timeout"),
		Progress:      a.progress(),
		Now:           a.now,
	}
	if spool != nil {
		runner.Sink = spool.Add
	}
	// Progress: plain lines per pair and per target, or a bar on a
	// terminal (the per-pair lines would break it); none with --quiet.
	var prog *reporter
	switch a.progressMode() {
	case "bar":
		runner.Progress = nil
		prog = newReporter(a.stderr, true, a.now)
	case "plain":
		prog = newReporter(a.stderr, false, a.now)
	}
	if prog != nil {
		runner.Events = prog
	}
	fmt.Fprintf(a.progress(), "vouch: scanning %d targets (resolver %s): %s\n", len(targets), resolver, planSummary(&plan))
	// A scanner that cannot run at all (the WAF engine missing) says so
	// once, in full, on stderr; its controls are inconclusive.
	warned := map[string]bool{}
	warn := func() {
		for _, sc := range scs {
			if e, ok := sc.(interface{ Err() error }); ok && !warned[sc.Name()] {
				if err := e.Err(); err != nil {
					warned[sc.Name()] = true
					fmt.Fprintf(a.stderr, "vouch: %s scanner could not run, its controls are inconclusive: %s\n", sc.Name(), oneLine(err.Error()))
				}
			}
		}
	}
	warn()
	// The WAF engine runs once for all web targets, as its own process:
	// started now, its start-up overlaps the other scanners' work.
	for _, sc := range scs {
		if st, ok := sc.(interface{ Start(context.Context) }); ok {
			st.Start(ctx)
		}
	}
	stopProgress := func() {}
	if prog != nil {
		stopProgress = prog.run(ctx, time.Second)
	}
	snap := runner.Run(ctx, targets)
	stopProgress()
	warn()
	snap.ID = id
	snap.Tool = tool()
	snap.Resolver = resolver
	snap.Excluded = decl.Scope.Exclude
	snap.Shard = extras.shard
	if ctx.Err() != nil {
		return nil, scanErr("scan interrupted: %v", ctx.Err())
	}
	if observed, total := countObserved(&snap); total > 0 && observed == 0 {
		return nil, scanErr("nothing in scope could be observed (%d attempts, all failed; first: %s)", total, firstMissing(&snap))
	}
	if spool != nil {
		if err := spool.Err(); err != nil {
			return nil, scanErr("evidence: %v", err)
		}
	}
	rep := checks.Evaluate(decl, &snap, checks.Options{Now: a.now().UTC(), Tool: tool()})
	ok = true
	return &result{decl: decl, snap: &snap, report: &rep, spool: spool}, nil
}

// oneLine folds a message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// observations lists the header of every observation in s.
func observations(s *posture.Snapshot) []posture.Observation { return s.Observations() }

// countObserved counts the observations a scanner attempted, and those
// that observed. An observation of a scanner that never ran (not_scanned:
// the WAF engine is missing) is no attempt: its controls are inconclusive
// and the report still says so.
func countObserved(s *posture.Snapshot) (observed, total int) {
	for _, o := range observations(s) {
		if o.Missing != nil && o.Missing.Reason == posture.ReasonNotScanned {
			continue
		}
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

// outputOptions are where and how a scan writes, checked before it
// starts: the directory can be written (or created), the signing key
// reads and parses.
type outputOptions struct {
	dir     string
	signKey ed25519.PrivateKey // nil: the bundle is not signed
	zip     bool
}

func (a *app) outputOptions(dir string) (outputOptions, error) {
	o := outputOptions{dir: dir, zip: a.v.GetBool("zip")}
	if err := site.CheckBaseURL(a.v.GetString("base_url")); err != nil {
		return o, usageErr("--base-url: %v", err)
	}
	if p := a.v.GetString("waf_engine"); p != "" {
		if st, err := os.Stat(p); err != nil {
			return o, usageErr("--waf-engine: %v", err)
		} else if st.IsDir() {
			return o, usageErr("--waf-engine %s: a directory, want the vouch-waf binary", p)
		}
	}
	if p := a.v.GetString("sign_key"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return o, usageErr("--sign-key: %v", err)
		}
		k, err := report.ParsePrivateKey(b)
		if err != nil {
			return o, usageErr("--sign-key %s: %v", p, err)
		}
		o.signKey = k
	}
	if strings.TrimSpace(dir) == "" {
		return o, usageErr("--output: empty directory name")
	}
	for _, d := range []string{dir, filepath.Join(dir, "evidence"), filepath.Join(dir, "history")} {
		if err := checkWritableDir(d); err != nil {
			return o, scanErr("output: %v", err)
		}
	}
	return o, nil
}

// checkWritableDir makes sure dir is a directory a file can be created
// in, or can be created: the nearest existing ancestor must be a writable
// directory. Nothing is left behind.
func checkWritableDir(dir string) error {
	d := filepath.Clean(dir)
	for {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s is not a directory", d)
			}
			f, err := os.CreateTemp(d, ".vouch-write-check-*")
			if err != nil {
				return fmt.Errorf("%s is not writable: %w", d, err)
			}
			f.Close()
			return os.Remove(f.Name())
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return fmt.Errorf("%s: no existing parent directory", dir)
		}
		d = parent
	}
}

// writeOutputs writes every output of a scan under o.dir, in this order:
// the evidence bundle (signed before it is renamed into place, then
// zipped), the history entry, report.json, report.html and snapshot.json,
// and last the site. Each is written atomically, so a failure at any step
// leaves the previous report, site and evidence as they were.
func (a *app) writeOutputs(o outputOptions, res *result) (outputPaths, error) {
	if res.spool != nil {
		defer res.spool.Abort() // a no-op once sealed
	}
	dir := o.dir
	p := outputPaths{
		dir:      dir,
		report:   filepath.Join(dir, "report.json"),
		html:     filepath.Join(dir, "report.html"),
		snapshot: filepath.Join(dir, "snapshot.json"),
		site:     filepath.Join(dir, "site"),
	}
	// Everything that can fail without touching the disk comes first.
	outs := map[string][]byte{}
	for _, w := range []struct {
		path string
		f    report.Format
	}{{p.report, report.FormatJSON}, {p.html, report.FormatHTML}} {
		var buf bytes.Buffer
		if err := report.Write(&buf, res.report, w.f, report.Options{Internal: true}); err != nil {
			return p, scanErr("write %s: %v", w.path, err)
		}
		outs[w.path] = buf.Bytes()
	}
	// A spooled snapshot holds references, not its evidence: its
	// snapshot.json is the bundle's, copied once the bundle is sealed.
	if res.spool == nil {
		snapJSON, err := json.MarshalIndent(res.snap, "", "  ")
		if err != nil {
			return p, scanErr("snapshot: %v", err)
		}
		outs[p.snapshot] = append(snapJSON, '\n')
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return p, scanErr("output: %v", err)
	}
	history := loadHistory(dir, res.report)
	host, _ := os.Hostname()
	m := report.Manifest{
		Tool:     tool(),
		ScanID:   res.snap.ID,
		Command:  os.Args,
		Scope:    res.snap.Scope,
		Excluded: res.snap.Excluded,
		Resolver: res.snap.Resolver,
		Host:     host,
		Started:  res.snap.StartedAt,
		Finished: res.snap.FinishedAt,
	}
	var (
		bundle string
		err    error
	)
	switch {
	case res.spool != nil:
		bundle, err = res.spool.Seal(res.snap, res.report, m, o.signKey)
	case o.signKey != nil:
		bundle, err = report.WriteSignedEvidence(filepath.Join(dir, "evidence"), res.snap, res.report, m, o.signKey)
	default:
		bundle, err = report.WriteEvidence(filepath.Join(dir, "evidence"), res.snap, res.report, m)
	}
	if err != nil {
		return p, scanErr("evidence: %v", err)
	}
	p.evidence = bundle
	if o.zip {
		if err := report.ZipEvidence(bundle, bundle+".zip"); err != nil {
			return p, scanErr("zip evidence: %v", err)
		}
	}
	if err := keepHistory(dir, outs[p.report], res.report.ScanID); err != nil {
		return p, scanErr("history: %v", err)
	}
	for _, path := range []string{p.report, p.html, p.snapshot} {
		var err error
		if b, ok := outs[path]; ok {
			err = report.WriteFileAtomic(path, b, 0o644)
		} else {
			err = report.CopyFileAtomic(path, filepath.Join(bundle, "snapshot.json"), 0o644)
		}
		if err != nil {
			return p, scanErr("write %s: %v", path, err)
		}
	}
	if err := site.Build(p.site, res.report, site.Options{BaseURL: a.v.GetString("base_url"), Now: res.report.GeneratedAt, History: history,
		Logo: a.readLogo(res.report.Organization, filepath.Dir(res.decl.Source))}); err != nil {
		return p, scanErr("site: %v", err)
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

// setExit sets exit code 1 for a contradicted control at or above failOn,
// else, with --fail-on-inconclusive, 2 for an inconclusive one.
func (a *app) setExit(rep *posture.Report, failOn posture.Severity) {
	if failOn == "" {
		return
	}
	if failing := rep.Failing(failOn); len(failing) > 0 {
		fmt.Fprintf(a.stderr, "vouch: %d contradicted control(s) at or above %s: %s\n", len(failing), failOn, controlIDs(failing))
		a.exitCode = exitGaps
	}
	if !a.v.GetBool("fail_on_inconclusive") {
		return
	}
	if unseen := rep.Inconclusive(failOn); len(unseen) > 0 {
		fmt.Fprintf(a.stderr, "vouch: %d inconclusive control(s) at or above %s (--fail-on-inconclusive): %s\n", len(unseen), failOn, controlIDs(unseen))
		if a.exitCode == exitOK {
			a.exitCode = exitInconclusive
		}
	}
}

func controlIDs(cs []posture.ControlResult) string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.Control.ID
	}
	return strings.Join(ids, ", ")
}

// wafScanner is the WAF scanner: it runs the vouch-waf engine (which links
// nuclei, so that this binary does not) once for every web target the
// plan gives it, with the active probe and the user templates the plan
// turns on for each.
func (a *app) wafScanner(no netOptions, decl posture.Declaration, plan *posture.Plan, resolver, ua string) *wafscan.Scanner {
	o := wafscan.Options{Targets: plan.TargetsOf(posture.ScannerWAF), Timeout: no.timeout, UserAgent: ua, Resolvers: []string{resolver},
		Passive: func(t posture.Target) bool { return !plan.Active(posture.ScannerWAF, t) },
		Templates: func(t posture.Target) []string {
			tpls, _ := plan.Feature(posture.ScannerWAF, t, posture.FeatureTemplate)
			return tpls
		},
		Now: a.now, BatchTimeout: a.v.GetDuration("target_timeout"), TargetTimeout: a.v.GetDuration("target_timeout"),
		Limiter: no.limiter, Resolver: dnsscan.NewResolver(resolver, no.timeout)}
	if path, err := wafscan.FindEngine(a.v.GetString("waf_engine")); err != nil {
		o.EngineMissing = err.Error()
	} else {
		o.Engine = wafscan.ExecEngine{Path: path}
	}
	if decl.Source != "" {
		o.TemplateDir = filepath.Dir(decl.Source)
	}
	return wafscan.New(o)
}
