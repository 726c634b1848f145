package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// MaxTargets bounds a target list (vouch scan --targets): a fleet of
// thousands fits, a runaway file does not.
const MaxTargets = 100_000

// maxTargetLine bounds one line of a target list.
const maxTargetLine = 4096

// Targets is a target list read by ParseTargets: web origins and mail
// domains, in the order of the file.
type Targets struct {
	Web  []string
	Mail []string
}

// ParseTargets reads a target list named name (for messages; "-" is
// standard input): one https:// origin or mail domain per line, as
// scope.web and scope.mail take them; blank lines and everything from a
// # that starts a line or follows a space are ignored. Every problem is an
// Error naming the file and line; a target listed twice is one.
func ParseTargets(name string, r io.Reader) (Targets, error) {
	if name == "-" {
		name = "standard input"
	}
	var (
		out  Targets
		errs Errors
		seen = map[string]int{}
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxTargetLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.Index(line, "#"); i == 0 || (i > 0 && (line[i-1] == ' ' || line[i-1] == '\t')) {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fail := func(format string, a ...any) {
			errs = append(errs, &Error{File: name, Line: n, Msg: fmt.Sprintf(format, a...)})
		}
		if strings.ContainsAny(line, " \t") {
			fail("%q: one target a line (a URL or a mail domain), with no spaces", line)
			continue
		}
		if first, ok := seen[line]; ok {
			fail("%q is already listed at line %d", line, first)
			continue
		}
		seen[line] = n
		if strings.Contains(line, "://") {
			if msg := webURLProblem(line); msg != "" {
				fail("%s", msg)
				continue
			}
			out.Web = append(out.Web, line)
		} else {
			if msg := domainProblem(line); msg != "" {
				fail("%s (want an https:// origin or a mail domain)", msg)
				continue
			}
			out.Mail = append(out.Mail, line)
		}
		if len(out.Web)+len(out.Mail) > MaxTargets {
			fail("more than %d targets: split the list", MaxTargets)
			break
		}
		if len(errs) >= 50 {
			errs = append(errs, &Error{File: name, Line: n, Msg: "too many problems; the rest of the file was not read"})
			break
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			errs = append(errs, &Error{File: name, Line: n + 1, Msg: fmt.Sprintf("line longer than %d bytes", maxTargetLine)})
		} else {
			return Targets{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(errs) > 0 {
		return Targets{}, errs
	}
	return out, nil
}

// AddTargets adds t to the scope of d: the targets not already in
// scope.web or scope.mail, after them. Controls without targets: apply to
// every target of their kind, so to these too; scope.exclude still keeps
// a target out.
func AddTargets(d *posture.Declaration, t Targets) {
	d.Scope.Web = appendNew(d.Scope.Web, t.Web)
	d.Scope.Mail = appendNew(d.Scope.Mail, t.Mail)
}

func appendNew(have, add []string) []string {
	in := setOf(have)
	for _, a := range add {
		if !in[a] {
			in[a] = true
			have = append(have, a)
		}
	}
	return have
}
