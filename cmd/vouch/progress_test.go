package main

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func progressPairs() (a, b posture.Target, pairs []scanners.Pair) {
	a = posture.Target{Kind: posture.TargetWeb, Address: "https://a.example"}
	b = posture.Target{Kind: posture.TargetWeb, Address: "https://slow.example"}
	return a, b, []scanners.Pair{{Scanner: "tls", Target: a}, {Scanner: "http", Target: a}, {Scanner: "tls", Target: b}}
}

// Not on a terminal: one line per finished target, counted only when all
// its pairs finished, and a "still scanning" line for the slowest target
// every 10 s of silence, never more often.
func TestReporterPlain(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var out bytes.Buffer
	r := newReporter(&out, false, clk.now)
	a, b, pairs := progressPairs()
	r.Planned(pairs)
	r.Started("tls", a)
	r.Started("tls", b)
	clk.add(time.Second)
	r.Started("http", a)
	r.Finished("tls", a, time.Second)
	if out.Len() != 0 {
		t.Fatalf("a target with a pair left was reported done: %q", out.String())
	}
	clk.add(2 * time.Second)
	r.Finished("http", a, 2*time.Second)
	if got, want := out.String(), "vouch: done https://a.example (1/2 targets, 3s)\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	out.Reset()
	r.Tick() // 3 s since Planned: too soon
	if out.Len() != 0 {
		t.Fatalf("still line before 10 s: %q", out.String())
	}
	clk.add(39 * time.Second)
	r.Tick()
	if got, want := out.String(), "vouch: still scanning https://slow.example (42s), 1/2 targets done\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	out.Reset()
	clk.add(5 * time.Second)
	r.Tick() // 5 s since the last still line
	if out.Len() != 0 {
		t.Fatalf("still line again after 5 s: %q", out.String())
	}
	clk.add(5 * time.Second)
	r.Tick()
	if !strings.Contains(out.String(), "still scanning https://slow.example (52s)") {
		t.Fatalf("no still line after 10 more s: %q", out.String())
	}
	out.Reset()
	r.Finished("tls", b, 52*time.Second)
	if got, want := out.String(), "vouch: done https://slow.example (2/2 targets, 52s)\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	out.Reset()
	clk.add(time.Minute)
	r.Tick()
	if out.Len() != 0 {
		t.Fatalf("still line with nothing in flight: %q", out.String())
	}
}

// The mode: --quiet shows nothing, NO_COLOR and TERM=dumb and a stderr
// that is no terminal show lines, a terminal shows the bar.
func TestProgressMode(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	defer tty.Close()
	for _, tc := range []struct {
		name     string
		stderr   io.Writer
		quiet    bool
		noColor  string
		termEnv  string
		wantMode string
	}{
		{"quiet on a terminal", tty, true, "", "xterm", ""},
		{"quiet in a pipe", &bytes.Buffer{}, true, "", "xterm", ""},
		{"pipe", &bytes.Buffer{}, false, "", "xterm", "plain"},
		{"terminal", tty, false, "", "xterm", "bar"},
		{"NO_COLOR", tty, false, "1", "xterm", "plain"},
		{"TERM=dumb", tty, false, "", "dumb", "plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			t.Setenv("TERM", tc.termEnv)
			a := newApp(io.Discard, tc.stderr)
			a.v.Set("quiet", tc.quiet)
			if got := a.progressMode(); got != tc.wantMode {
				t.Errorf("mode %q, want %q", got, tc.wantMode)
			}
		})
	}
}

// On a terminal (a pty) the bar shows targets done/total and the slowest
// target in flight, refreshed by Tick while nothing finishes.
func TestReporterBar(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var (
		screen bytes.Buffer
		copied = make(chan struct{})
	)
	go func() { io.Copy(&screen, ptmx); close(copied) }()
	clk := &fakeClock{t: time.Now()}
	r := newReporter(tty, true, clk.now)
	a, b, pairs := progressPairs()
	r.Planned(pairs)
	r.Started("tls", a)
	r.Started("http", a)
	r.Started("tls", b)
	r.Finished("tls", a, 0)
	r.Finished("http", a, 0)
	clk.add(42 * time.Second)
	time.Sleep(150 * time.Millisecond) // past the bar's throttle
	r.Tick()
	r.Finished("tls", b, 0)
	r.run(t.Context(), time.Hour)()
	tty.Close()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		t.Fatal("pty not drained")
	}
	got := screen.String()
	for _, want := range []string{"1/2", "2/2", "slowest https://slow.example (42s)", "targets"} {
		if !strings.Contains(got, want) {
			t.Errorf("bar output lacks %q:\n%q", want, got)
		}
	}
}

// Through the CLI, stderr not a terminal: the demo's scan reports each
// target done and keeps the per-pair lines; with --quiet stderr holds
// none of them; stdout never holds progress.
func TestProgressDemoPlainAndQuiet(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	code, stdout, stderr := runVouch(t, "demo", "-o", t.TempDir())
	if code != exitOK {
		t.Fatalf("demo exit %d\nstderr:\n%s", code, stderr)
	}
	for _, want := range []string{"vouch: tls ", "vouch: done ", " targets, "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout, "vouch: done") || strings.Contains(stdout, "still scanning") {
		t.Errorf("progress on stdout:\n%s", stdout)
	}
	code, _, stderr = runVouch(t, "demo", "-o", t.TempDir(), "--quiet")
	if code != exitOK {
		t.Fatalf("quiet demo exit %d\nstderr:\n%s", code, stderr)
	}
	for _, bad := range []string{"vouch: tls ", "vouch: done ", "still scanning", "targets done"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("--quiet stderr holds %q:\n%s", bad, stderr)
		}
	}
}
