package main

import (
	"github.com/vouchdev/vouch/config"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// A nuclei control's template is read and checked when trust.yaml loads,
// so that a typo in it is a usage error before anything is scanned.
func init() {
	config.FileFormats["nuclei-template"] = wafscan.ValidateTemplate
}
