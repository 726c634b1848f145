package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
	"github.com/vouchdev/vouch/scanners"
)

func (a *app) probeCommand() *cobra.Command {
	probe := &cobra.Command{
		Use:   "probe tls|http|dns|waf TARGET",
		Short: "Run one scanner against one target and print what it observed",
		Long: `Run one scanner ad hoc, without trust.yaml, and print its observations: a
table, or with --json the snapshot JSON (which 'vouch check --snapshot'
can judge later). Nothing is judged here: probe shows what was seen.

  tls   protocol versions (SSLv3 ... TLSv1.3), negotiated suite (IANA
        names), the certificate chain and whether it validates
  http  the redirect chain from http://, HSTS, cookies
  dns   SPF, DMARC, DKIM, MX of a mail domain
  waf   WAF presence and vendor (passive fingerprints, then a handful of
        attack-shaped requests unless --active=false); needs the vouch-waf
        engine next to vouch, on $PATH or at --waf-engine; --template FILE
        also runs your own nuclei template and prints whether it matched

A TARGET for tls, http and waf is a URL or HOST[:PORT] (https:// and port
443 are assumed); for dns it is a domain.`,
		Example: `  vouch probe tls example.com
  vouch probe tls https://127.0.0.1:8443 --ca-file ca.pem --json
  vouch probe dns example.com --resolver 127.0.0.1:5353
  vouch probe waf https://app.example.com --template checks/admin-hidden.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("probe: name a scanner: tls, http, dns or waf (see vouch probe --help)")
		},
	}
	for _, name := range []string{"tls", "http", "dns", "waf"} {
		probe.AddCommand(a.probeSub(name))
	}
	return probe
}

var probeShort = map[string]string{
	"tls":  "Protocols, negotiated suite and certificate of a TLS endpoint",
	"http": "Redirect chain from http://, HSTS and cookies of a web origin",
	"dns":  "SPF, DMARC, DKIM and MX of a mail domain",
	"waf":  "WAF presence and vendor of a web origin",
}

// probeLong is the --help text of the subcommands that need more than
// their one line.
var probeLong = map[string]string{
	"waf": `Look for a web application firewall in front of a web origin, with vouch's
WAF engine (vouch-waf, nuclei with vouch's own templates, offline):

  GET /                           passive fingerprints of WAF and CDN vendors
                                  (headers, cookies, block pages; docs/waf.md)
  GET /?q=vouch-baseline          then, unless --active=false, a baseline
  GET /?q=<xss> / <sqli> / <../>  and three harmless attack-shaped queries

A WAF is present when a payload is blocked and the baseline is not; absent
when every payload is answered like the baseline; unknown otherwise. Five
requests at most, each with User-Agent vouch/<version>.

--template FILE runs your own nuclei template against the target too and
prints whether it matched: the way to write a "kind: nuclei" control. It must
stay on the target (HTTP requests on {{BaseURL}}; see docs/waf.md).

vouch-waf is found with --waf-engine, next to vouch, or on $PATH; build it
with: go build -o bin/ ./cmd/vouch ./cmd/vouch-waf`,
}

func (a *app) probeSub(name string) *cobra.Command {
	c := &cobra.Command{
		Use:   name + " TARGET",
		Short: probeShort[name],
		Long:  probeLong[name],
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := parseProbeTarget(name, args[0])
			if err != nil {
				return usageErr("probe %s: %v", name, err)
			}
			no, err := a.netOptions()
			if err != nil {
				return err
			}
			decl := posture.Declaration{}
			if name == "dns" {
				decl.Scope.DKIMSelectors = a.v.GetStringSlice("selectors")
			}
			// The plan is the one scanner on the one target; for waf, with
			// the active probe unless --active=false, and the --template
			// files as a "nuclei" control would run them.
			sp := posture.ScannerPlan{Scanner: posture.ScannerID(name), Controls: []string{}}
			if name == "waf" {
				sp.Active = a.v.GetBool("active")
				if tpls := a.v.GetStringSlice("templates"); len(tpls) > 0 {
					sp.Features = []posture.FeaturePlan{{Name: posture.FeatureTemplate, Values: tpls}}
				}
			}
			plan := posture.Plan{Targets: []posture.TargetPlan{{Target: t, Scanners: []posture.ScannerPlan{sp}}}}
			scs, resolver, err := a.scanners(no, decl, &plan, scanExtras{})
			if err != nil {
				return err
			}
			if len(scs) != 1 {
				return usageErr("probe %s: a %s target is not one the %s scanner looks at", name, t.Kind, name)
			}
			sc := scs[0]
			if e, ok := sc.(interface{ Err() error }); ok {
				if err := e.Err(); err != nil {
					fmt.Fprintf(a.stderr, "vouch: %s scanner could not run: %s\n", name, oneLine(err.Error()))
				}
			}
			runner := &scanners.Runner{Scanners: []scanners.Scanner{sc}, Plan: &plan, Concurrency: 1, TargetTimeout: a.v.GetDuration("target_timeout"), Now: a.now}
			snap := runner.Run(cmd.Context(), []posture.Target{t})
			snap.ID = newScanID(snap.StartedAt)
			snap.Tool = tool()
			snap.Resolver = resolver
			if observed, total := countObserved(&snap); total > 0 && observed == 0 {
				a.exitCode = exitScanErr
			}
			if a.v.GetBool("json") {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(snap)
			}
			return report.WriteSnapshot(a.stdout, &snap)
		},
	}
	fl := []config.Flag{flagJSON, flagTargetTimeout}
	if name == "waf" {
		fl = append(fl, flagActive, flagWAFEngine, flagTemplates)
	}
	if name == "dns" {
		fl = append(fl, flagSelectors)
	}
	return a.command(c, fl...)
}

// parseProbeTarget turns a command-line TARGET into a posture.Target.
func parseProbeTarget(scanner, arg string) (posture.Target, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return posture.Target{}, fmt.Errorf("empty target")
	}
	if scanner == "dns" {
		if strings.Contains(arg, "/") || strings.Contains(arg, ":") {
			return posture.Target{}, fmt.Errorf("%q: want a mail domain such as example.com", arg)
		}
		return posture.Target{Kind: posture.TargetMail, Address: strings.ToLower(strings.TrimSuffix(arg, "."))}, nil
	}
	if !strings.Contains(arg, "://") {
		arg = "https://" + arg
	}
	u, err := url.Parse(arg)
	if err != nil || u.Host == "" {
		return posture.Target{}, fmt.Errorf("%q: want a URL or HOST[:PORT]", arg)
	}
	if u.Scheme != "https" {
		return posture.Target{}, fmt.Errorf("%q: the target is the HTTPS origin (https://...); vouch finds plain HTTP itself", arg)
	}
	return posture.Target{Kind: posture.TargetWeb, Address: u.Scheme + "://" + u.Host}, nil
}
