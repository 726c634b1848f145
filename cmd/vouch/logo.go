package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// maxLogo is the largest logo file vouch reads; the site refuses more too.
const maxLogo = 1 << 20

// readLogo reads the organisation's logo, a path relative to baseDir (the
// folder of trust.yaml). A logo that is a URL or cannot be read is left
// out of the site, with a warning: the page never shows a broken image.
func (a *app) readLogo(org posture.Organization, baseDir string) []byte {
	if org.Logo == "" {
		return nil
	}
	if strings.Contains(org.Logo, "://") || filepath.IsAbs(org.Logo) {
		fmt.Fprintf(a.stderr, "vouch: warning: organization.logo %q: want a path relative to trust.yaml; the site shows no logo\n", org.Logo)
		return nil
	}
	f, err := os.Open(filepath.Join(baseDir, org.Logo))
	if err != nil {
		fmt.Fprintf(a.stderr, "vouch: warning: organization.logo: %v; the site shows no logo\n", err)
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLogo+1))
	if err != nil || len(b) > maxLogo {
		fmt.Fprintf(a.stderr, "vouch: warning: organization.logo %s: unreadable or larger than 1 MiB; the site shows no logo\n", org.Logo)
		return nil
	}
	return b
}
