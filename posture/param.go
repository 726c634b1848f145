package posture

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParamType is the type of a check parameter's value, as trust.yaml writes
// it. Every value is read from the YAML text; the type says which texts a
// check accepts.
type ParamType string

const (
	// ParamString is any non-empty text.
	ParamString ParamType = "string"
	// ParamInt is a decimal integer within Min and Max.
	ParamInt ParamType = "integer"
	// ParamBool is true or false (yes/no and on/off too).
	ParamBool ParamType = "boolean"
	// ParamDuration is a whole number of days ("14d") or a Go duration
	// ("36h", "90m"), not negative.
	ParamDuration ParamType = "duration"
	// ParamTLSVersion is a TLS protocol version: "1.0" to "1.3"
	// ("TLSv1.2" and "TLS1.2" are read as "1.2"); Enum lists those a check
	// accepts.
	ParamTLSVersion ParamType = "tls_version"
	// ParamEnum is one of Enum, compared case-insensitively.
	ParamEnum ParamType = "enum"
	// ParamList is a YAML list or a comma-separated text; each item is
	// one of Enum when Enum is set.
	ParamList ParamType = "list"
	// ParamFile is a path to a file, relative to trust.yaml.
	ParamFile ParamType = "file"
)

// Param declares one parameter of a check: trust.yaml is validated against
// it at load, the JSON Schema and the docs are generated from it, and the
// check reads the parsed value.
type Param struct {
	Name string    `json:"name"`
	Type ParamType `json:"type"`
	// Doc is one line: what the value means.
	Doc string `json:"doc"`
	// Default is the value used when the parameter is absent, as text;
	// empty when there is none (the parameter is then optional and unset,
	// or Required).
	Default  string `json:"default,omitempty"`
	Required bool   `json:"required,omitempty"`
	// Min and Max bound an integer (inclusive) when set.
	Min *int `json:"min,omitempty"`
	Max *int `json:"max,omitempty"`
	// Enum lists the accepted values of an enum, the accepted items of a
	// list, or the accepted versions of a tls_version, in canonical form.
	Enum []string `json:"enum,omitempty"`
	// Aliases are other spellings of Enum values (softfail for ~), read
	// as the value they stand for.
	Aliases map[string]string `json:"aliases,omitempty"`
	// Format names a file's expected content (e.g. "nuclei-template") or
	// what a string or list item is ("domain", "cookie-name"), for the
	// reader and for validators the caller supplies.
	Format string `json:"format,omitempty"`
}

// Need is what a check needs observed to judge a control: one scanner's
// observations of the control's targets of one kind, and whether that
// scanner must send its active (attack-shaped) probe. A scan starts only
// the scanners, and sends only the probes, that some control needs.
type Need struct {
	Scanner ScannerID  `json:"scanner"`
	Targets TargetKind `json:"targets"`
	// Active is set when the check judges what the scanner's active probe
	// shows (waf.present: a payload blocked where the baseline is not).
	Active bool `json:"active,omitempty"`
	// Feature names a part of the scanner that is off unless a control
	// asks for it ("starttls": connect to the MX hosts of mail targets;
	// "template": run the user's nuclei template).
	Feature string `json:"feature,omitempty"`
	// Param, when set, is the parameter whose value the feature takes
	// (the template's path).
	Param string `json:"param,omitempty"`
}

// Value is a parameter's value, parsed by Param.Parse: the field its Type
// uses is set, and Text holds the canonical text of every type.
type Value struct {
	Text     string        `json:"text"`
	Int      int           `json:"int,omitempty"`
	Bool     bool          `json:"bool,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	List     []string      `json:"list,omitempty"`
}

// Parse reads raw (the YAML text; a list's items joined by commas) as a
// value of p. Its error says what was wanted, without the parameter's
// name (the caller names the field).
func (p Param) Parse(raw string) (Value, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Value{}, fmt.Errorf("empty: give %s, or leave the key out", p.want())
	}
	switch p.Type {
	case ParamString, ParamFile:
		return Value{Text: s}, nil
	case ParamInt:
		n, err := strconv.Atoi(s)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not an integer (want %s)", s, p.want())
		}
		if (p.Min != nil && n < *p.Min) || (p.Max != nil && n > *p.Max) {
			return Value{}, fmt.Errorf("%d is out of range (want %s)", n, p.want())
		}
		return Value{Text: strconv.Itoa(n), Int: n}, nil
	case ParamBool:
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return Value{Text: "true", Bool: true}, nil
		case "false", "no", "off":
			return Value{Text: "false"}, nil
		}
		return Value{}, fmt.Errorf("%q is not a boolean (want true or false)", s)
	case ParamDuration:
		d, ok := parseDuration(s)
		if !ok {
			return Value{}, fmt.Errorf("%q is not a duration (want e.g. 14d or 36h)", s)
		}
		return Value{Text: s, Duration: d}, nil
	case ParamTLSVersion:
		v, ok := canonicalTLSVersion(s)
		if !ok || (len(p.Enum) > 0 && !slices.Contains(p.Enum, v)) {
			return Value{}, fmt.Errorf("%q is not a TLS version this check takes (want %s)", s, p.want())
		}
		return Value{Text: v}, nil
	case ParamEnum:
		v, ok := p.enumValue(s)
		if !ok {
			return Value{}, fmt.Errorf("%q is not one of %s", s, quoteList(p.Enum))
		}
		return Value{Text: v}, nil
	case ParamList:
		var items []string
		for _, it := range strings.Split(s, ",") {
			it = strings.TrimSpace(it)
			if it == "" {
				continue
			}
			if len(p.Enum) > 0 {
				v, ok := p.enumValue(it)
				if !ok {
					return Value{}, fmt.Errorf("item %q is not one of %s", it, quoteList(p.Enum))
				}
				it = v
			}
			if !slices.Contains(items, it) {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			return Value{}, fmt.Errorf("empty list: give %s, or leave the key out", p.want())
		}
		return Value{Text: strings.Join(items, ","), List: items}, nil
	}
	return Value{}, fmt.Errorf("parameter type %q is unknown", p.Type)
}

// enumValue returns the entry of p.Enum equal to s, ignoring case.
func (p Param) enumValue(s string) (string, bool) {
	for a, e := range p.Aliases {
		if strings.EqualFold(a, s) {
			return e, true
		}
	}
	for _, e := range p.Enum {
		if strings.EqualFold(e, s) {
			return e, true
		}
	}
	return "", false
}

// Want says in words which values p takes, for errors and docs.
func (p Param) Want() string { return p.want() }

func (p Param) want() string {
	switch p.Type {
	case ParamInt:
		switch {
		case p.Min != nil && p.Max != nil:
			return fmt.Sprintf("an integer from %d to %d", *p.Min, *p.Max)
		case p.Min != nil:
			return fmt.Sprintf("an integer of at least %d", *p.Min)
		case p.Max != nil:
			return fmt.Sprintf("an integer of at most %d", *p.Max)
		}
		return "an integer"
	case ParamBool:
		return "true or false"
	case ParamDuration:
		return "a duration such as 14d or 36h"
	case ParamTLSVersion:
		if len(p.Enum) > 0 {
			return quoteList(p.Enum)
		}
		return `a TLS version, "1.0" to "1.3"`
	case ParamEnum:
		return quoteList(p.Enum)
	case ParamList:
		if len(p.Enum) > 0 {
			return "a list of " + quoteList(p.Enum)
		}
		return "a list (YAML list or comma-separated)"
	case ParamFile:
		return "a file path, relative to trust.yaml"
	}
	return "a value"
}

func quoteList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	switch len(q) {
	case 0:
		return "nothing"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// parseDuration reads "14d" (whole days) or a Go duration; never negative.
func parseDuration(s string) (time.Duration, bool) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 && n <= 100000 {
			return time.Duration(n) * 24 * time.Hour, true
		}
		return 0, false
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// canonicalTLSVersion reads "1.2", "TLSv1.2", "TLS1.2" or "TLS 1.2" as
// "1.2", for 1.0 to 1.3.
func canonicalTLSVersion(s string) (string, bool) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tls")
	v = strings.TrimPrefix(v, "v")
	v = strings.TrimSpace(v)
	switch v {
	case "1.0", "1.1", "1.2", "1.3":
		return v, true
	case "1":
		return "1.0", true
	}
	return "", false
}
