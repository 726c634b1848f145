// Package deps pins the direct dependencies while the packages that use
// them are being written, so that go mod tidy keeps them. Delete it once
// every dependency below has a real importer.
package deps

import (
	_ "github.com/a-h/templ"
	_ "github.com/miekg/dns"
	_ "github.com/spf13/cobra"
	_ "github.com/spf13/viper"
	_ "github.com/zmap/zcrypto/tls"
	_ "go.yaml.in/yaml/v3"
)
