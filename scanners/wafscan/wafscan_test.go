package wafscan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// TestMain lets the test binary stand in for vouch-waf: with
// VOUCH_FAKE_ENGINE set it reads a Job and answers as the variable says.
func TestMain(m *testing.M) {
	switch os.Getenv("VOUCH_FAKE_ENGINE") {
	case "":
		os.Exit(m.Run())
	case "echo":
		var job Job
		data, _ := io.ReadAll(os.Stdin)
		if err := json.Unmarshal(data, &job); err != nil {
			fmt.Fprintln(os.Stderr, "bad job:", err)
			os.Exit(1)
		}
		os.MkdirAll(filepath.Join(os.Getenv("HOME"), ".config", "nuclei"), 0o755)
		enc := json.NewEncoder(os.Stdout)
		for _, t := range job.Targets {
			enc.Encode(TargetResult{Target: t.URL, Events: []Event{{Target: t.URL, Kind: KindProbe, TemplateID: "vouch-waf-probe", Matched: t.Active, Matcher: "blocked",
				Extracted: []string{"home=" + os.Getenv("HOME"), "tmp=" + os.Getenv("TMPDIR"), "ua=" + job.UserAgent}}}})
		}
		enc.Encode(map[string]Stats{"stats": {Engines: 1}})
	case "stream":
		// The first target is done at once; the others only after 5 s,
		// and then as timed out, as vouch-waf reports a tarpit.
		var job Job
		data, _ := io.ReadAll(os.Stdin)
		json.Unmarshal(data, &job)
		enc := json.NewEncoder(os.Stdout)
		for i, t := range job.Targets {
			if i == 0 {
				enc.Encode(TargetResult{Target: t.URL, Events: []Event{{Target: t.URL, Kind: KindProbe, TemplateID: "vouch-waf-probe", Matched: true, Matcher: "blocked"}}})
				continue
			}
			time.Sleep(5 * time.Second)
			enc.Encode(TargetResult{Target: t.URL, Error: "engine: timeout: the target's WAF check did not finish within 1s"})
		}
		enc.Encode(map[string]Stats{"stats": {Engines: 1}})
	case "fail":
		fmt.Fprintln(os.Stderr, "progress line\nvouch-waf: engine: nuclei: it broke")
		os.Exit(1)
	case "garbage":
		fmt.Print("not json")
	}
	os.Exit(0)
}

func fakeEngine(t *testing.T, mode string) ExecEngine {
	t.Helper()
	t.Setenv("VOUCH_FAKE_ENGINE", mode)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return ExecEngine{Path: exe}
}

func target(u string) posture.Target { return posture.Target{Kind: posture.TargetWeb, Address: u} }

// The engine binary runs with a private HOME and TMPDIR that are gone
// afterwards, and the protocol carries the job and the result.
func TestExecEngine(t *testing.T) {
	e := fakeEngine(t, "echo")
	res, err := e.Run(context.Background(), Job{UserAgent: "vouch/test", Targets: []JobTarget{{URL: "https://a.example", Active: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 || res.Events[0].Target != "https://a.example" || !res.Events[0].Matched {
		t.Fatalf("events %+v", res.Events)
	}
	ex := res.Events[0].Extracted
	home := strings.TrimPrefix(ex[0], "home=")
	realHome, _ := os.UserHomeDir()
	if home == "" || home == realHome || ex[1] != "tmp="+home || ex[2] != "ua=vouch/test" {
		t.Errorf("child env %q (real home %q)", ex, realHome)
	}
	if _, err := os.Stat(home); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("private home %s still exists: %v", home, err)
	}

	if _, err := fakeEngine(t, "fail").Run(context.Background(), Job{}); err == nil || !strings.Contains(err.Error(), "vouch-waf: engine: nuclei: it broke") {
		t.Errorf("failing engine: %v", err)
	}
	if _, err := fakeEngine(t, "garbage").Run(context.Background(), Job{}); err == nil || !strings.Contains(err.Error(), "unreadable result") {
		t.Errorf("garbage engine: %v", err)
	}
	if _, err := (ExecEngine{Path: filepath.Join(t.TempDir(), "nope")}).Run(context.Background(), Job{}); err == nil {
		t.Error("missing binary: no error")
	}
}

// A target the engine is done with is read at once, while another still
// runs; the one the engine reports as timed out is Missing (timeout).
func TestStreamedTargets(t *testing.T) {
	e := fakeEngine(t, "stream")
	fast, slow := target("https://fast.example"), target("https://slow.example")
	s := New(Options{Engine: e, Targets: []posture.Target{fast, slow}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	snap := s.Scan(ctx, fast)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the fast target waited %s", took)
	}
	obs := snap.WAF[0]
	if obs.Missing != nil || obs.Present != posture.Yes {
		t.Fatalf("fast target: missing %+v present %v", obs.Missing, obs.Present)
	}
	obs = s.Scan(context.Background(), slow).WAF[0]
	if obs.Missing == nil || obs.Missing.Reason != posture.ReasonTimeout || obs.Present == posture.Yes {
		t.Fatalf("slow target: missing %+v present %v", obs.Missing, obs.Present)
	}
}

func TestFindEngine(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, EngineBinary)
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	if p, err := FindEngine(bin); err != nil || p != bin {
		t.Errorf("explicit: %q %v", p, err)
	}
	if _, err := FindEngine(filepath.Join(dir, "absent")); err == nil {
		t.Error("explicit absent: no error")
	}
	t.Setenv("VOUCH_WAF_ENGINE", bin)
	if p, err := FindEngine(""); err != nil || p != bin {
		t.Errorf("env: %q %v", p, err)
	}
	t.Setenv("VOUCH_WAF_ENGINE", "")
	t.Setenv("PATH", dir)
	if p, err := FindEngine(""); err != nil || p != bin {
		t.Errorf("PATH: %q %v", p, err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := FindEngine(""); err == nil || !strings.Contains(err.Error(), "--waf-engine") {
		t.Errorf("nowhere: %v", err)
	}
}

// countingEngine answers from a table and counts runs.
type countingEngine struct {
	runs   atomic.Int32
	events func(JobTarget) []Event
	err    error
	delay  time.Duration
}

func (c *countingEngine) Run(ctx context.Context, job Job) (Result, error) {
	c.runs.Add(1)
	select {
	case <-time.After(c.delay):
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	var res Result
	for _, t := range job.Targets {
		res.Events = append(res.Events, c.events(t)...)
	}
	return res, c.err
}

// One engine run serves every target of the scan; a target outside the
// batch gets a run of its own.
func TestBatch(t *testing.T) {
	ce := &countingEngine{events: func(t JobTarget) []Event {
		return []Event{{Target: t.URL, Kind: KindProbe, Matched: true, Matcher: "passed", Extracted: []string{"baseline=200 xss=200 sqli=200 traversal=200"}}}
	}}
	tg := []posture.Target{target("https://a.example"), target("https://b.example"), {Kind: posture.TargetMail, Address: "a.example"}}
	s := New(Options{Engine: ce, Targets: tg})
	for _, x := range tg[:2] {
		if o := s.Scan(context.Background(), x).WAF[0]; o.Present != posture.No {
			t.Errorf("%s: present %s", x, o.Present)
		}
	}
	s.Scan(context.Background(), target("https://c.example"))
	if n := ce.runs.Load(); n != 2 {
		t.Errorf("%d engine runs, want 2 (one batch, one outsider)", n)
	}

	// An outsider scanned first does not cost the batch its run.
	ce = &countingEngine{events: ce.events}
	s = New(Options{Engine: ce, Targets: tg})
	s.Scan(context.Background(), target("https://c.example"))
	if o := s.Scan(context.Background(), tg[0]).WAF[0]; o.Present != posture.No {
		t.Errorf("batch target after an outsider: present %s missing %v", o.Present, o.Missing)
	}
	if n := ce.runs.Load(); n != 2 {
		t.Errorf("%d engine runs, want 2", n)
	}
}

// The batch is not bound to the first target's deadline, and a target
// whose own time runs out while it waits is a timeout, not a verdict.
func TestBatchDeadlines(t *testing.T) {
	ce := &countingEngine{delay: 300 * time.Millisecond, events: func(t JobTarget) []Event {
		return []Event{{Target: t.URL, Kind: KindProbe, Matched: true, Matcher: "blocked"}}
	}}
	tg := []posture.Target{target("https://a.example"), target("https://b.example")}
	s := New(Options{Engine: ce, Targets: tg})
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	o := s.Scan(short, tg[0]).WAF[0]
	if o.Missing == nil || o.Missing.Reason != posture.ReasonTimeout || o.Present != posture.Unknown {
		t.Errorf("short deadline: present %s missing %v", o.Present, o.Missing)
	}
	if o := s.Scan(context.Background(), tg[1]).WAF[0]; o.Present != posture.Yes || o.Missing != nil {
		t.Errorf("the batch died with the first target's deadline: present %s missing %v", o.Present, o.Missing)
	}
	if n := ce.runs.Load(); n != 1 {
		t.Errorf("%d engine runs, want 1", n)
	}

	// Started ahead of the scans, the batch is done when they come.
	ce = &countingEngine{events: ce.events}
	s = New(Options{Engine: ce, Targets: tg})
	s.Start(context.Background())
	s.Stats()
	if n := ce.runs.Load(); n != 1 {
		t.Errorf("Start ran the engine %d times", n)
	}
	if o := s.Scan(context.Background(), tg[1]).WAF[0]; o.Present != posture.Yes {
		t.Errorf("after Start: present %s", o.Present)
	}
}

// How events become an observation.
func TestInterpret(t *testing.T) {
	const u = "https://shop.example"
	tests := []struct {
		name    string
		passive bool
		events  []Event
		err     error
		present posture.Tri
		vendor  string
		missing posture.Reason
		signal  string
	}{
		{"blocked", false, []Event{{Kind: KindProbe, Matched: true, Matcher: "blocked", Extracted: []string{"baseline=200 xss=403 sqli=403 traversal=403"},
			Request: "GET /?q=x HTTP/1.1\r\nHost: shop.example\r\n", Response: "HTTP/1.1 403 Forbidden\r\n"}},
			nil, posture.Yes, "", "", "blocked: an attack-shaped request was refused and the baseline was not (baseline=200 xss=403 sqli=403 traversal=403)"},
		{"passed", false, []Event{{Kind: KindProbe, Matched: true, Matcher: "passed"}}, nil, posture.No, "", "", ""},
		{"neither", false, []Event{{Kind: KindProbe, Matched: false, Extracted: []string{"baseline=403 xss=403 sqli=403 traversal=403"}}}, nil, posture.Unknown, "", "",
			"undecided: the answers were neither a recognised block nor like the baseline (baseline=403 xss=403 sqli=403 traversal=403)"},
		{"probe failed", false, []Event{{Kind: KindProbe, Error: "dial tcp 127.0.0.1:1: connect: connection refused"}}, nil, posture.Unknown, "", posture.ReasonRefused, ""},
		{"engine failed", false, nil, errors.New("engine: boom"), posture.Unknown, "", posture.ReasonError, ""},
		{"no probe event at all", false, nil, nil, posture.Unknown, "", "", ""},
		{"fingerprints, most hits wins", true, []Event{
			{Kind: KindFingerprint, Vendor: "Fastly", Matched: true, Matcher: "header", TemplateID: "vouch-fp-fastly"},
			{Kind: KindFingerprint, Vendor: "Cloudflare", Matched: true, Matcher: "header", TemplateID: "vouch-fp-cloudflare"},
			{Kind: KindFingerprint, Vendor: "Cloudflare", Matched: true, Matcher: "cookie", TemplateID: "vouch-fp-cloudflare"},
			{Kind: KindFingerprint, Vendor: "Akamai", Matched: false, TemplateID: "vouch-fp-akamai"},
		}, nil, posture.Unknown, "Cloudflare", "", "several vendors fingerprinted: Fastly, Cloudflare"},
		{"passive, unreachable", true, []Event{{Kind: KindFingerprint, TemplateID: "vouch-fp-aws", Error: "i/o timeout"}}, nil, posture.Unknown, "", posture.ReasonTimeout, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.events {
				tt.events[i].Target = u
			}
			ce := &countingEngine{events: func(JobTarget) []Event { return tt.events }, err: tt.err}
			s := New(Options{Engine: ce, Passive: func(posture.Target) bool { return tt.passive }, Now: func() time.Time { return time.Unix(0, 0) }})
			o := s.Scan(context.Background(), target(u)).WAF[0]
			var reason posture.Reason
			if o.Missing != nil {
				reason = o.Missing.Reason
			}
			if o.Present != tt.present || o.Vendor != tt.vendor || reason != tt.missing {
				t.Errorf("present %s vendor %q missing %v; want %s %q %q; signals %q", o.Present, o.Vendor, o.Missing, tt.present, tt.vendor, tt.missing, o.Signals)
			}
			if tt.signal != "" && !slices.Contains(o.Signals, tt.signal) {
				t.Errorf("signals %q lack %q", o.Signals, tt.signal)
			}
			if o.Present == posture.Yes && (len(o.Exchanges) != 1 || o.Exchanges[0].Status != 403 || o.Exchanges[0].URL != u+"/?q=x") {
				t.Errorf("exchanges %+v", o.Exchanges)
			}
		})
	}
}

// Without an engine, every observation says why, and no verdict can pass.
func TestNoEngine(t *testing.T) {
	o := New(Options{EngineMissing: "WAF engine vouch-waf not found"}).Scan(context.Background(), target("https://a.example")).WAF[0]
	if o.Missing == nil || o.Missing.Reason != posture.ReasonNotScanned || o.Missing.Detail != "WAF engine vouch-waf not found" || o.Present != posture.Unknown {
		t.Errorf("%+v", o)
	}
	o = New(Options{Engine: &countingEngine{}}).Scan(context.Background(), target("mailto:x@a.example")).WAF[0]
	if o.Missing == nil || o.Missing.Reason != posture.ReasonError {
		t.Errorf("not a URL: %+v", o.Missing)
	}
}

func TestDefaults(t *testing.T) {
	s := New(Options{})
	if s.Name() != "waf" || !s.Accepts(posture.TargetWeb) || s.Accepts(posture.TargetMail) {
		t.Errorf("name %q", s.Name())
	}
	j := s.job([]posture.Target{target("https://a.example")})
	if j.UserAgent != DefaultUserAgent || j.TimeoutSeconds != 10 || !j.Targets[0].Active {
		t.Errorf("job %+v", j)
	}
}
