package checks

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Input is what a check sees: one control and the part of the snapshot in
// its scope.
type Input struct {
	Control posture.Control
	// Params are Control.Verify.Params with typed getters.
	Params Params
	// Snapshot is already filtered to the control's Targets when the
	// control names some. Never nil.
	Snapshot *posture.Snapshot
	// Now is the time the verdict is for (certificate expiry, waivers).
	Now time.Time
}

// Check is one rule and the pure function that applies it.
type Check struct {
	// Rule.ID equals the verify kind, e.g. "tls.min_version".
	Rule posture.Rule
	// Run returns one finding per thing observed (per TLS endpoint IP, per
	// web target, per mail domain); none when nothing of its kind is in
	// scope. The engine fills ControlID, RuleID, Severity, Remediation,
	// Mappings and waivers.
	Run func(in Input) []posture.Finding
}

var registry = struct {
	sync.RWMutex
	checks map[string]Check
}{checks: map[string]Check{}}

// Register adds a check. It is called from init() in each check's file and
// panics on an empty or duplicate ID, a missing Title, Citation,
// Remediation or Run, or an invalid Severity: those are programming errors.
func Register(c Check) {
	r := c.Rule
	switch {
	case r.ID == "":
		panic("checks: Register: rule without ID")
	case r.Title == "":
		panic(fmt.Sprintf("checks: Register %s: no Title", r.ID))
	case r.Citation == "":
		panic(fmt.Sprintf("checks: Register %s: no Citation", r.ID))
	case r.Remediation == "":
		panic(fmt.Sprintf("checks: Register %s: no Remediation", r.ID))
	case r.Severity.Rank() < 0:
		panic(fmt.Sprintf("checks: Register %s: invalid Severity %q", r.ID, r.Severity))
	case c.Run == nil:
		panic(fmt.Sprintf("checks: Register %s: no Run", r.ID))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.checks[r.ID]; dup {
		panic(fmt.Sprintf("checks: Register %s: duplicate ID", r.ID))
	}
	registry.checks[r.ID] = c
}

// All returns every registered check, sorted by ID.
func All() []Check {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Check, 0, len(registry.checks))
	for _, id := range slices.Sorted(maps.Keys(registry.checks)) {
		c := registry.checks[id]
		c.Rule = cloneRule(c.Rule)
		out = append(out, c)
	}
	return out
}

// Lookup returns the check whose ID is id.
func Lookup(id string) (Check, bool) {
	registry.RLock()
	defer registry.RUnlock()
	c, ok := registry.checks[id]
	if ok {
		c.Rule = cloneRule(c.Rule)
	}
	return c, ok
}

// Kinds returns the registered IDs, sorted: the valid verify kinds.
func Kinds() []string {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Sorted(maps.Keys(registry.checks))
}

// ValidateParams reports whether params suit the check kind: the kind is
// registered, every key is one the rule documents, and every value parses.
// Config validation may call it to reject a typo before a scan; Evaluate
// applies the same rules and turns a failure into an inconclusive finding.
func ValidateParams(kind string, params map[string]string) error {
	c, ok := Lookup(kind)
	if !ok {
		return fmt.Errorf("checks: unknown verify kind %q (known: %v)", kind, Kinds())
	}
	if bad := unknownParams(c.Rule, params); len(bad) > 0 {
		return fmt.Errorf("checks: %s: unknown parameter %q (known: %v)", kind, bad[0], slices.Sorted(maps.Keys(c.Rule.Params)))
	}
	// Every check parses its parameters before it looks at the snapshot,
	// so a run over an empty snapshot reports exactly the parameter errors.
	ctl := posture.Control{Verify: &posture.Verify{Kind: kind, Params: params}}
	for _, f := range runCheck(c, Input{Control: ctl, Params: params, Snapshot: &posture.Snapshot{}}) {
		if f.Code == CodeParamInvalid || f.Code == CodePanicked {
			return fmt.Errorf("checks: %s: %s", kind, f.Reason.Detail)
		}
	}
	return nil
}

// unknownParams lists, sorted, the keys of params the rule does not document.
func unknownParams(r posture.Rule, params map[string]string) []string {
	var bad []string
	for k := range params {
		if _, ok := r.Params[k]; !ok {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	return bad
}

func cloneRule(r posture.Rule) posture.Rule {
	r.Mappings = slices.Clone(r.Mappings)
	r.Params = maps.Clone(r.Params)
	return r
}
