package checks

import (
	"fmt"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// tls.starttls: every MX host of a mail domain offers STARTTLS (RFC 3207)
// on port 25 and negotiates TLS 1.2 or newer with a certificate that is
// valid for the MX host name. Mail between servers is only encrypted in
// transit when the receiving MX offers STARTTLS; RFC 8314 §5 and RFC 8461
// (MTA-STS) §4 ask senders to require it with a certificate that matches
// the MX host, and RFC 9325 §3.1.1 (and RFC 8996) rule out TLS below 1.2.
//
// It reads the TLS observations the scanner made over STARTTLS (STARTTLS
// "smtp", MXOf the domain) and the domain's MX record from the DNS
// observation: an MX host the TLS scan did not reach is inconclusive, not
// a pass.

func init() {
	Register(Check{
		Rule: posture.Rule{
			ID:          "tls.starttls",
			Title:       "Offer STARTTLS with TLS 1.2+ and a valid certificate on every MX host",
			Description: "Every MX host of each mail domain in scope offers STARTTLS on port 25, negotiates at least TLS min, and (unless certificate is any) serves a certificate that is trusted, current and valid for the MX host name.",
			Citation:    "RFC 3207 (SMTP STARTTLS); RFC 8461 §4 (MTA-STS: MX certificate validation); RFC 8314 §5; RFC 9325 §3.1.1 and RFC 8996 (TLS 1.2 or newer)",
			Severity:    posture.SeverityHigh,
			Remediation: "Enable STARTTLS on every MX host (Postfix: smtpd_tls_security_level = may, smtpd_tls_chain_files with a certificate for the MX host name, smtpd_tls_protocols = >=TLSv1.2), renew certificates automatically, then rescan.",
			Mappings:    []string{"SOC2:CC6.7", "ISO27001:A.8.24", "CIS:3.10"},
			Params: []posture.Param{
				{Name: "min", Type: posture.ParamTLSVersion, Enum: []string{"1.0", "1.1", "1.2", "1.3"}, Default: "1.2", Doc: "lowest version STARTTLS may negotiate"},
				enumParam("certificate", "valid", []string{"valid", "any"}, "valid: trusted, current and matching the MX host; any: only encryption is claimed"),
			},
			Needs: []posture.Need{{Scanner: posture.ScannerTLS, Targets: posture.TargetMail, Feature: "starttls"}, {Scanner: posture.ScannerDNS, Targets: posture.TargetMail}},
			Claim: "mail in transit to us is encrypted (STARTTLS on every MX host)",
		},
		Run: runTLSSTARTTLS,
	})
}

func runTLSSTARTTLS(in Input) []posture.Finding {
	min := tlsVersionName(in.Args.String("min"))
	certMode := in.Args.String("certificate")
	expected := fmt.Sprintf("STARTTLS offered, %s or newer negotiated", min)
	if certMode == "valid" {
		expected += ", certificate trusted, current and valid for the MX host"
	}
	var out []posture.Finding
	covered := map[string]bool{} // domain \x00 mx host
	for _, o := range in.Snapshot.TLS {
		if o.STARTTLS == "" {
			continue
		}
		covered[normHost(o.MXOf)+"\x00"+normHost(o.ServerName)] = true
		out = append(out, judgeSTARTTLS(o, min, certMode == "valid", in.Now, expected))
	}
	// MX hosts the DNS scan saw but the TLS scan did not reach, and mail
	// domains whose MX hosts are not known at all.
	domains := map[string]bool{}
	for k := range covered {
		domains[strings.SplitN(k, "\x00", 2)[0]] = true
	}
	for _, d := range in.Snapshot.DNS {
		domain := normHost(d.Domain)
		if domain == "" {
			domain = d.Target.Host()
		}
		ev := d.EvidenceIDs()
		switch {
		case !d.Observed():
			if !domains[domain] {
				out = append(out, unobserved(d.Observation, expected))
			}
			continue
		case d.MX == nil || d.MX.Missing != nil:
			if !domains[domain] {
				reason := &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "MX record of " + domain + " not looked up"}
				if d.MX != nil {
					reason = d.MX.Missing
					ev = ids(one(d.MX.Evidence), ev)
				}
				out = append(out, inconclusive(d.Observation, reason, expected, "",
					fmt.Sprintf("the MX hosts of %s are not known, so STARTTLS could not be checked; not counted as a pass or a gap", domain), ev))
			}
			continue
		}
		hosts := d.MX.Values
		if len(hosts) == 0 && d.MX.Found == posture.No {
			hosts = []string{domain} // RFC 5321 §5.1: no MX, the domain itself
		}
		for _, mx := range hosts {
			host := normHost(mx)
			if host == "" || host == "." || covered[domain+"\x00"+host] {
				continue
			}
			o := d.Observation
			o.Source = ""
			out = append(out, inconclusive(o, &posture.Missing{Reason: posture.ReasonNotScanned, Detail: "MX host " + host + " was not reached over STARTTLS"}, expected, "",
				fmt.Sprintf("MX host %s of %s was not observed over STARTTLS; not counted as a pass or a gap", host, domain), ids(one(d.MX.Evidence), ev)))
		}
	}
	return out
}

func normHost(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }

func judgeSTARTTLS(o posture.TLSObservation, min string, wantValid bool, now time.Time, expected string) posture.Finding {
	if !o.Observed() {
		return unobserved(o.Observation, expected)
	}
	name := endpoint(o)
	if o.MXOf != "" {
		name = fmt.Sprintf("MX %s of %s", endpoint(o), o.MXOf)
	}
	ev := o.EvidenceIDs()
	// The version a default client gets: the negotiated one, else the
	// newest the probes saw accepted.
	best, unknownAbove, anyUnknown := "", false, false
	var reason *posture.Missing
	for _, p := range posture.ProtocolNames {
		st, r := protocolState(o, p)
		switch st {
		case posture.Yes:
			best, unknownAbove = p, false
		case posture.Unknown:
			unknownAbove, anyUnknown = true, true
			if reason == nil {
				reason = r
			}
		}
	}
	if n := o.Negotiated; n != nil && n.Protocol != "" {
		best, unknownAbove = n.Protocol, false
	}
	var parts []string
	if best != "" {
		parts = append(parts, "STARTTLS negotiates "+best)
		if n := o.Negotiated; n != nil && n.CipherSuite != "" {
			parts[0] += " with " + n.CipherSuite
		}
	}
	c := o.Certificate
	if c != nil {
		parts = append(parts, fmt.Sprintf("certificate %s, names [%s], valid until %s, trusted %s, host name match %s",
			quote(c.Subject), strings.Join(c.DNSNames, ", "), c.NotAfter.UTC().Format(time.DateOnly), triOr(c.Trusted), triOr(c.HostnameMatch)))
		ev = ids(one(c.ChainEvidence), ev)
	}
	observed := strings.Join(parts, "; ")
	switch {
	case best == "" && !anyUnknown:
		return contradicted(o.Observation, CodeSTARTTLSNotOffered, expected, "no TLS over STARTTLS",
			fmt.Sprintf("%s does not offer STARTTLS (or refuses every TLS version after it)", name), ev)
	case best == "" || (unknownAbove && posture.ProtocolRank(best) < posture.ProtocolRank(min)):
		if reason == nil {
			reason = &posture.Missing{Reason: posture.ReasonError, Detail: "protocol support not determined"}
		}
		return inconclusive(o.Observation, reason, expected, observed,
			fmt.Sprintf("could not tell which TLS version %s negotiates over STARTTLS; not counted as a pass or a gap", name), ev)
	case posture.ProtocolRank(best) < posture.ProtocolRank(min):
		return contradicted(o.Observation, CodeSTARTTLSOldVersion, expected, observed,
			fmt.Sprintf("%s negotiates %s over STARTTLS, older than %s", name, best, min), ev)
	}
	if !wantValid {
		return verified(o.Observation, expected, observed, ev)
	}
	if c == nil {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "no certificate recorded"}, expected, observed,
			fmt.Sprintf("the scan recorded no certificate for %s; not counted as a pass or a gap", name), ev)
	}
	var ps []string
	switch {
	case !c.NotAfter.IsZero() && now.After(c.NotAfter):
		ps = append(ps, "certificate expired on "+c.NotAfter.UTC().Format(time.DateOnly))
	case !c.NotBefore.IsZero() && now.Before(c.NotBefore):
		ps = append(ps, "certificate not valid before "+c.NotBefore.UTC().Format(time.DateOnly))
	}
	if c.Trusted == posture.No {
		t := "certificate not trusted"
		if c.ValidationError != "" {
			t += ": " + c.ValidationError
		}
		ps = append(ps, t)
	}
	if c.HostnameMatch == posture.No {
		ps = append(ps, "certificate does not cover "+o.ServerName)
	}
	if len(ps) > 0 {
		return contradicted(o.Observation, CodeSTARTTLSCertInvalid, expected, observed, name+": "+strings.Join(ps, "; "), ev)
	}
	if triOr(c.Trusted) == posture.Unknown || triOr(c.HostnameMatch) == posture.Unknown || c.NotAfter.IsZero() {
		return inconclusive(o.Observation, &posture.Missing{Reason: posture.ReasonError, Detail: "certificate trust, name or validity not determined"}, expected, observed,
			fmt.Sprintf("could not tell whether the certificate of %s is valid; not counted as a pass or a gap", name), ev)
	}
	return verified(o.Observation, expected, observed, ev)
}

// directTLS returns the TLS observations a web-facing TLS check judges:
// endpoints reached with TLS directly. Endpoints reached over STARTTLS
// (the MX hosts of mail targets) are judged by tls.starttls, and by other
// TLS checks only when the control names its targets, so that a claim
// about the web site does not silently start covering mail servers.
func directTLS(in Input) []posture.TLSObservation {
	if len(in.Control.Targets) > 0 {
		return in.Snapshot.TLS
	}
	out := make([]posture.TLSObservation, 0, len(in.Snapshot.TLS))
	for _, o := range in.Snapshot.TLS {
		if o.STARTTLS == "" {
			out = append(out, o)
		}
	}
	return out
}
