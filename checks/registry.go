package checks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Input is what a check sees: one control and the part of the snapshot in
// its scope.
type Input struct {
	Control posture.Control
	// Args are Control.Verify.Params parsed against the rule's declared
	// Params, defaults filled in.
	Args Args
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
	// Validate, when set for a parameter, refuses values its type accepts
	// but the check cannot use (an algorithm name that names nothing).
	// It runs at load, like the type check, and returns the problem in
	// words (without the parameter's name).
	Validate map[string]func(posture.Value) error
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
	case len(r.Needs) == 0:
		panic(fmt.Sprintf("checks: Register %s: no Needs (what it must see observed)", r.ID))
	}
	if err := validateDeclaration(c); err != nil {
		panic(fmt.Sprintf("checks: Register %s: %v", r.ID, err))
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

// Rules returns the rule of every registered check, sorted by ID: what
// config validates trust.yaml against and what the docs, the JSON Schema
// and `vouch checks` are generated from.
func Rules() []posture.Rule {
	var out []posture.Rule
	for _, c := range All() {
		out = append(out, c.Rule)
	}
	return out
}

// ValidateParams checks the parameters of a control whose verify kind is
// kind: every problem at once (unknown, missing, mistyped, out of range,
// not in the enum, refused by the check), in declaration order. An unknown
// kind is one ParamError with an empty Param.
func ValidateParams(kind string, params map[string]string) []ParamError {
	c, ok := Lookup(kind)
	if !ok {
		return []ParamError{{Msg: fmt.Sprintf("unknown verify kind %q (known: %s)", kind, strings.Join(Kinds(), ", "))}}
	}
	_, errs := parseArgs(c.Rule, params, c.Validate)
	return errs
}

// ValidateValue applies the check's own refusal, if it has one, to a
// parameter value its type already accepts: the Validate of a
// config.Registry.
func ValidateValue(kind, param string, v posture.Value) error {
	c, ok := Lookup(kind)
	if !ok {
		return fmt.Errorf("unknown verify kind %q", kind)
	}
	if f := c.Validate[param]; f != nil {
		return f(v)
	}
	return nil
}

// Args parses params against c's declaration, defaults filled in: the
// Input.Args a caller running one check by hand needs. Every problem is
// returned at once, as ValidateParams would.
func (c Check) Args(params map[string]string) (Args, []ParamError) {
	return parseArgs(c.Rule, params, c.Validate)
}

// validateDeclaration checks what a check declares about itself.
func validateDeclaration(c Check) error {
	seen := map[string]bool{}
	for _, p := range c.Rule.Params {
		switch {
		case p.Name == "" || p.Name == "kind" || strings.ToLower(p.Name) != p.Name:
			return fmt.Errorf("parameter name %q: want lower case, not kind", p.Name)
		case seen[p.Name]:
			return fmt.Errorf("parameter %s declared twice", p.Name)
		case p.Doc == "":
			return fmt.Errorf("parameter %s: no Doc", p.Name)
		case (p.Type == posture.ParamEnum) && len(p.Enum) == 0:
			return fmt.Errorf("parameter %s: an enum without values", p.Name)
		case p.Required && p.Default != "":
			return fmt.Errorf("parameter %s: required with a default", p.Name)
		}
		seen[p.Name] = true
		if p.Default != "" {
			if _, err := p.Parse(p.Default); err != nil {
				return fmt.Errorf("parameter %s: default: %v", p.Name, err)
			}
		}
		if v := c.Validate[p.Name]; v != nil && p.Default != "" {
			dv, _ := p.Parse(p.Default)
			if err := v(dv); err != nil {
				return fmt.Errorf("parameter %s: default refused by Validate: %v", p.Name, err)
			}
		}
	}
	for name := range c.Validate {
		if !seen[name] {
			return fmt.Errorf("Validate for undeclared parameter %s", name)
		}
	}
	for _, n := range c.Rule.Needs {
		if _, ok := posture.KindOf(n.Scanner); !ok {
			return fmt.Errorf("needs unknown scanner %q", n.Scanner)
		}
		if n.Targets != posture.TargetWeb && n.Targets != posture.TargetMail {
			return fmt.Errorf("needs %s on unknown target kind %q", n.Scanner, n.Targets)
		}
		if n.Param != "" && !seen[n.Param] {
			return fmt.Errorf("need %s/%s takes undeclared parameter %s", n.Scanner, n.Feature, n.Param)
		}
	}
	return nil
}

func cloneRule(r posture.Rule) posture.Rule {
	r.Mappings = slices.Clone(r.Mappings)
	r.Params = slices.Clone(r.Params)
	for i := range r.Params {
		r.Params[i].Enum = slices.Clone(r.Params[i].Enum)
	}
	r.Needs = slices.Clone(r.Needs)
	return r
}
