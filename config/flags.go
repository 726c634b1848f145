package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// EnvPrefix prefixes every environment variable vouch reads: the flag
// --fail-on is VOUCH_FAIL_ON, the key organization.name is
// VOUCH_ORGANIZATION_NAME.
const EnvPrefix = "VOUCH"

// New returns the one viper instance a vouch process uses: environment
// variables VOUCH_* override keys (dots and dashes become underscores).
func New() *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	return v
}

// Flag is a command-line flag declared once: its name, the config key it
// binds to, its environment variable (derived from the key), default and
// usage. Default's type picks the flag's type: string, bool, int,
// time.Duration or []string.
type Flag struct {
	Name      string
	Shorthand string
	Key       string
	Default   any
	Usage     string
}

// Env returns the environment variable that sets the flag.
func (f Flag) Env() string {
	return EnvPrefix + "_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.ToUpper(f.Key))
}

// AddFlags declares flags on fs and binds each to its key and environment
// variable in v. Precedence: flag, then environment, then default.
func AddFlags(v *viper.Viper, fs *pflag.FlagSet, flags ...Flag) {
	for _, f := range flags {
		usage := fmt.Sprintf("%s (env %s)", f.Usage, f.Env())
		switch d := f.Default.(type) {
		case string:
			fs.StringP(f.Name, f.Shorthand, d, usage)
		case bool:
			fs.BoolP(f.Name, f.Shorthand, d, usage)
		case int:
			fs.IntP(f.Name, f.Shorthand, d, usage)
		case time.Duration:
			fs.DurationP(f.Name, f.Shorthand, d, usage)
		case []string:
			fs.StringSliceP(f.Name, f.Shorthand, d, usage)
		default:
			panic(fmt.Sprintf("config: flag %s: unsupported default type %T", f.Name, f.Default))
		}
		if err := v.BindPFlag(f.Key, fs.Lookup(f.Name)); err != nil {
			panic(err)
		}
		if err := v.BindEnv(f.Key, f.Env()); err != nil {
			panic(err)
		}
	}
}
