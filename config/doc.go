// Package config reads vouch's configuration: command-line flags bound to
// one viper instance (flags.go), and the controls file, trust.yaml, which
// it turns into a validated posture.Declaration.
//
// # trust.yaml
//
// A trust.yaml says who the company is, what vouch may scan, and what the
// company claims. Version 1 reads:
//
//	# yaml-language-server: $schema=https://.../schema/trust.schema.json
//	version: 1
//	organization:
//	  name: Acme                                   # required
//	  website: https://acme.example
//	  security_contact: mailto:security@acme.example
//	  logo: logo.svg
//	  color: "#1f6feb"
//	  description: Acme runs payroll for small companies.
//	scope:                                         # nothing outside it is probed
//	  web: [https://app.acme.example]              # https:// (or http://) origins
//	  mail: [acme.example]                         # mail domains
//	  dkim_selectors: [s1]
//	  exclude:
//	    - https://legacy.acme.example
//	    - {address: https://old.acme.example, reason: decommissioned}
//	  passive: [https://app.acme.example]          # no attack-shaped probes
//	controls:
//	  - id: tls-modern                             # ^[a-z0-9][a-z0-9._-]*$, unique
//	    section: Encryption in transit
//	    statement: All traffic uses TLS 1.2 or higher.
//	    verify: {kind: tls.min_version, min: "1.2"} # every key but kind is a parameter
//	    mappings: [SOC2:CC6.7, ISO27001:A.8.24]
//	    severity: high                             # info|low|medium|high|critical
//	  - id: at-rest
//	    section: Encryption at rest
//	    statement: Customer data is encrypted at rest with AES-256.
//	    attested: {by: CTO, reviewed: 2026-10-01, evidence: docs/kms.pdf}
//	    visibility: internal                       # public (default) | internal
//	    on_contradiction: hide                     # under_review (default) | hide
//	    targets: [https://app.acme.example]        # default: every target in scope
//	waivers:
//	  - {control: tls-modern, target: https://app.acme.example,
//	     reason: vendor upgrade, approver: CISO, expires: 2027-01-31}
//
// Each control has exactly one of verify (a check run against what the scan
// observed) or attested (the company's own statement, with who vouches for
// it and when it was last reviewed). Dates are YYYY-MM-DD, midnight UTC.
// docs/trust-yaml.md is the full reference, and trust.schema.json (also
// returned by Schema) the JSON Schema editors validate against.
//
// # Loading
//
// LoadDeclaration and ParseDeclaration read the file twice: into a
// yaml.Node, which keeps line numbers, and into the viper instance, which
// applies VOUCH_* environment overrides (VOUCH_ORGANIZATION_NAME overrides
// organization.name). The node is checked first against the shape the
// embedded JSON Schema describes: types, unknown keys (with a "did you
// mean" hint) and duplicate keys. Then viper's UnmarshalExact decodes the
// declaration's keys, and the values are checked: required fields, URLs,
// domains, dates, enums, unique control ids, waivers that name a control
// and a target in scope. Every problem found is reported, each as an Error
// naming file, line and field path:
//
//	trust.yaml:14: controls[2].statment: unknown key "statment" (did you mean "statement"?)
//
// Each control's verify is checked against its check's declaration in the
// registry (package checks): the kind, and each parameter's name, type,
// range and enum; a file parameter must name a readable file, relative to
// the trust.yaml, and FileFormats lets the caller check its content.
package config
