package checks

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Args are a control's verify parameters parsed against its check's
// declared Params (posture.Rule.Params): every declared parameter with a
// default or a given value is present, already typed. A check reads them
// with the getter of the parameter's type; asking for a parameter the
// check does not declare, or with the getter of another type, is a
// programming error and panics (the engine turns that into the control's
// check.panicked finding, and the registry tests run every check).
type Args struct {
	kind   string
	params map[string]posture.Param
	vals   map[string]posture.Value
}

// ParamError is one problem with one parameter of a control's verify.
// Param is empty for a problem with the kind itself.
type ParamError struct {
	Param string
	Msg   string
}

func (e ParamError) Error() string {
	if e.Param == "" {
		return e.Msg
	}
	return "parameter " + e.Param + ": " + e.Msg
}

// parseArgs parses raw against rule's declared parameters. Every problem
// is returned, in the order of the declaration, unknown keys last.
func parseArgs(rule posture.Rule, raw map[string]string, validate map[string]func(posture.Value) error) (Args, []ParamError) {
	a := Args{kind: rule.ID, params: map[string]posture.Param{}, vals: map[string]posture.Value{}}
	var errs []ParamError
	for _, p := range rule.Params {
		a.params[p.Name] = p
		text, given := raw[p.Name]
		switch {
		case !given && p.Required:
			errs = append(errs, ParamError{p.Name, fmt.Sprintf("required: %s (%s)", p.Doc, p.Want())})
			continue
		case !given && p.Default == "":
			continue
		case !given:
			text = p.Default
		}
		v, err := p.Parse(text)
		if err == nil && given && validate[p.Name] != nil {
			err = validate[p.Name](v)
		}
		if err != nil {
			errs = append(errs, ParamError{p.Name, err.Error()})
			continue
		}
		a.vals[p.Name] = v
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if _, ok := a.params[k]; !ok {
			errs = append(errs, ParamError{k, "unknown parameter"})
		}
	}
	return a, errs
}

func (a Args) value(name string, t posture.ParamType) (posture.Value, bool) {
	p, ok := a.params[name]
	if !ok {
		panic(fmt.Sprintf("checks: %s reads parameter %q, which it does not declare", a.kind, name))
	}
	if p.Type != t && !(t == posture.ParamString && (p.Type == posture.ParamEnum || p.Type == posture.ParamTLSVersion || p.Type == posture.ParamFile)) {
		panic(fmt.Sprintf("checks: %s reads parameter %q (%s) as %s", a.kind, name, p.Type, t))
	}
	v, ok := a.vals[name]
	return v, ok
}

// Has reports whether the parameter has a value (given, or a default).
func (a Args) Has(name string) bool {
	if _, ok := a.params[name]; !ok {
		panic(fmt.Sprintf("checks: %s asks for parameter %q, which it does not declare", a.kind, name))
	}
	_, ok := a.vals[name]
	return ok
}

// String returns the canonical text of a string, enum, tls_version or file
// parameter; "" when it has no value.
func (a Args) String(name string) string {
	v, _ := a.value(name, posture.ParamString)
	return v.Text
}

// Int returns an integer parameter; 0 when it has no value.
func (a Args) Int(name string) int {
	v, _ := a.value(name, posture.ParamInt)
	return v.Int
}

// Bool returns a boolean parameter; false when it has no value.
func (a Args) Bool(name string) bool {
	v, _ := a.value(name, posture.ParamBool)
	return v.Bool
}

// Duration returns a duration parameter; 0 when it has no value.
func (a Args) Duration(name string) time.Duration {
	v, _ := a.value(name, posture.ParamDuration)
	return v.Duration
}

// List returns the items of a list parameter; nil when it has no value.
func (a Args) List(name string) []string {
	v, _ := a.value(name, posture.ParamList)
	return append([]string(nil), v.List...)
}

// Declaration helpers, so that a check's Params read as data.

func intRange(lo, hi int) (*int, *int) { return &lo, &hi }

// intParam declares an integer parameter from lo to hi.
func intParam(name string, def, lo, hi int, doc string) posture.Param {
	mn, mx := intRange(lo, hi)
	return posture.Param{Name: name, Type: posture.ParamInt, Default: fmt.Sprint(def), Min: mn, Max: mx, Doc: doc}
}

// boolParam declares a boolean parameter.
func boolParam(name string, def bool, doc string) posture.Param {
	return posture.Param{Name: name, Type: posture.ParamBool, Default: fmt.Sprint(def), Doc: doc}
}

// enumParam declares a parameter that is one of values (def among them,
// or "" for none).
func enumParam(name, def string, values []string, doc string) posture.Param {
	return posture.Param{Name: name, Type: posture.ParamEnum, Default: def, Enum: values, Doc: doc}
}

// Needs shared by many checks.
var (
	needTLSWeb  = []posture.Need{{Scanner: posture.ScannerTLS, Targets: posture.TargetWeb}}
	needHTTPWeb = []posture.Need{{Scanner: posture.ScannerHTTP, Targets: posture.TargetWeb}}
	needDNSMail = []posture.Need{{Scanner: posture.ScannerDNS, Targets: posture.TargetMail}}
)
