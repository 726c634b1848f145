package main

import (
	"crypto/ed25519"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
)

var (
	flagBaseline = config.Flag{Name: "baseline", Key: "baseline", Default: "",
		Usage: "an earlier report.json: print what regressed, what was fixed, what is new"}
	flagFailOnRegression = config.Flag{Name: "fail-on-regression", Key: "fail_on_regression", Default: false,
		Usage: "exit 1 when anything regressed against --baseline (for nightly CI that fails only on new problems)"}
	flagZip = config.Flag{Name: "zip", Key: "zip", Default: false,
		Usage: "also pack the evidence bundle as evidence/<scan-id>.zip for hand-over"}
	flagSignKey = config.Flag{Name: "sign-key", Key: "sign_key", Default: "",
		Usage: "ed25519 private key (PEM PKCS#8 from 'openssl genpkey -algorithm ed25519') to sign the evidence manifest"}
	flagVerifyKey = config.Flag{Name: "key", Key: "verify_key", Default: "",
		Usage: "ed25519 public key (PEM) the manifest signature must verify with"}
	flagDiffFormat = config.Flag{Name: "format", Shorthand: "f", Key: "diff_format", Default: "table",
		Usage: "output format: table, json, markdown"}
)

func readReportFile(path string) (*posture.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	defer f.Close()
	r, err := report.ReadReport(f)
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return r, nil
}

func (a *app) diffCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Show what regressed, what was fixed and what is new between two reports",
		Long: `Compare two reports written by 'vouch scan'. Each gap is keyed by control,
target and issue code:

  regressed      contradicted now, not before (including an expired waiver)
  fixed          contradicted before, verified now
  still_failing  contradicted in both
  unobserved     contradicted before, inconclusive now: not a fix
  waived         contradicted before, waived now

Exits 1 when anything regressed, 0 otherwise.`,
		Example: `  vouch diff yesterday/report.json out/report.json
  vouch diff old.json new.json -f markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := report.ParseFormat(a.v.GetString("diff_format"))
			if err != nil {
				return usageErr("--format: %v", err)
			}
			old, err := readReportFile(args[0])
			if err != nil {
				return err
			}
			cur, err := readReportFile(args[1])
			if err != nil {
				return err
			}
			d := report.Diff(old, cur)
			if err := report.WriteDiff(a.stdout, d, f); err != nil {
				return usageErr("%v", err)
			}
			if d.HasRegression() {
				a.exitCode = exitGaps
			}
			return nil
		},
	}, flagDiffFormat)
}

func (a *app) evidenceCommand() *cobra.Command {
	ev := &cobra.Command{
		Use:   "evidence",
		Short: "Work with evidence bundles (verify)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return usageErr("evidence: name a subcommand: verify (see vouch evidence --help)")
		},
	}
	ev.AddCommand(a.command(&cobra.Command{
		Use:   "verify DIR",
		Short: "Re-hash every file of an evidence bundle; fail on any changed, missing or extra byte",
		Long: `Check an evidence bundle written by 'vouch scan' (DIR = evidence/<scan-id>):
every file listed in manifest.json must have the SHA-256 recorded there,
and no file may be missing or unlisted. With --key, the manifest's ed25519
signature (manifest.json.sig) must verify too.

Exits 0 when the bundle is intact, 1 when it is not.`,
		Example: `  vouch evidence verify out/evidence/20261123T093000Z-1a2b3c --key auditor-pub.pem`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var keys []ed25519.PublicKey
			if p := a.v.GetString("verify_key"); p != "" {
				b, err := os.ReadFile(p)
				if err != nil {
					return usageErr("--key: %v", err)
				}
				k, err := report.ParsePublicKey(b)
				if err != nil {
					return usageErr("--key %s: %v", p, err)
				}
				keys = append(keys, k)
			}
			if err := report.VerifyEvidence(args[0], keys...); err != nil {
				fmt.Fprintf(a.stderr, "vouch: evidence %s does NOT verify:\n%v\n", args[0], err)
				a.exitCode = exitGaps
				return nil
			}
			fmt.Fprintf(a.stdout, "evidence %s: intact\n", args[0])
			return nil
		},
	}, flagVerifyKey))
	return ev
}

// loadBaseline reads --baseline, before anything is scanned: nil without
// one. --fail-on-regression without it is a usage error.
func (a *app) loadBaseline() (*posture.Report, error) {
	p := a.v.GetString("baseline")
	if p == "" {
		if a.v.GetBool("fail_on_regression") {
			return nil, usageErr("--fail-on-regression needs --baseline report.json")
		}
		return nil, nil
	}
	return readReportFile(p)
}

// compareBaseline prints the drift of cur against old, the --baseline
// report (to stderr, so stdout stays the table), and applies
// --fail-on-regression. Without a baseline it does nothing.
func (a *app) compareBaseline(cur, old *posture.Report) error {
	if old == nil {
		return nil
	}
	d := report.Diff(old, cur)
	fmt.Fprintf(a.stderr, "\ndrift against %s:\n", a.v.GetString("baseline"))
	if err := report.WriteDiff(a.stderr, d, report.FormatTable); err != nil {
		return err
	}
	if d.HasRegression() && a.v.GetBool("fail_on_regression") {
		a.exitCode = exitGaps
	}
	return nil
}
