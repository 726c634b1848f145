package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
	"github.com/vouchdev/vouch/site"
)

// The commands here never touch the network: they judge or render what an
// earlier scan recorded.

func (a *app) checkCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "check --snapshot FILE -c trust.yaml",
		Short: "Judge a recorded snapshot against trust.yaml, offline",
		Long: `Judge a snapshot recorded by an earlier scan (DIR/snapshot.json, or the
snapshot.json of an evidence bundle, or 'vouch probe ... --json') against
the controls of trust.yaml, without touching the network. Useful to try a
change to trust.yaml, or to re-judge old evidence with a newer vouch.

Prints the verdict table (or --format) and exits like 'vouch scan'.`,
		Example: `  vouch check --snapshot vouch-out/snapshot.json -c trust.yaml
  vouch check --snapshot snapshot.json -c trust.yaml --format sarif > vouch.sarif`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			failOn, err := a.failOn()
			if err != nil {
				return err
			}
			path := a.v.GetString("snapshot")
			if path == "" {
				return usageErr("check: --snapshot FILE is required")
			}
			snap, err := readSnapshot(path)
			if err != nil {
				return err
			}
			decl, err := a.loadDeclaration(a.v.GetString("config"))
			if err != nil {
				return err
			}
			format, err := report.ParseFormat(a.v.GetString("format"))
			if err != nil {
				return usageErr("--format: %v", err)
			}
			baseline, err := a.loadBaseline()
			if err != nil {
				return err
			}
			rep := checks.Evaluate(decl, snap, checks.Options{Now: a.now().UTC(), Tool: tool()})
			if err := report.Write(a.stdout, &rep, format, report.Options{Color: a.color(), Internal: true}); err != nil {
				return err
			}
			a.setExit(&rep, failOn)
			return a.compareBaseline(&rep, baseline)
		},
	}, flagSnapshot, flagConfig, flagFailOn, flagFailOnInconclusive, flagFormat, flagBaseline, flagFailOnRegression)
}

func readSnapshot(path string) (*posture.Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("snapshot: %v", err)
	}
	var s posture.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, usageErr("snapshot %s: not a vouch snapshot: %v", path, err)
	}
	if s.SchemaVersion != posture.SchemaVersion {
		return nil, usageErr("snapshot %s: schema_version %q, this vouch reads %q", path, s.SchemaVersion, posture.SchemaVersion)
	}
	return &s, nil
}

func (a *app) readReport() (*posture.Report, error) {
	path := a.v.GetString("from")
	if path == "" {
		return nil, usageErr("--from report.json is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr("report: %v", err)
	}
	defer f.Close()
	r, err := report.ReadReport(f)
	if err != nil {
		return nil, usageErr("report %s: %v", path, err)
	}
	return r, nil
}

func (a *app) reportCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "report --from DIR/report.json --format FORMAT",
		Short: "Render a report in another format: " + strings.Join(report.FormatNames(), ", "),
		Long: `Render a report written by 'vouch scan' in the format CI or people need,
on stdout:

` + formatList(),
		Example: `  vouch report --from vouch-out/report.json --format sarif > vouch.sarif
  vouch report --from vouch-out/report.json --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			format, err := report.ParseFormat(a.v.GetString("format"))
			if err != nil {
				return usageErr("--format: %v", err)
			}
			r, err := a.readReport()
			if err != nil {
				return err
			}
			return report.Write(a.stdout, r, format, report.Options{Color: a.color(), Internal: true})
		},
	}, flagFrom, flagFormat)
}

func (a *app) siteCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "site --from DIR/report.json [-o DIR]",
		Short: "Build the public trust center from a report",
		Long: `Build the static public trust center from a report written by 'vouch scan':
index.html, style.css, controls.json and .well-known/security.txt. Plain
files, no JavaScript, no external resources: serve them from any static
host. Only public controls appear, and only verified ones say "Verified".
The logo named by organization.logo is read relative to the current
directory and copied into the site.

The directory is replaced atomically: a failure leaves the previous site.`,
		Example: `  vouch site --from vouch-out/report.json -o public --base-url https://trust.example.com`,
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := a.readReport()
			if err != nil {
				return err
			}
			dir := a.v.GetString("site_output")
			if err := site.Build(dir, r, site.Options{BaseURL: a.v.GetString("base_url"), Now: a.now().UTC(), Logo: a.readLogo(r.Organization, ".")}); err != nil {
				return scanErr("site: %v", err)
			}
			fmt.Fprintf(a.stdout, "site: %s\n", dir)
			return nil
		},
	}, flagFrom, flagSiteOut, flagBaseURL)
}

// formatList is every output format with its line of doc, for --help.
func formatList() string {
	var b strings.Builder
	for _, f := range report.Formats() {
		fmt.Fprintf(&b, "  %-10s %s\n", f, f.Doc())
	}
	return strings.TrimSuffix(b.String(), "\n")
}
