package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// spooled lists the evidence files the scan under out has written so far
// into its unfinished bundle (evidence/.ID.tmp-*/evidence/).
func spooled(out string) []string {
	m, _ := filepath.Glob(filepath.Join(out, "evidence", ".*.tmp-*", "evidence", "*"))
	return m
}

// A scan writes each target's raw evidence to disk as soon as its scanner
// is done with it, not at the end: while one origin's response is held
// back, the other's exchange is already on disk. An interrupted scan
// leaves no unfinished bundle and keeps the previous outputs.
func TestScanSpoolsEvidence(t *testing.T) {
	fast := newRecordingServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	var sawSpooled, held atomic.Bool
	release := make(chan struct{})
	slow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		held.Store(true)
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) && len(spooled(out)) == 0 && r.Context().Err() == nil {
			select {
			case <-release:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		sawSpooled.Store(len(spooled(out)) > 0)
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(100 * time.Millisecond):
		}
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}))
	slow.Config.ErrorLog = quietLog()
	slow.StartTLS() // httptest's one certificate: fast.caFile trusts it too
	t.Cleanup(slow.Close)
	trust := writeTrust(t, dir, fast.URL, "  - id: hsts\n    section: Encryption in transit\n    statement: HSTS.\n    verify: {kind: http.hsts}\n")
	list := filepath.Join(dir, "fleet.txt")
	if err := os.WriteFile(list, []byte(slow.URL+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"scan", "-c", trust, "--targets", list, "-o", out, "--fail-on", "none", "--quiet",
		"--ca-file", fast.caFile, "--resolver", "127.0.0.1:1", "--timeout", "30s", "--target-timeout", "60s"}
	code, stdout, stderr := runVouch(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !held.Load() || !sawSpooled.Load() {
		t.Errorf("while the slow origin was answering, no evidence was on disk yet (held %v)", held.Load())
	}
	if left := spooled(out); len(left) != 0 {
		t.Errorf("unfinished bundle left behind: %v", left)
	}
	before, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := os.ReadFile(filepath.Join(out, "snapshot.json"))
	if err != nil || !strings.Contains(string(snap), "Strict-Transport-Security") || strings.Contains(string(snap), "vouch-spool") {
		t.Errorf("snapshot.json does not hold the raw exchanges (%v)", err)
	}

	// Interrupted while the slow origin holds its answer: exit 4, no
	// unfinished bundle, the previous report as it was.
	ctx, cancel := context.WithCancel(context.Background())
	held.Store(false)
	go func() {
		for !held.Load() {
			time.Sleep(10 * time.Millisecond)
		}
		for len(spooled(out)) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	var o, e strings.Builder
	if code := run(ctx, args, &o, &e); code != exitScanErr {
		t.Errorf("interrupted scan: exit %d, want %d\n%s", code, exitScanErr, e.String())
	}
	close(release)
	if left := spooled(out); len(left) != 0 {
		t.Errorf("interrupted scan left its unfinished bundle: %v", left)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "report.json")); string(after) != string(before) {
		t.Error("interrupted scan changed report.json")
	}
}
