package checks

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Params are a control's verify parameters (Control.Verify.Params) with
// typed getters. An absent or blank value gives the default; a value that
// does not parse gives the default and an error naming the key.
type Params map[string]string

// String returns the trimmed value of key, or def when it is absent or blank.
func (p Params) String(key, def string) string {
	if v, ok := p[key]; ok {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return def
}

// Int returns the value of key as a decimal integer.
func (p Params) Int(key string, def int) (int, error) {
	v := p.String(key, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def, fmt.Errorf("checks: parameter %s: %q is not an integer", key, v)
	}
	return n, nil
}

// Bool returns the value of key as a boolean: true/false, yes/no, on/off,
// 1/0, case-insensitive.
func (p Params) Bool(key string, def bool) (bool, error) {
	v := strings.ToLower(p.String(key, ""))
	switch v {
	case "":
		return def, nil
	case "true", "yes", "on", "1", "t", "y":
		return true, nil
	case "false", "no", "off", "0", "f", "n":
		return false, nil
	}
	return def, fmt.Errorf("checks: parameter %s: %q is not a boolean (want true or false)", key, v)
}

// Duration returns the value of key as a Go duration ("36h", "90m") or a
// whole number of days ("14d").
func (p Params) Duration(key string, def time.Duration) (time.Duration, error) {
	v := p.String(key, "")
	if v == "" {
		return def, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n >= 0 && n <= 100000 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return def, fmt.Errorf("checks: parameter %s: %q is not a duration (want e.g. 14d or 36h)", key, v)
	}
	return d, nil
}
