package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/posture"
)

var flagChecksJSON = config.Flag{Name: "json", Key: "json", Default: false,
	Usage: "print the checks' declarations as JSON (the rule objects of report.json)"}

func (a *app) checksCommand() *cobra.Command {
	return a.command(&cobra.Command{
		Use:   "checks [KIND]",
		Short: "List every verify kind with its parameters, or describe one",
		Long: `List the checks a control's verify can name (its kind), with their
parameters; with a KIND, describe that check in full: what it verifies, the
citation it follows, its default severity (a control's severity: replaces it,
lower or higher), its remediation, what it needs observed, and each
parameter's type, default and meaning.

This is the registry vouch validates trust.yaml against, and from which the
JSON Schema (schema/trust.schema.json) and docs/trust-yaml.md are generated.`,
		Example: `  vouch checks
  vouch checks email.dmarc
  vouch checks --json | jq '.[].id'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			rules := checks.Rules()
			if len(args) == 1 {
				c, ok := checks.Lookup(args[0])
				if !ok {
					hint := fmt.Sprintf("known: %s", strings.Join(checks.Kinds(), ", "))
					if s := config.Suggest(args[0], checks.Kinds()); s != "" {
						hint = fmt.Sprintf("did you mean %q?", s)
					}
					return usageErr("checks: unknown check %q (%s)", args[0], hint)
				}
				rules = []posture.Rule{c.Rule}
			}
			if a.v.GetBool("json") {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				if len(args) == 1 {
					return enc.Encode(rules[0])
				}
				return enc.Encode(rules)
			}
			if len(args) == 1 {
				describeRule(a.stdout, rules[0])
				return nil
			}
			listRules(a.stdout, rules)
			return nil
		},
	}, flagChecksJSON)
}

func listRules(w io.Writer, rules []posture.Rule) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tSEVERITY\tLOOKS AT\tPARAMETERS\tVERIFIES")
	for _, r := range rules {
		var names []string
		for _, p := range r.Params {
			names = append(names, p.Name)
		}
		params := strings.Join(names, ", ")
		if params == "" {
			params = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, targetsOf(r), params, r.Title)
	}
	tw.Flush()
	fmt.Fprintln(w, "\n'vouch checks KIND' describes one check and its parameters.")
}

// targetsOf is web, mail or both: the targets a rule judges.
func targetsOf(r posture.Rule) string {
	var out []string
	for _, n := range r.Needs {
		if !slices.Contains(out, string(n.Targets)) {
			out = append(out, string(n.Targets))
		}
	}
	return strings.Join(out, ",")
}

func describeRule(w io.Writer, r posture.Rule) {
	fmt.Fprintf(w, "%s: %s\n\n", r.ID, r.Title)
	if r.Description != "" {
		fmt.Fprintf(w, "%s\n\n", r.Description)
	}
	if r.Claim != "" {
		fmt.Fprintf(w, "  claim        %q\n", r.Claim)
	}
	fmt.Fprintf(w, "  citation     %s\n", r.Citation)
	fmt.Fprintf(w, "  severity     %s (a control's severity: replaces it)\n", r.Severity)
	if len(r.Mappings) > 0 {
		fmt.Fprintf(w, "  mappings     %s\n", strings.Join(r.Mappings, ", "))
	}
	for i, n := range r.Needs {
		label := "needs"
		if i > 0 {
			label = ""
		}
		what := fmt.Sprintf("the %s scanner on %s targets", n.Scanner, n.Targets)
		if n.Feature != "" {
			what += ", with its " + n.Feature + " feature"
		}
		if n.Active {
			what += ", and its active (attack-shaped) probe"
		}
		fmt.Fprintf(w, "  %-12s %s\n", label, what)
	}
	fmt.Fprintf(w, "  remediation  %s\n", r.Remediation)
	fmt.Fprintln(w)
	if len(r.Params) == 0 {
		fmt.Fprintf(w, "Parameters: none.\n  verify: {kind: %s}\n", r.ID)
		return
	}
	fmt.Fprintln(w, "Parameters:")
	for _, p := range r.Params {
		fmt.Fprintf(w, "  %s (%s)\n", p.Name, p.Type)
		fmt.Fprintf(w, "      %s\n", p.Doc)
		fmt.Fprintf(w, "      takes %s", p.Want())
		switch {
		case p.Required:
			fmt.Fprint(w, "; required")
		case p.Default != "":
			fmt.Fprintf(w, "; default %q", p.Default)
		default:
			fmt.Fprint(w, "; optional, no default")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nExample:\n  verify: {kind: %s", r.ID)
	for _, p := range r.Params {
		switch {
		case p.Required && p.Type == posture.ParamFile:
			fmt.Fprintf(w, ", %s: checks/%s.yaml", p.Name, strings.ReplaceAll(r.ID, ".", "-"))
		case p.Required && len(p.Enum) > 0:
			fmt.Fprintf(w, ", %s: %q", p.Name, p.Enum[0])
		case p.Required:
			fmt.Fprintf(w, ", %s: ...", p.Name)
		case p.Default == "":
		case p.Type == posture.ParamInt || p.Type == posture.ParamBool || p.Type == posture.ParamEnum && !strings.ContainsAny(p.Default, "-~?+"):
			fmt.Fprintf(w, ", %s: %s", p.Name, p.Default)
		default:
			fmt.Fprintf(w, ", %s: %q", p.Name, p.Default)
		}
	}
	fmt.Fprintln(w, "}")
}
