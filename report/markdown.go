package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// mdEscaper escapes text for GitHub-flavoured Markdown, in a table cell or
// in running text: HTML is written as entities so that no tag reaches the
// page, and the punctuation that starts emphasis, code, links or strikeout
// or ends a table cell is backslash-escaped (CommonMark §2.4).
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "~", `\~`, "#", `\#`,
)

// md is declared or observed text made safe for one line of Markdown.
func md(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

// mdDash is md, or "—" for empty text (an empty cell reads as missing).
func mdDash(s string) string {
	if s = md(s); s == "" {
		return "—"
	}
	return s
}

var plainID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]*$`)

// mdCode shows an identifier as code when it is plain enough to need no
// escaping, and as escaped text otherwise.
func mdCode(s string) string {
	if plainID.MatchString(s) {
		return "`" + s + "`"
	}
	return mdDash(s)
}

func writeMarkdown(w io.Writer, r *posture.Report) error {
	var b strings.Builder
	title := "vouch gap report"
	if r.Organization.Name != "" {
		title += ": " + r.Organization.Name
	}
	fmt.Fprintf(&b, "## %s\n\n", md(title))

	var meta []string
	if r.ScanID != "" {
		meta = append(meta, "scan "+mdCode(r.ScanID))
	}
	if !r.GeneratedAt.IsZero() {
		meta = append(meta, "generated "+stamp(r.GeneratedAt))
	}
	if r.Tool.Version != "" {
		meta = append(meta, md(r.Tool.Name+" "+r.Tool.Version))
	}
	if len(meta) > 0 {
		b.WriteString(strings.Join(meta, " · ") + "\n\n")
	}

	var parts []string
	for _, c := range counts(r) {
		p := fmt.Sprintf("%d %s", c.N, label(c.Verdict))
		if c.N > 0 && (c.Verdict == posture.Contradicted || c.Verdict == posture.Inconclusive) {
			p = "**" + p + "**"
		}
		parts = append(parts, p)
	}
	fmt.Fprintf(&b, "%d controls: %s\n\n", len(r.Controls), strings.Join(parts, " · "))

	gs := gaps(r)
	if len(gs) == 0 {
		b.WriteString("No gaps: every claim that could be observed holds.\n\n")
	} else {
		b.WriteString("### Gaps\n\n")
		b.WriteString("| Verdict | Severity | Control | Target | Expected | Observed | Remediation |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
		for _, g := range gs {
			f := g.Finding
			obs := observed(f)
			if f.WaiverExpired != nil {
				obs += " (" + expiredText(f.WaiverExpired) + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n",
				label(f.Verdict), md(severityText(f.Severity)), mdCode(g.Control.Control.ID),
				mdDash(f.Target), mdDash(f.Expected), mdDash(obs), mdDash(f.Remediation))
		}
		b.WriteString("\n")
	}

	fmt.Fprintf(&b, "<details>\n<summary>All controls (%d)</summary>\n\n", len(r.Controls))
	if len(r.Controls) > 0 {
		b.WriteString("| Verdict | Severity | Control | Section | Statement | Detail |\n")
		b.WriteString("|---|---|---|---|---|---|\n")
		for _, c := range r.Controls {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n",
				label(c.Verdict), md(severityText(c.Severity)), mdCode(c.Control.ID),
				mdDash(c.Control.Section), mdDash(c.Control.Statement), mdDash(detail(c)))
		}
		b.WriteString("\n")
	}
	b.WriteString("</details>\n")

	if fws := frameworks(r); len(fws) > 0 {
		fmt.Fprintf(&b, "\n<details>\n<summary>By framework (%d)</summary>\n\n", len(fws))
		for _, g := range fws {
			fmt.Fprintf(&b, "#### %s\n\n| Requirement | Verdict | Control | Section |\n|---|---|---|---|\n", md(g.Name))
			for _, req := range g.Requirements {
				for _, c := range req.Controls {
					fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdCode(req.Ref), label(c.Verdict), mdCode(c.Control.ID), mdDash(c.Control.Section))
				}
			}
			b.WriteString("\n")
		}
		b.WriteString("</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
