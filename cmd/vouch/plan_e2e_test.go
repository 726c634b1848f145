package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// recordingServer is an HTTPS server on 127.0.0.1 that records every
// request line it is sent and counts the connections made to it.
type recordingServer struct {
	*httptest.Server
	caFile string
	conns  atomic.Int32
	mu     sync.Mutex
	lines  []string
}

func newRecordingServer(t *testing.T) *recordingServer {
	t.Helper()
	rs := &recordingServer{}
	rs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.lines = append(rs.lines, r.Method+" "+r.RequestURI+" "+r.Proto)
		rs.mu.Unlock()
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		fmt.Fprintln(w, "hello")
	}))
	rs.Config.ErrorLog = quietLog()
	rs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			rs.conns.Add(1)
		}
	}
	rs.StartTLS()
	t.Cleanup(rs.Close)
	rs.caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(rs.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rs.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return rs
}

func (rs *recordingServer) requestLines() []string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return slices.Clone(rs.lines)
}

// probePayloads are the attack-shaped query values of the WAF engine's
// active probe, read from its template (URL-encoded there), decoded.
func probePayloads(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "scanners", "wafscan", "engine", "templates", "probe.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Variables map[string]string `yaml:"variables"`
	}
	if err := yaml.Unmarshal(b, &tpl); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range tpl.Variables {
		d, err := url.QueryUnescape(v)
		if err != nil {
			t.Fatalf("probe.yaml variable %q: %v", v, err)
		}
		out = append(out, d)
	}
	slices.Sort(out)
	// The shapes the issue names must be among them, or this test proves
	// nothing about them.
	for _, s := range []string{"<script>", "' OR '1'='1", "../../etc/passwd"} {
		found := false
		for _, p := range out {
			found = found || strings.Contains(p, s)
		}
		if !found {
			t.Fatalf("probe.yaml has no payload with %q: %v", s, out)
		}
	}
	return out
}

// attackLines returns the recorded request lines that carry one of the
// payloads, encoded as sent or decoded.
func attackLines(lines, payloads []string) []string {
	var out []string
	for _, l := range lines {
		dec, err := url.QueryUnescape(l)
		if err != nil {
			dec = l
		}
		for _, p := range payloads {
			if strings.Contains(dec, p) || strings.Contains(l, p) || strings.Contains(l, url.QueryEscape(p)) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// markingEngine is a WAF engine that leaves a mark when it is started,
// then runs the real vouch-waf.
func markingEngine(t *testing.T) (engine, mark string) {
	t.Helper()
	dir := t.TempDir()
	engine, mark = filepath.Join(dir, "vouch-waf"), filepath.Join(dir, "started")
	script := fmt.Sprintf("#!/bin/sh\necho started >> %q\nexec %q \"$@\"\n", mark, filepath.Join(binDir, "vouch-waf"))
	if err := os.WriteFile(engine, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return engine, mark
}

func writeTrust(t *testing.T, dir, web, controls string) string {
	t.Helper()
	p := filepath.Join(dir, "trust.yaml")
	if err := os.WriteFile(p, []byte("version: 1\norganization: {name: Acme}\nscope: {web: ["+web+"]}\ncontrols:\n"+controls), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	tlsHSTSControls = `  - id: tls
    section: Encryption in transit
    statement: TLS 1.2 or higher.
    verify: {kind: tls.min_version, min: "1.2"}
  - id: hsts
    section: Encryption in transit
    statement: Browsers are told to use HTTPS only.
    verify: {kind: http.hsts}
`
	wafControl = `  - id: waf
    section: Network security
    statement: A web application firewall protects our apps.
    verify: {kind: waf.present}
`
)

// A scan sends only what its controls need: with TLS and HSTS controls the
// target sees no attack-shaped request and the WAF engine is not even
// started; a waf.present control does send the probe (unless
// --active=false, which keeps the engine's passive fingerprints only).
func TestScanSendsOnlyWhatControlsNeed(t *testing.T) {
	payloads := probePayloads(t)
	for _, tc := range []struct {
		name     string
		controls string
		extra    []string
		engine   bool // the WAF engine must start
		attacks  bool // the probe's payloads must reach the target
	}{
		{"TLS and HSTS only", tlsHSTSControls, nil, false, false},
		{"waf.present", tlsHSTSControls + wafControl, nil, true, true},
		{"waf.present with --active=false", tlsHSTSControls + wafControl, []string{"--active=false"}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRecordingServer(t)
			engine, mark := markingEngine(t)
			dir := t.TempDir()
			trust := writeTrust(t, dir, srv.URL, tc.controls)
			args := append([]string{"scan", "-c", trust, "-o", filepath.Join(dir, "out"), "--fail-on", "none",
				"--ca-file", srv.caFile, "--resolver", "127.0.0.1:1", "--timeout", "3s", "--waf-engine", engine}, tc.extra...)
			code, stdout, stderr := runVouch(t, args...)
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			lines := srv.requestLines()
			if len(lines) == 0 {
				t.Fatal("the target saw no request: the scan did not reach it")
			}
			_, err := os.Stat(mark)
			if started := err == nil; started != tc.engine {
				t.Errorf("WAF engine started: %v, want %v\nstderr:\n%s", started, tc.engine, stderr)
			}
			attacks := attackLines(lines, payloads)
			if tc.attacks {
				for _, p := range payloads {
					if len(attackLines(lines, []string{p})) == 0 {
						t.Errorf("payload %q never reached the target; lines: %q", p, lines)
					}
				}
			}
			if !tc.attacks && len(attacks) > 0 {
				t.Errorf("attack-shaped requests reached the target: %q", attacks)
			}
			snap, err := readSnapshot(filepath.Join(dir, "out", "snapshot.json"))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(snap.WAF) > 0; got != tc.engine {
				t.Errorf("snapshot has %d WAF observations, want some: %v", len(snap.WAF), tc.engine)
			}
			if len(snap.DNS) > 0 {
				t.Errorf("a scope without mail controls has DNS observations: %+v", snap.DNS)
			}
			if strings.Contains(stderr, "vouch: waf ") != tc.engine {
				t.Errorf("progress about the waf scanner: %v, want %v\n%s", !tc.engine, tc.engine, stderr)
			}
		})
	}
}

// treeBytes reads every file under dir.
func treeBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, before, after map[string][]byte) {
	t.Helper()
	for p, b := range before {
		if a, ok := after[p]; !ok {
			t.Errorf("%s: %s is gone", what, p)
		} else if !bytes.Equal(a, b) {
			t.Errorf("%s: %s changed", what, p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %s appeared", what, p)
		}
	}
}

// Every option is checked before the first packet: after a good scan, a
// bad --sign-key (missing, or not a key), --resolver, --ca-file or output
// directory sends nothing to the target and leaves every earlier output
// byte for byte as it was.
func TestBadOptionsSendNothingAndKeepOutputs(t *testing.T) {
	srv := newRecordingServer(t)
	dir := t.TempDir()
	trust := writeTrust(t, dir, srv.URL, tlsHSTSControls)
	out := filepath.Join(dir, "out")
	base := []string{"scan", "-c", trust, "-o", out, "--fail-on", "none", "--quiet", "--timeout", "3s"}
	good := append(slices.Clone(base), "--ca-file", srv.caFile, "--resolver", "127.0.0.1:1")
	if code, stdout, stderr := runVouch(t, good...); code != exitOK {
		t.Fatalf("first scan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	before := treeBytes(t, out)
	for _, p := range []string{"report.json", "report.html", "snapshot.json", "site/index.html"} {
		if _, ok := before[filepath.Join(out, p)]; !ok {
			t.Fatalf("the first scan wrote no %s", p)
		}
	}
	conns := srv.conns.Load()
	if conns == 0 {
		t.Fatal("the first scan never connected: the connection count proves nothing")
	}

	notKey := filepath.Join(dir, "not-a-key.pem")
	os.WriteFile(notKey, []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), 0o600)
	aFile := filepath.Join(dir, "a-file")
	os.WriteFile(aFile, []byte("x"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing --sign-key", append(slices.Clone(good), "--sign-key", filepath.Join(dir, "missing.pem")), exitUsage, "--sign-key"},
		{"--sign-key not a key", append(slices.Clone(good), "--sign-key", notKey), exitUsage, "--sign-key " + notKey},
		{"--resolver port not a number", append(slices.Clone(base), "--ca-file", srv.caFile, "--resolver", "localhost:abc"), exitUsage, "--resolver"},
		{"--resolver without port", append(slices.Clone(base), "--ca-file", srv.caFile, "--resolver", "127.0.0.1"), exitUsage, "--resolver"},
		{"missing --ca-file", append(slices.Clone(base), "--ca-file", filepath.Join(dir, "missing-ca.pem"), "--resolver", "127.0.0.1:1"), exitUsage, "--ca-file"},
		{"--baseline missing", append(slices.Clone(good), "--baseline", filepath.Join(dir, "missing.json")), exitUsage, "missing.json"},
		{"output under a file", append(slices.Clone(good), "-o", filepath.Join(aFile, "out")), exitScanErr, "not a directory"},
		{"--base-url not https", append(slices.Clone(good), "--base-url", "http://trust.acme.example"), exitUsage, "--base-url"},
		{"--waf-engine missing", append(slices.Clone(good), "--waf-engine", filepath.Join(dir, "no-vouch-waf")), exitUsage, "--waf-engine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runVouch(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q on stderr:\n%s", code, tc.code, tc.want, stderr)
			}
			if n := srv.conns.Load(); n != conns {
				t.Errorf("%d connection(s) to the target before the option was refused", n-conns)
			}
			sameTree(t, tc.name, before, treeBytes(t, out))
		})
	}

	// A good key signs the bundle before it is in place; it verifies.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	keyFile := filepath.Join(dir, "sign.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pubFile := filepath.Join(dir, "pub.pem")
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	if code, stdout, stderr := runVouch(t, append(slices.Clone(good), "--sign-key", keyFile)...); code != exitOK {
		t.Fatalf("signed scan: exit %d\n%s\n%s", code, stdout, stderr)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	bundle := filepath.Join(out, "evidence", rep.ScanID)
	if code, stdout, stderr := runVouch(t, "evidence", "verify", bundle, "--key", pubFile); code != exitOK {
		t.Errorf("signed bundle: exit %d\n%s%s", code, stdout, stderr)
	}
}

// --fail-on-inconclusive fails the run with exit 2 when a control at or
// above --fail-on could not be observed; a missing WAF engine is one full
// line on stderr.
func TestFailOnInconclusive(t *testing.T) {
	srv := newRecordingServer(t)
	dir := t.TempDir()
	// No engine next to the test binary, none on $PATH, none named.
	t.Setenv("PATH", t.TempDir())
	t.Setenv("VOUCH_WAF_ENGINE", "")
	_, engineErr := wafscan.FindEngine("")
	if engineErr == nil {
		t.Fatal("FindEngine found an engine with an empty PATH")
	}
	// tls: verified on the server (high); waf: inconclusive without an
	// engine (medium).
	trust := writeTrust(t, dir, srv.URL, tlsHSTSControls+wafControl)
	out := filepath.Join(dir, "out")
	scan := func(extra ...string) (int, string) {
		t.Helper()
		args := append([]string{"scan", "-c", trust, "-o", out, "--quiet", "--ca-file", srv.caFile, "--resolver", "127.0.0.1:1",
			"--timeout", "3s"}, extra...)
		code, _, stderr := runVouch(t, args...)
		return code, stderr
	}
	// An engine named but not there is a usage error, before any packet.
	if code, stderr := scan("--waf-engine", filepath.Join(dir, "no-such-dir", "vouch-waf")); code != exitUsage || !strings.Contains(stderr, "--waf-engine") {
		t.Errorf("--waf-engine missing: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
	code, stderr := scan("--fail-on", "medium")
	if code != exitOK {
		t.Errorf("without --fail-on-inconclusive: exit %d, want 0\n%s", code, stderr)
	}
	want := "vouch: waf scanner could not run, its controls are inconclusive: " + engineErr.Error()
	var got []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "could not run") {
			got = append(got, l)
		}
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("want the one line\n  %s\non stderr, got %q", want, got)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	for _, c := range rep.Controls {
		if c.Control.ID == "waf" && c.Verdict != posture.Inconclusive {
			t.Fatalf("waf without an engine: %s", c.Verdict)
		}
	}

	for _, tc := range []struct {
		failOn string
		code   int
	}{{"medium", exitInconclusive}, {"low", exitInconclusive}, {"high", exitOK}, {"none", exitUsage}} {
		code, stderr := scan("--fail-on", tc.failOn, "--fail-on-inconclusive")
		if code != tc.code {
			t.Errorf("--fail-on %s --fail-on-inconclusive: exit %d, want %d\n%s", tc.failOn, code, tc.code, stderr)
		}
		if tc.code == exitInconclusive && !strings.Contains(stderr, "inconclusive control(s) at or above "+tc.failOn+" (--fail-on-inconclusive): waf") {
			t.Errorf("--fail-on %s: stderr does not name the control:\n%s", tc.failOn, stderr)
		}
	}
	// The same offline, and a gap wins over an inconclusive control.
	snapPath := filepath.Join(out, "snapshot.json")
	if code, _, stderr := runVouch(t, "check", "--snapshot", snapPath, "-c", trust, "--fail-on", "medium", "--fail-on-inconclusive"); code != exitInconclusive {
		t.Errorf("check --fail-on-inconclusive: exit %d, want %d\n%s", code, exitInconclusive, stderr)
	}
	gapTrust := writeTrust(t, t.TempDir(), srv.URL, wafControl+`  - id: tls13
    section: Encryption in transit
    statement: TLS 1.3 only.
    verify: {kind: tls.min_version, min: "1.3"}
`)
	if code, _, stderr := runVouch(t, "check", "--snapshot", snapPath, "-c", gapTrust, "--fail-on", "medium", "--fail-on-inconclusive"); code != exitGaps {
		t.Errorf("a gap and an inconclusive control: exit %d, want %d\n%s", code, exitGaps, stderr)
	}
}
