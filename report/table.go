package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/vouchdev/vouch/posture"
)

// verdictWidth fits the longest verdict label, "not applicable".
const verdictWidth = 14

// ansi holds the SGR colour of each verdict; not applicable stays plain.
var ansi = map[posture.Verdict]string{
	posture.Contradicted: "\x1b[31m", // red
	posture.Inconclusive: "\x1b[33m", // yellow
	posture.Verified:     "\x1b[32m", // green
	posture.Attested:     "\x1b[34m", // blue
	posture.Waived:       "\x1b[35m", // magenta
}

const ansiReset = "\x1b[0m"

// writeTable prints one row per control, worst verdict first, then a
// summary line. The verdict column has a fixed width and stays outside the
// tabwriter, so colour codes never disturb the alignment.
func writeTable(w io.Writer, r *posture.Report, o Options) error {
	rows := slices.Clone(r.Controls)
	slices.SortStableFunc(rows, func(a, b posture.ControlResult) int {
		if d := verdictRank(a.Verdict) - verdictRank(b.Verdict); d != 0 {
			return d
		}
		return b.Severity.Rank() - a.Severity.Rank()
	})

	var cells bytes.Buffer
	tw := tabwriter.NewWriter(&cells, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tCONTROL\tSECTION\tDETAIL")
	for _, c := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n",
			severityText(c.Severity),
			cell(c.Control.ID, 40),
			cell(c.Control.Section, 32),
			cell(detail(c), 100))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(cells.String(), "\n"), "\n")
	if len(lines) != len(rows)+1 {
		return fmt.Errorf("table: %d lines for %d rows", len(lines), len(rows))
	}

	var b strings.Builder
	line := func(s string) {
		b.WriteString(strings.TrimRight(s, " "))
		b.WriteByte('\n')
	}
	line(pad("VERDICT") + lines[0])
	for i, c := range rows {
		v := label(c.Verdict)
		if col, ok := ansi[c.Verdict]; ok && o.Color {
			line(col + v + ansiReset + pad(v)[len(v):] + lines[i+1])
		} else {
			line(pad(v) + lines[i+1])
		}
	}
	b.WriteByte('\n')
	line(summaryLine(r))
	_, err := io.WriteString(w, b.String())
	return err
}

// pad left-aligns s in the verdict column and adds the column gap.
func pad(s string) string {
	return fmt.Sprintf("%-*s  ", verdictWidth, s)
}

// cell is a table cell: one line, no control characters, bounded width.
func cell(s string, n int) string {
	s = truncate(oneLine(s), n)
	if s == "" {
		return "-"
	}
	return s
}

// summaryLine reads "8 controls: 2 contradicted, 1 inconclusive, ...".
func summaryLine(r *posture.Report) string {
	parts := make([]string, 0, len(posture.Verdicts))
	for _, c := range counts(r) {
		parts = append(parts, fmt.Sprintf("%d %s", c.N, label(c.Verdict)))
	}
	noun := "controls"
	if len(r.Controls) == 1 {
		noun = "control"
	}
	return fmt.Sprintf("%d %s: %s", len(r.Controls), noun, strings.Join(parts, ", "))
}
