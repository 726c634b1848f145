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

// DeclareFlags declares flags on fs. Bind them with BindFlags when the
// command that owns fs runs: two commands may declare a flag with the same
// key, and viper keeps one binding per key, so binding at declaration time
// would let the last command declared win.
func DeclareFlags(fs *pflag.FlagSet, flags ...Flag) {
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
	}
}

// BindFlags binds each flag declared on fs to its key and environment
// variable in v. Precedence: flag, then environment, then default.
func BindFlags(v *viper.Viper, fs *pflag.FlagSet, flags ...Flag) error {
	for _, f := range flags {
		pf := fs.Lookup(f.Name)
		if pf == nil {
			return fmt.Errorf("config: flag --%s is not declared", f.Name)
		}
		if err := v.BindPFlag(f.Key, pf); err != nil {
			return err
		}
		if err := v.BindEnv(f.Key, f.Env()); err != nil {
			return err
		}
	}
	return nil
}
