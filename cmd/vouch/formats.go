package main

import (
	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// registry is what trust.yaml is validated against when it loads: every
// check with its declared parameters, the checks' own refusals, and the
// file formats a parameter may name (a nuclei control's template is read
// and checked then, so that a typo in it is a usage error before anything
// is scanned).
func registry() config.Registry {
	return config.Registry{
		Rules:       checks.Rules(),
		Validate:    checks.ValidateValue,
		FileFormats: map[string]func([]byte) error{"nuclei-template": wafscan.ValidateTemplate},
	}
}
