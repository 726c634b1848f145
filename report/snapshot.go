package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// WriteSnapshot prints what a scan observed, for people: one block per
// observation, kind by kind in the order of posture's table of kinds, as
// aligned columns. Nothing is judged: this is what `vouch probe` shows. A
// kind this file has no block for is printed by its headers (target,
// source, time, why it could not be observed), so that a new scanner shows
// up before it is given a block of its own.
func WriteSnapshot(w io.Writer, s *posture.Snapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range posture.Kinds() {
		if write := snapshotBlocks[k.Scanner]; write != nil {
			write(tw, s)
			continue
		}
		for _, o := range k.Headers(s) {
			fmt.Fprintf(tw, "%s %s (%s) at %s\n", k.Title, o.Target.Address, o.Source, o.ObservedAt.Format(time.RFC3339))
			if o.Missing != nil {
				fmt.Fprintf(tw, "  %s\n", couldNot(o.Missing))
			}
		}
	}
	return tw.Flush()
}

// snapshotBlocks print the observations of one kind each.
var snapshotBlocks = map[posture.ScannerID]func(io.Writer, *posture.Snapshot){
	posture.ScannerTLS:  writeTLSBlocks,
	posture.ScannerHTTP: writeHTTPBlocks,
	posture.ScannerDNS:  writeDNSBlocks,
	posture.ScannerWAF:  writeWAFBlocks,
}

// couldNot says why a value was not observed.
func couldNot(m *posture.Missing) string {
	if m == nil {
		return ""
	}
	return "could not observe: " + m.Error()
}

func writeTLSBlocks(tw io.Writer, s *posture.Snapshot) {
	for _, o := range s.TLS {
		fmt.Fprintf(tw, "TLS %s (%s) at %s\n", o.Endpoint, o.Source, o.ObservedAt.Format(time.RFC3339))
		if o.Missing != nil {
			fmt.Fprintf(tw, "  %s\n", couldNot(o.Missing))
			continue
		}
		for _, p := range o.Protocols {
			note := ""
			if p.Missing != nil {
				note = "(" + p.Missing.Error() + ")"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Name, p.Offered, note)
		}
		for _, cs := range o.Suites {
			for _, name := range cs.Accepted {
				fmt.Fprintf(tw, "  %s\t%s\n", cs.Protocol, name)
			}
		}
		if n := o.Negotiated; n != nil {
			fmt.Fprintf(tw, "  negotiated\t%s %s\t%s\n", n.Protocol, n.CipherSuite, n.ALPN)
		}
		if c := o.Certificate; c != nil {
			fmt.Fprintf(tw, "  certificate\t%s\n", c.Subject)
			fmt.Fprintf(tw, "  issuer\t%s\n", c.Issuer)
			fmt.Fprintf(tw, "  names\t%s\n", strings.Join(append(append([]string{}, c.DNSNames...), c.IPAddresses...), ", "))
			fmt.Fprintf(tw, "  valid\t%s .. %s\n", c.NotBefore.UTC().Format("2006-01-02"), c.NotAfter.UTC().Format("2006-01-02"))
			fmt.Fprintf(tw, "  key\t%s %d, %s\n", c.KeyType, c.KeyBits, c.SignatureAlgorithm)
			trust := string(c.Trusted)
			if c.ValidationError != "" {
				trust += " (" + c.ValidationError + ")"
			}
			fmt.Fprintf(tw, "  trusted\t%s\n  hostname match\t%s\n", trust, c.HostnameMatch)
		}
		fmt.Fprintf(tw, "  probes\t%d\n", o.Probes)
	}
}

func writeHTTPBlocks(tw io.Writer, s *posture.Snapshot) {
	for _, o := range s.HTTP {
		fmt.Fprintf(tw, "HTTP %s at %s\n", o.Target.Address, o.ObservedAt.Format(time.RFC3339))
		if o.Missing != nil {
			fmt.Fprintf(tw, "  %s\n", couldNot(o.Missing))
			continue
		}
		for i, h := range o.Redirects {
			fmt.Fprintf(tw, "  hop %d\t%d %s\t→ %s\n", i+1, h.Status, h.URL, h.Location)
		}
		if o.RedirectMissing != nil {
			fmt.Fprintf(tw, "  plain HTTP\t%s\n", couldNot(o.RedirectMissing))
		}
		fmt.Fprintf(tw, "  upgrades to https\t%s\n  same host first\t%s\n", o.UpgradesToHTTPS, o.SameHostFirst)
		if o.HTTPSMissing != nil {
			fmt.Fprintf(tw, "  https\t%s\n", couldNot(o.HTTPSMissing))
		} else if o.HTTPS != nil {
			fmt.Fprintf(tw, "  https\t%d %s\n", o.HTTPS.Status, o.HTTPS.URL)
		}
		if o.HSTS != nil {
			fmt.Fprintf(tw, "  hsts\t%s\tmax-age=%d includeSubDomains=%t preload=%t valid=%t %s\n", o.HSTS.Raw, o.HSTS.MaxAge, o.HSTS.IncludeSubDomains, o.HSTS.Preload, o.HSTS.Valid, posture.JoinCodes(o.HSTS.Issues, " "))
		} else {
			fmt.Fprintf(tw, "  hsts\t(none)\n")
		}
		for _, c := range o.Cookies {
			fmt.Fprintf(tw, "  cookie %s\tsecure=%t httponly=%t samesite=%s\n", c.Name, c.Secure, c.HttpOnly, c.SameSite)
		}
	}
}

func writeDNSBlocks(tw io.Writer, s *posture.Snapshot) {
	for _, o := range s.DNS {
		fmt.Fprintf(tw, "DNS %s via %s at %s\n", o.Domain, o.Resolver, o.ObservedAt.Format(time.RFC3339))
		if o.Missing != nil {
			fmt.Fprintf(tw, "  %s\n", couldNot(o.Missing))
			continue
		}
		lookup := func(label string, l posture.Lookup) {
			switch {
			case l.Missing != nil:
				fmt.Fprintf(tw, "  %s\t%s\t%s\n", label, l.Name, couldNot(l.Missing))
			case l.Found != posture.Yes:
				fmt.Fprintf(tw, "  %s\t%s\t(none: %s)\n", label, l.Name, l.RCode)
			default:
				for _, v := range l.Values {
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", label, l.Name, v)
				}
			}
		}
		if o.SPF != nil {
			lookup("spf", o.SPF.Lookup)
		}
		if o.DMARC != nil {
			lookup("dmarc", o.DMARC.Lookup)
		}
		for _, k := range o.DKIM {
			lookup("dkim "+k.Selector, k.Lookup)
			if k.KeyType != "" {
				fmt.Fprintf(tw, "  \t\t%s %d bits revoked=%t testing=%t\n", k.KeyType, k.KeyBits, k.Revoked, k.Testing)
			}
		}
		if o.MX != nil {
			lookup("mx", *o.MX)
		}
	}
}

func writeWAFBlocks(tw io.Writer, s *posture.Snapshot) {
	for _, o := range s.WAF {
		fmt.Fprintf(tw, "WAF %s at %s\n", o.URL, o.ObservedAt.Format(time.RFC3339))
		if o.Missing != nil {
			fmt.Fprintf(tw, "  %s\n", couldNot(o.Missing))
			continue
		}
		fmt.Fprintf(tw, "  present\t%s\n  vendor\t%s\n  active\t%t\n", o.Present, o.Vendor, o.Active)
		for _, x := range o.Exchanges {
			fmt.Fprintf(tw, "  request\t%d %s\n", x.Status, x.URL)
		}
		for _, sig := range o.Signals {
			fmt.Fprintf(tw, "  signal\t%s\n", sig)
		}
		for _, m := range o.Templates {
			line := string(m.Matched)
			if len(m.Matchers) > 0 {
				line += " (" + strings.Join(m.Matchers, ", ") + ")"
			}
			if m.Missing != nil {
				line += " (" + m.Missing.Error() + ")"
			}
			fmt.Fprintf(tw, "  template %s\tmatched %s\n", m.Template, line)
		}
	}
}
