package checks

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Options are what Evaluate needs besides its inputs.
type Options struct {
	// Now is the time the report is for: certificate expiry and waivers are
	// judged at Now, and it becomes Report.GeneratedAt. When zero, the
	// snapshot's FinishedAt is used for judging (the package never reads
	// the clock).
	Now  time.Time
	Tool posture.Tool
}

// Evaluate judges snap against decl: one ControlResult per control, in
// declaration order. It never fails: whatever cannot be judged is
// inconclusive, with a reason.
func Evaluate(decl posture.Declaration, snap *posture.Snapshot, o Options) posture.Report {
	if snap == nil {
		snap = &posture.Snapshot{}
	}
	now := o.Now
	if now.IsZero() {
		now = snap.FinishedAt
	}
	excluded := snap.Excluded
	if len(excluded) == 0 {
		excluded = decl.Scope.Exclude
	}
	rep := posture.Report{
		SchemaVersion: posture.SchemaVersion,
		ScanID:        snap.ID,
		Tool:          o.Tool,
		GeneratedAt:   o.Now,
		ScanStarted:   snap.StartedAt,
		ScanFinished:  snap.FinishedAt,
		Organization:  decl.Organization,
		Scope:         slices.Clone(snap.Scope),
		Excluded:      slices.Clone(excluded),
		Resolver:      snap.Resolver,
		Controls:      make([]posture.ControlResult, 0, len(decl.Controls)),
	}
	sorted := sortedCopy(snap)
	rules := map[string]posture.Rule{}
	for _, c := range decl.Controls {
		rep.Controls = append(rep.Controls, evaluateControl(c, sorted, decl.Waivers, now, rules))
	}
	for _, id := range slices.Sorted(maps.Keys(rules)) {
		rep.Rules = append(rep.Rules, rules[id])
	}
	rep.Summarize()
	return rep
}

func evaluateControl(c posture.Control, snap *posture.Snapshot, waivers []posture.Waiver, now time.Time, rules map[string]posture.Rule) posture.ControlResult {
	res := posture.ControlResult{Control: c}
	if c.Verify == nil {
		if c.Attested != nil {
			res.Verdict = posture.Attested
			res.Severity = c.Severity
			return res
		}
		return engineFailure(res, CodeNoMethod, "the control has neither verify nor attested, so there is nothing to judge")
	}
	chk, ok := Lookup(c.Verify.Kind)
	if !ok {
		return engineFailure(res, CodeKindUnknown, fmt.Sprintf("unknown verify kind %q: no check has that ID (known kinds: %s)", c.Verify.Kind, strings.Join(Kinds(), ", ")))
	}
	rule := chk.Rule
	rules[rule.ID] = rule
	// A control's severity replaces the check's default, lower or
	// higher: the company knows what the claim is worth to it.
	severity := rule.Severity
	if c.Severity != "" {
		severity = c.Severity
	}

	var findings []posture.Finding
	if args, errs := parseArgs(rule, c.Verify.Params, chk.Validate); len(errs) > 0 {
		// config refuses these at load; a snapshot judged offline with an
		// old or hand-edited declaration can still get here.
		code := CodeParamInvalid
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
			if e.Msg == MsgUnknownParam {
				code = CodeParamUnknown
			}
		}
		detail := strings.Join(msgs, "; ")
		findings = []posture.Finding{{
			Verdict: posture.Inconclusive,
			Code:    code,
			Message: fmt.Sprintf("%s cannot use its parameters, so nothing was judged: %s (known: %s)", rule.ID, detail, strings.Join(paramNames(rule), ", ")),
			Reason:  &posture.Missing{Reason: posture.ReasonError, Detail: detail},
		}}
	} else {
		in := Input{Control: c, Args: args, Snapshot: snap, Now: now}
		if len(c.Targets) > 0 {
			in.Snapshot = filterSnapshot(snap, c.Targets)
		}
		findings = runCheck(chk, in)
	}
	if len(findings) == 0 {
		res.Verdict = posture.NotApplicable
		res.Severity = severity
		return res
	}

	for i := range findings {
		f := &findings[i]
		f.ControlID = c.ID
		f.RuleID = rule.ID
		f.Severity = severity
		if f.Remediation == "" {
			f.Remediation = rule.Remediation
		}
		f.Mappings = union(rule.Mappings, c.Mappings, f.Mappings)
		switch f.Verdict {
		case posture.Verified, posture.Contradicted, posture.Inconclusive:
		default:
			// Only the engine gives attested, waived and not_applicable.
			f.Reason = &posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("check returned verdict %q", f.Verdict)}
			f.Message = fmt.Sprintf("check %s returned verdict %q, which only the engine may give; treated as inconclusive", rule.ID, f.Verdict)
			f.Verdict = posture.Inconclusive
			f.Code = CodeBadVerdict
		}
		if f.Verdict == posture.Contradicted {
			applyWaivers(f, c.ID, waivers, now)
		}
	}
	sortFindings(findings)
	res.Findings = findings

	verdicts := make([]posture.Verdict, len(findings))
	for i, f := range findings {
		verdicts[i] = f.Verdict
	}
	res.Verdict = posture.Combine(verdicts...)
	res.Severity = severity
	var worst posture.Severity
	for _, f := range findings {
		if f.Verdict == posture.Contradicted {
			worst = worst.Max(f.Severity)
		}
	}
	if worst != "" {
		res.Severity = worst
	}
	if res.Verdict == posture.Verified {
		for _, f := range findings {
			if f.ObservedAt.After(res.VerifiedAt) {
				res.VerifiedAt = f.ObservedAt
			}
		}
	}
	return res
}

// engineFailure gives a control one inconclusive finding the engine wrote
// itself (unknown kind, no method).
func engineFailure(res posture.ControlResult, code posture.Code, msg string) posture.ControlResult {
	sev := res.Control.Severity.Max(posture.SeverityInfo)
	res.Verdict = posture.Inconclusive
	res.Severity = sev
	res.Findings = []posture.Finding{{
		ControlID: res.Control.ID,
		Verdict:   posture.Inconclusive,
		Severity:  sev,
		Code:      code,
		Message:   msg,
		Reason:    &posture.Missing{Reason: posture.ReasonError, Detail: msg},
		Mappings:  union(res.Control.Mappings),
	}}
	return res
}

// runCheck runs a check and turns a panic into one inconclusive finding.
func runCheck(c Check, in Input) (out []posture.Finding) {
	defer func() {
		if r := recover(); r != nil {
			detail := fmt.Sprintf("check panicked: %v", r)
			out = []posture.Finding{{
				Verdict: posture.Inconclusive,
				Code:    CodePanicked,
				Message: fmt.Sprintf("check %s failed, so nothing was judged: %s", c.Rule.ID, detail),
				Reason:  &posture.Missing{Reason: posture.ReasonError, Detail: detail},
			}}
		}
	}()
	return c.Run(in)
}

// applyWaivers waives a contradicted finding a current waiver covers, or
// records the newest expired waiver that would have covered it.
func applyWaivers(f *posture.Finding, control string, waivers []posture.Waiver, now time.Time) {
	var expired *posture.Waiver
	for _, w := range waivers {
		if w.Control != control || (w.Target != "" && w.Target != f.Target) {
			continue
		}
		if w.Applies(control, f.Target, now) {
			w := w
			f.Verdict = posture.Waived
			f.Waiver = &w
			f.Message = appendMsg(f.Message, fmt.Sprintf("waived by %s until %s: %s", w.Approver, w.Expires.Format(time.DateOnly), w.Reason))
			return
		}
		if expired == nil || w.Expires.After(expired.Expires) {
			w := w
			expired = &w
		}
	}
	if expired != nil {
		f.WaiverExpired = expired
		f.Message = appendMsg(f.Message, fmt.Sprintf("waiver by %s expired on %s", expired.Approver, expired.Expires.Format(time.DateOnly)))
	}
}

func appendMsg(msg, more string) string {
	if msg == "" {
		return more
	}
	return msg + "; " + more
}

// union merges id lists, sorted, without duplicates or blanks.
func union(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if s = strings.TrimSpace(s); s != "" && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// sortFindings orders findings by target and code, then by what tells
// per-IP findings of one target apart.
func sortFindings(fs []posture.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		if a.Verdict != b.Verdict {
			return a.Verdict < b.Verdict
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		return a.Observed < b.Observed
	})
}

// sortedCopy returns a copy of s whose observation lists are in a stable
// order; s itself is not changed.
func sortedCopy(s *posture.Snapshot) *posture.Snapshot {
	out := s.Clone()
	out.Sort()
	return out
}

// filterSnapshot keeps the observations of the named targets. A name
// matches a target's address (or kind:address) ignoring case and a
// trailing slash or dot.
func filterSnapshot(s *posture.Snapshot, targets []string) *posture.Snapshot {
	want := map[string]bool{}
	for _, t := range targets {
		want[normTarget(t)] = true
	}
	keep := func(t posture.Target) bool {
		return want[normTarget(t.Address)] || want[normTarget(t.String())]
	}
	return s.Filter(keep)
}

func normTarget(s string) string {
	return strings.TrimRight(strings.ToLower(strings.TrimSpace(s)), "/.")
}

func paramNames(r posture.Rule) []string {
	out := make([]string, len(r.Params))
	for i, p := range r.Params {
		out[i] = p.Name
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
