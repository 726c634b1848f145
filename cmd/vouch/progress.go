package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners"
)

// stillEvery is how often plain progress names the slowest target in
// flight, so that a slow target does not leave the log silent.
const stillEvery = 10 * time.Second

// reporter turns a Runner's events into progress on stderr: a bar on a
// terminal, plain lines otherwise. It counts a target done when all its
// pairs have finished.
type reporter struct {
	w     io.Writer
	now   func() time.Time
	bar   *progressbar.ProgressBar // nil: plain lines
	every time.Duration

	mu        sync.Mutex
	pending   map[string]int       // pairs still to finish, by target address
	started   map[string]time.Time // first pair's start, by target in flight
	total     int                  // targets
	done      int
	lastStill time.Time
}

// newReporter makes a reporter writing to w; tty draws a bar.
func newReporter(w io.Writer, tty bool, now func() time.Time) *reporter {
	r := &reporter{w: w, now: now, every: stillEvery, pending: map[string]int{}, started: map[string]time.Time{}}
	if tty {
		r.bar = progressbar.NewOptions(0,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetItsString("targets"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
		)
	}
	return r
}

// Planned learns every target's pairs.
func (r *reporter) Planned(pairs []scanners.Pair) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range pairs {
		if r.pending[p.Target.Address] == 0 {
			r.total++
		}
		r.pending[p.Target.Address]++
	}
	r.lastStill = r.now()
	if r.bar != nil {
		r.bar.ChangeMax(r.total)
		_ = r.bar.RenderBlank()
	}
}

// Started marks the target in flight from its first pair on.
func (r *reporter) Started(_ string, t posture.Target) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.started[t.Address]; !ok {
		r.started[t.Address] = r.now()
	}
}

// Finished counts the target done with its last pair.
func (r *reporter) Finished(_ string, t posture.Target, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending[t.Address]--
	if r.pending[t.Address] > 0 {
		return
	}
	took := r.now().Sub(r.started[t.Address])
	delete(r.started, t.Address)
	r.done++
	if r.bar != nil {
		r.bar.Describe(r.slowestLocked())
		_ = r.bar.Add(1)
		return
	}
	fmt.Fprintf(r.w, "vouch: done %s (%d/%d targets, %s)\n", t.Address, r.done, r.total, took.Round(time.Millisecond))
}

// slowest is the target in flight the longest, and how long (r.mu held).
func (r *reporter) slowest() (string, time.Duration) {
	var (
		addr  string
		first time.Time
	)
	for a, s := range r.started {
		if addr == "" || s.Before(first) || (s.Equal(first) && a < addr) {
			addr, first = a, s
		}
	}
	if addr == "" {
		return "", 0
	}
	return addr, r.now().Sub(first)
}

// slowestLocked describes the slowest target for the bar (r.mu held).
func (r *reporter) slowestLocked() string {
	addr, d := r.slowest()
	if addr == "" {
		return ""
	}
	return fmt.Sprintf("slowest %s (%s)", addr, d.Round(time.Second))
}

// Tick refreshes the progress while nothing finishes: the bar's slowest
// target and clock, or a plain "still scanning" line every r.every.
func (r *reporter) Tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bar != nil {
		r.bar.Describe(r.slowestLocked())
		return
	}
	now := r.now()
	if now.Sub(r.lastStill) < r.every {
		return
	}
	addr, d := r.slowest()
	if addr == "" {
		return
	}
	r.lastStill = now
	fmt.Fprintf(r.w, "vouch: still scanning %s (%s), %d/%d targets done\n", addr, d.Round(time.Second), r.done, r.total)
}

// run ticks every interval until ctx is done; the returned func stops it
// and ends the bar's line.
func (r *reporter) run(ctx context.Context, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.Tick()
			}
		}
	}()
	return func() {
		cancel()
		<-exited
		if r.bar != nil {
			r.mu.Lock()
			r.bar.Describe("")
			_ = r.bar.Finish()
			fmt.Fprintln(r.w)
			r.mu.Unlock()
		}
	}
}

// progressMode is how a scan shows progress: "" (none: --quiet), "plain"
// (lines), "bar" (stderr is a terminal that takes escapes).
func (a *app) progressMode() string {
	if a.v.GetBool("quiet") {
		return ""
	}
	if a.v.GetBool("no_color") || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return "plain"
	}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return "bar"
	}
	return "plain"
}
