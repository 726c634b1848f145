package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/dnsscan"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build info.
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func tool() posture.Tool { return posture.Tool{Name: "vouch", Version: toolVersion()} }

// app is one vouch process: its streams, its one viper instance and the
// exit code a command chose.
type app struct {
	stdout, stderr io.Writer
	v              *viper.Viper
	exitCode       int
	flags          map[*cobra.Command][]config.Flag
	now            func() time.Time
}

func newApp(stdout, stderr io.Writer) *app {
	return &app{stdout: stdout, stderr: stderr, v: config.New(), flags: map[*cobra.Command][]config.Flag{}, now: time.Now}
}

// command builds a cobra command and declares its flags once.
func (a *app) command(c *cobra.Command, flags ...config.Flag) *cobra.Command {
	config.DeclareFlags(c.Flags(), flags...)
	a.flags[c] = flags
	for _, f := range flags {
		// Commands that do not take a flag still read its key (the demo
		// scans too): they get the flag's default.
		if !a.v.IsSet(f.Key) {
			a.v.SetDefault(f.Key, f.Default)
		}
	}
	c.SilenceUsage = true
	c.SilenceErrors = true
	return c
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "vouch",
		Short: "Check public security claims against what a deployment really shows",
		Long: `vouch checks a company's public security claims against what its deployment
really shows, and publishes only what holds.

You declare the claims in trust.yaml: who you are, what is in scope (web
origins, mail domains) and each control ("all traffic uses TLS 1.2 or
higher", "DMARC is at reject", "a WAF protects our apps"), either with a
check that verifies it from outside or as an attested statement. vouch
scans the scope (TLS, HTTP redirects and HSTS, DNS mail records, WAF),
judges every control and writes:

  report.json, report.html   the internal gap report (also SARIF, JUnit, Markdown)
  site/                      the public trust center: only what holds is shown as verified
  evidence/<scan-id>/        raw observations with SHA-256 hashes, for auditors

'vouch checks' lists the checks a control can name, with their parameters;
trust.yaml is validated against them before anything is scanned.

Verdicts: verified, contradicted (a gap), inconclusive (could not observe:
never a pass), attested, waived, not_applicable.

Start with the demo, which scans a deployment it starts on 127.0.0.1:

  vouch demo

Exit codes:
  0  no contradicted control at or above --fail-on
  1  a contradicted control at or above --fail-on (default high)
  2  with --fail-on-inconclusive: no contradicted control, but one at or
     above --fail-on is inconclusive (could not be observed)
  3  bad usage or configuration (checked before anything is sent)
  4  the scan could not run (nothing observable, outputs not writable)

Every flag can also be set with an environment variable VOUCH_<FLAG>,
e.g. VOUCH_RESOLVER=127.0.0.1:5353.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.BindFlags(a.v, cmd.Root().PersistentFlags(), globalFlags...); err != nil {
				return err
			}
			return config.BindFlags(a.v, cmd.Flags(), a.flags[cmd]...)
		},
	}
	config.DeclareFlags(root.PersistentFlags(), globalFlags...)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	root.AddCommand(
		a.scanCommand(),
		a.mergeCommand(),
		a.probeCommand(),
		a.checkCommand(),
		a.checksCommand(),
		a.siteCommand(),
		a.reportCommand(),
		a.demoCommand(),
		a.diffCommand(),
		a.evidenceCommand(),
		a.versionCommand(),
	)
	return root
}

func (a *app) versionCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "version",
		Short: "Print vouch's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(a.stdout, "vouch %s\n", toolVersion())
			return nil
		},
	})
}

// progress is where progress lines go: stderr, unless --quiet.
func (a *app) progress() io.Writer {
	if a.v.GetBool("quiet") {
		return io.Discard
	}
	return a.stderr
}

// color reports whether the table may use ANSI colours: only on a
// terminal, never with NO_COLOR or --no-color.
func (a *app) color() bool {
	if a.v.GetBool("no_color") || os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := a.stdout.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// netOptions are what every network scanner shares: how to dial, how to
// resolve names, which CAs to trust.
type netOptions struct {
	resolverAddr string
	dialer       *net.Dialer
	roots        *x509.CertPool
	timeout      time.Duration
	// limiter is the scan's one per-host connection budget (--per-host):
	// every scanner's dials go through it.
	limiter *netlimit.Limiter
}

// netOptions builds the dialer (resolving through --resolver) and root pool
// (system roots plus --ca-file; nil, meaning the system roots, without it).
func (a *app) netOptions() (netOptions, error) {
	timeout := a.v.GetDuration("timeout")
	if timeout <= 0 {
		return netOptions{}, usageErr("--timeout must be positive, got %s", timeout)
	}
	perHost := a.v.GetInt("per_host")
	if perHost < 1 || perHost > 256 {
		return netOptions{}, usageErr("--per-host must be from 1 to 256, got %d", perHost)
	}
	global := a.v.GetInt("max_inflight")
	if global < perHost || global > 65536 {
		return netOptions{}, usageErr("--max-inflight must be from --per-host (%d) to 65536, got %d", perHost, global)
	}
	budget := a.v.GetInt("host_budget")
	if budget < 0 {
		return netOptions{}, usageErr("--host-budget must be 0 (no limit) or more, got %d", budget)
	}
	if budget == 0 {
		budget = -1
	}
	resInflight := a.v.GetInt("resolver_inflight")
	if resInflight < 1 || resInflight > 1024 {
		return netOptions{}, usageErr("--resolver-inflight must be from 1 to 1024, got %d", resInflight)
	}
	o := netOptions{timeout: timeout, dialer: &net.Dialer{Timeout: timeout}}
	resolver := strings.TrimSpace(a.v.GetString("resolver"))
	if resolver != "" {
		if err := checkHostPort(resolver); err != nil {
			return netOptions{}, usageErr("--resolver %q: want HOST:PORT, e.g. 127.0.0.1:53 (%v)", resolver, err)
		}
		o.resolverAddr = resolver
		o.dialer.Resolver = resolverVia(resolver, timeout)
	} else if r, err := dnsscan.SystemResolverAddr(); err == nil {
		resolver = r // only for its limit: scanners() says when it is unknown
	}
	lo := netlimit.Options{PerHost: perHost, Global: global, Budget: budget}
	if resolver != "" {
		lo.Hosts = map[string]int{netlimit.ResolverKey(resolver): resInflight}
	}
	o.limiter = netlimit.NewWith(lo)
	// Without --ca-file every scanner is given no pool and uses the system
	// roots, loaded only when a certificate is verified: commands that
	// verify none do not pay the 13–19 ms it takes.
	if f := a.v.GetString("ca_file"); f != "" {
		roots, err := x509.SystemCertPool()
		if err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
		pem, err := os.ReadFile(f)
		if err != nil {
			return netOptions{}, usageErr("--ca-file: %v", err)
		}
		if !roots.AppendCertsFromPEM(pem) {
			return netOptions{}, usageErr("--ca-file %s: no PEM certificate found in it", f)
		}
		o.roots = roots
	}
	return o, nil
}

// checkHostPort checks the syntax of HOST:PORT: a host, and a port from 1
// to 65535 in decimal.
func checkHostPort(hp string) error {
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("no host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	return nil
}
