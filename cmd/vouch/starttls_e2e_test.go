package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/checks"
	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

// smtpServer is nettest's SMTP server (STARTTLS offered when cfg is not
// nil); it returns the server's port.
func smtpServer(t *testing.T, cfg *tls.Config, sessions *atomic.Int32) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(nettest.SMTPServer(t, cfg, sessions))
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSTARTTLSEndToEnd runs vouch scan on a trust.yaml whose mail domain's
// MX host is an SMTP server on 127.0.0.1 (through an in-process DNS
// server), with tls.starttls controls, and checks each verdict: a server
// that offers STARTTLS with TLS 1.2 and a trusted certificate, the same
// server with a certificate vouch does not trust, one that does not offer
// STARTTLS, and one that is down (inconclusive, never a gap or a pass).
func TestSTARTTLSEndToEnd(t *testing.T) {
	ca, err := pki.NewCA("Mail Test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafOptions{Hosts: []string{"mx.mail.example"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile, err := ca.WriteFile(dir, "ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	dns, err := dnstest.Start("mail.example", `
@   IN SOA ns.mail.example. hostmaster.mail.example. 1 3600 600 86400 300
@   IN MX  10 mx.mail.example.
mx  IN A   127.0.0.1
`)
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	trust := filepath.Join(dir, "trust.yaml")
	os.WriteFile(trust, []byte(`version: 1
organization: {name: Mail Co}
scope:
  mail: [mail.example]
controls:
  - id: starttls
    section: Email security
    statement: Mail to us is encrypted in transit with TLS 1.2 or higher; our MX hosts present valid certificates.
    verify: {kind: tls.starttls}
  - id: starttls-tls13
    section: Email security
    statement: Mail to us is encrypted in transit with TLS 1.3.
    verify: {kind: tls.starttls, min: "1.3"}
  - id: starttls-encrypted
    section: Email security
    statement: Mail to us is encrypted in transit.
    verify: {kind: tls.starttls, certificate: any}
`), 0o644)

	tls12 := &tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{leaf.TLSCertificate(ca, true)}}
	downPort := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return p
	}
	type want struct {
		verdict posture.Verdict
		code    posture.Code
	}
	var (
		verified = want{posture.Verified, ""}
		inconcl  = want{posture.Inconclusive, ""}
		old      = want{posture.Contradicted, checks.CodeSTARTTLSOldVersion}
		badCert  = want{posture.Contradicted, checks.CodeSTARTTLSCertInvalid}
		notOff   = want{posture.Contradicted, checks.CodeSTARTTLSNotOffered}
	)
	for _, tc := range []struct {
		name     string
		cfg      *tls.Config // nil: no STARTTLS
		down     bool
		trustCA  bool
		controls map[string]want
	}{
		{"offered, TLS 1.2, trusted", tls12, false, true,
			map[string]want{"starttls": verified, "starttls-tls13": old, "starttls-encrypted": verified}},
		{"offered, untrusted certificate", tls12, false, false,
			map[string]want{"starttls": badCert, "starttls-tls13": old, "starttls-encrypted": verified}},
		{"not offered", nil, false, true,
			map[string]want{"starttls": notOff, "starttls-tls13": notOff, "starttls-encrypted": notOff}},
		{"MX host down", nil, true, true,
			map[string]want{"starttls": inconcl, "starttls-tls13": inconcl, "starttls-encrypted": inconcl}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sessions atomic.Int32
			var port int
			if tc.down {
				port = downPort()
			} else {
				port = smtpServer(t, tc.cfg, &sessions)
			}
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"scan", "-c", trust, "-o", out, "--quiet", "--fail-on", "none",
				"--resolver", dns.Addr, "--smtp-port", strconv.Itoa(port), "--timeout", "2s"}
			if tc.trustCA {
				args = append(args, "--ca-file", caFile)
			}
			start := time.Now()
			code, stdout, stderr := runVouch(t, args...)
			took := time.Since(start)
			if code != exitOK {
				t.Fatalf("scan: exit %d\n%s\n%s", code, stdout, stderr)
			}
			rep := readReport(t, filepath.Join(out, "report.json"))
			if len(rep.Controls) != len(tc.controls) {
				t.Errorf("%d controls in the report, want %d", len(rep.Controls), len(tc.controls))
			}
			for _, c := range rep.Controls {
				w, ok := tc.controls[c.Control.ID]
				if !ok {
					t.Errorf("unexpected control %s", c.Control.ID)
					continue
				}
				var codes []string
				mx := false
				for _, f := range c.Findings {
					codes = append(codes, string(f.Code))
					mx = mx || strings.Contains(f.Message+f.Observed, "mx.mail.example")
				}
				if c.Verdict != w.verdict || (w.code != "" && !strings.Contains(strings.Join(codes, " "), string(w.code))) {
					t.Errorf("%s: %s %v, want %s %s; findings: %+v", c.Control.ID, c.Verdict, codes, w.verdict, w.code, c.Findings)
				}
				if c.Verdict == posture.Contradicted && !mx {
					t.Errorf("%s: the gap does not name the MX host: %+v", c.Control.ID, c.Findings)
				}
			}
			if !tc.down && sessions.Load() == 0 {
				t.Error("the SMTP server saw no session: the scan did not reach it")
			}
			t.Logf("scan in %v, %d SMTP sessions", took.Round(time.Millisecond), sessions.Load())
		})
	}
}

// Without a tls.starttls control, a mail domain's MX hosts are never
// connected to: mail targets get DNS checks only.
func TestNoSTARTTLSWithoutControl(t *testing.T) {
	var sessions atomic.Int32
	port := smtpServer(t, nil, &sessions)
	dns, err := dnstest.Start("mail.example", `
@   IN SOA ns.mail.example. hostmaster.mail.example. 1 3600 600 86400 300
@   IN MX  10 mx.mail.example.
@   IN TXT "v=spf1 -all"
mx  IN A   127.0.0.1
`)
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	dir := t.TempDir()
	trust := filepath.Join(dir, "trust.yaml")
	os.WriteFile(trust, []byte(`version: 1
organization: {name: Mail Co}
scope:
  mail: [mail.example]
controls:
  - id: spf
    section: Email security
    statement: SPF rejects mail from servers we do not list.
    verify: {kind: email.spf, all: "-"}
`), 0o644)
	code, stdout, stderr := runVouch(t, "scan", "-c", trust, "-o", filepath.Join(dir, "out"), "--quiet",
		"--resolver", dns.Addr, "--smtp-port", fmt.Sprint(port), "--timeout", "2s")
	if code != exitOK {
		t.Fatalf("scan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := sessions.Load(); n != 0 {
		t.Errorf("the scan opened %d SMTP sessions without a tls.starttls control", n)
	}
}
