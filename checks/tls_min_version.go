package checks

import (
	"fmt"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// tls.min_version: no protocol older than the declared minimum is accepted,
// and at least one at or above it is. RFC 8996 deprecates TLS 1.0 and 1.1
// (MUST NOT negotiate them), RFC 7568 SSLv3; NIST SP 800-52r2 §3.1 requires
// TLS 1.2 and support for TLS 1.3.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.min_version",
			Title:       "Disable TLS versions older than the declared minimum",
			Description: "Every TLS endpoint (each IP a host resolves to) refuses SSLv3 and every TLS version below the minimum, and accepts at least one version at or above it.",
			Citation:    "RFC 8996 §2-3 (TLS 1.0 and 1.1 MUST NOT be used); RFC 7568 (SSLv3); NIST SP 800-52r2 §3.1",
			Severity:    posture.SeverityHigh,
			Remediation: "Set the server's minimum protocol to TLS 1.2 (nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3; load balancers: a TLS 1.2+ security policy) on every endpoint, then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				{Name: "min", Type: posture.ParamTLSVersion, Enum: []string{"1.0", "1.1", "1.2", "1.3"}, Default: "1.2", Doc: "lowest protocol version accepted (\"TLSv1.2\" and \"TLS1.2\" read as \"1.2\")"},
			},
			Needs: needTLSWeb,
			Claim: "all traffic uses TLS 1.2 or higher",
		},
		Run: runTLSMinVersion,
	})
}

// enabledCode is the issue code for an old protocol that is accepted.
var enabledCode = map[string]posture.Code{
	posture.SSLv3:   CodeTLSSSL3Enabled,
	posture.TLSv1_0: CodeTLS10Enabled,
	posture.TLSv1_1: CodeTLS11Enabled,
	posture.TLSv1_2: CodeTLS12Enabled,
}

// tlsVersionName is the protocol name (posture.TLSv1_2) of a canonical
// tls_version parameter value ("1.2").
func tlsVersionName(v string) string {
	name, err := parseTLSVersion(v)
	if err != nil {
		panic(err) // the parameter's type admits only 1.0 to 1.3
	}
	return name
}

// parseTLSVersion reads "1.2", "TLSv1.2", "TLS1.2", "tls 1.2" (and SSLv3).
func parseTLSVersion(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "sslv3", "ssl3", "ssl 3", "ssl3.0", "sslv3.0":
		return posture.SSLv3, nil
	}
	t = strings.TrimPrefix(t, "tls")
	t = strings.TrimSpace(strings.TrimPrefix(t, "v"))
	switch t {
	case "1", "1.0":
		return posture.TLSv1_0, nil
	case "1.1":
		return posture.TLSv1_1, nil
	case "1.2":
		return posture.TLSv1_2, nil
	case "1.3":
		return posture.TLSv1_3, nil
	}
	return "", fmt.Errorf("checks: parameter min: %q is not a TLS version (want 1.0, 1.1, 1.2 or 1.3)", s)
}

func runTLSMinVersion(in Input) []posture.Finding {
	min := tlsVersionName(in.Args.String("min"))
	expected := fmt.Sprintf("no protocol older than %s accepted; %s or newer accepted", min, min)
	var out []posture.Finding
	for _, o := range directTLS(in) {
		out = append(out, judgeTLSMinVersion(o, min, expected))
	}
	return out
}

func judgeTLSMinVersion(o posture.TLSObservation, min, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	byName := map[string]posture.ProtocolSupport{}
	for _, p := range o.Protocols {
		byName[p.Name] = p
	}
	minRank := posture.ProtocolRank(min)
	type unk struct {
		name   string
		reason *posture.Missing
	}
	var (
		offered, unknown  []string
		firstOld          string
		oldUnk, modernUnk *unk
		modernYes         bool
	)
	for rank, name := range posture.ProtocolNames {
		p, probed := byName[name]
		state, reason := triOr(p.Offered), p.Missing
		if !probed {
			reason = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: name + " was not probed"}
		}
		// A default handshake that settled on this version shows it is
		// accepted even when the per-version probe could not tell.
		if state == posture.Unknown && o.Negotiated != nil && o.Negotiated.Protocol == name {
			state = posture.Yes
		}
		switch state {
		case posture.Yes:
			offered = append(offered, name)
		case posture.Unknown:
			u := name
			if reason != nil {
				u += " (" + reason.Error() + ")"
			}
			unknown = append(unknown, u)
		}
		switch {
		case rank < minRank && state == posture.Yes && firstOld == "":
			firstOld = name
		case rank < minRank && state == posture.Unknown && oldUnk == nil:
			oldUnk = &unk{name, reason}
		case rank >= minRank && state == posture.Yes:
			modernYes = true
		case rank >= minRank && state == posture.Unknown && modernUnk == nil:
			modernUnk = &unk{name, reason}
		}
	}
	observed := "accepted: none"
	if len(offered) > 0 {
		observed = "accepted: " + strings.Join(offered, ", ")
	}
	if len(unknown) > 0 {
		observed += "; could not tell: " + strings.Join(unknown, ", ")
	}
	ev := o.EvidenceIDs()
	switch {
	case firstOld != "":
		return contradicted(o.Observation, enabledCode[firstOld], expected, observed,
			fmt.Sprintf("%s accepts %s, older than the declared minimum %s", endpoint(o), firstOld, min), ev)
	case !modernYes && modernUnk == nil:
		return contradicted(o.Observation, CodeTLSNoneModern, expected, observed,
			fmt.Sprintf("%s accepts no protocol version at or above %s", endpoint(o), min), ev)
	case oldUnk != nil || !modernYes:
		u := oldUnk
		if u == nil {
			u = modernUnk
		}
		reason := u.reason
		if reason == nil {
			reason = &posture.Missing{Reason: posture.ReasonError, Detail: u.name + ": support not determined"}
		}
		return inconclusive(o.Observation, reason, expected, observed,
			fmt.Sprintf("could not tell whether %s accepts %s; not counted as a pass or a gap", endpoint(o), u.name), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// endpoint names a TLS observation's endpoint as declared.
func endpoint(o posture.TLSObservation) string {
	if o.Endpoint != "" {
		return o.Endpoint
	}
	return o.Target.HostPort()
}
