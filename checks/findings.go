package checks

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vouchdev/vouch/posture"
)

// The helpers below build findings for checks. Target is the declared
// address (what waivers name); the connected source, when there is one,
// goes into the message so that per-IP findings stay apart.

func verified(o posture.Observation, expected, observed string, evidence []string) posture.Finding {
	return posture.Finding{
		Target:     o.Target.Address,
		Verdict:    posture.Verified,
		Expected:   clean(expected),
		Observed:   clean(observed),
		Message:    clean("holds" + at(o)),
		Evidence:   evidence,
		ObservedAt: o.ObservedAt,
	}
}

func contradicted(o posture.Observation, code posture.Code, expected, observed, message string, evidence []string) posture.Finding {
	return posture.Finding{
		Target:     o.Target.Address,
		Verdict:    posture.Contradicted,
		Code:       code,
		Expected:   clean(expected),
		Observed:   clean(observed),
		Message:    clean(message + at(o)),
		Evidence:   evidence,
		ObservedAt: o.ObservedAt,
	}
}

// inconclusive builds a could-not-observe finding. reason is copied (nil
// becomes an "error" reason carrying message).
func inconclusive(o posture.Observation, reason *posture.Missing, expected, observed, message string, evidence []string) posture.Finding {
	r := posture.Missing{Reason: posture.ReasonError, Detail: message}
	if reason != nil {
		r = *reason
	}
	r.Detail = clean(r.Detail)
	if observed == "" {
		observed = "not observed: " + r.Error()
	}
	return posture.Finding{
		Target:     o.Target.Address,
		Verdict:    posture.Inconclusive,
		Expected:   clean(expected),
		Observed:   clean(observed),
		Message:    clean(message + at(o)),
		Reason:     &r,
		Evidence:   evidence,
		ObservedAt: o.ObservedAt,
	}
}

// unobserved is the finding for an observation the scanner could not make
// at all (o.Missing is set).
func unobserved(o posture.Observation, expected string) posture.Finding {
	return inconclusive(o, o.Missing, expected, "",
		fmt.Sprintf("%s scanner could not observe %s (%s); not counted as a pass or a gap", o.Scanner, o.Target.Address, o.Missing.Error()),
		o.EvidenceIDs())
}

// httpsUnobserved is the inconclusive finding for an HTTP observation
// whose HTTPS response is missing (the target, or its HTTPS fetch, could
// not be observed); nil when the response is there to judge. what says
// what the missing response leaves unknown ("its cookies"), or "".
func httpsUnobserved(o posture.HTTPObservation, expected, what string) *posture.Finding {
	var f posture.Finding
	switch {
	case !o.Observed():
		f = unobserved(o.Observation, expected)
	case o.HTTPSMissing != nil:
		unknown := ""
		if what != "" {
			unknown = ", so " + what + " are unknown"
		}
		f = inconclusive(o.Observation, o.HTTPSMissing, expected, "",
			fmt.Sprintf("could not fetch %s over HTTPS (%s)%s; not counted as a pass or a gap", o.Target.Address, o.HTTPSMissing.Error(), unknown), o.EvidenceIDs())
	case o.HTTPS == nil:
		f = inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "no HTTPS response recorded"}, expected, "",
			fmt.Sprintf("the scan recorded no HTTPS response for %s; not counted as a pass or a gap", o.Target.Address), o.EvidenceIDs())
	default:
		return nil
	}
	return &f
}

func at(o posture.Observation) string {
	if o.Source == "" {
		return ""
	}
	return " (at " + o.Source + ")"
}

// ids joins evidence IDs, skipping empty and repeated ones.
func ids(groups ...[]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, g := range groups {
		for _, id := range g {
			if id != "" && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out
}

func one(id string) []string {
	if id == "" {
		return nil
	}
	return []string{id}
}

// or returns the evidence ids if there are any, else the fallback.
func or(evidence, fallback []string) []string {
	if len(evidence) > 0 {
		return evidence
	}
	return ids(fallback)
}

// quote shortens server-sent text for a message; the full text stays in
// the evidence.
func quote(s string) string {
	const max = 300
	s = strings.ToValidUTF8(s, "?")
	if len(s) > max {
		cut := max
		for cut > 0 && (s[cut]&0xC0) == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// problem is one reason a claim does not hold.
type problem struct {
	code posture.Code
	text string
}

// joinProblems says every problem; the finding's code is the first one's.
func joinProblems(ps []problem) string {
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = p.text
	}
	return strings.Join(texts, "; ")
}

func triOr(t posture.Tri) posture.Tri {
	if t == posture.Yes || t == posture.No {
		return t
	}
	return posture.Unknown
}

// maxText bounds the text of one finding field; the full data stays in
// the evidence.
const maxText = 2000

// leaf is the last dotted part of a code: unsafe_inline of
// http.csp.unsafe_inline.
func leaf(c posture.Code) string {
	s := string(c)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// clean makes text built from server-sent data safe to print: valid UTF-8,
// no control characters (a terminal escape sequence in a TXT record must
// not reach the gap table), and bounded in length.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return '?'
		}
		return r
	}, s)
	if len(s) > maxText {
		cut := maxText
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
