package main

import (
	"os"
	"path/filepath"
	"testing"
)

// updateSection replaces only its own section, keeps the others, and
// appends the section to a file that has none.
func TestUpdateSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "B.md")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const sec = "## Fleet scans\n\nnew\n\n"
	for _, c := range []struct{ in, want string }{
		{"# T\n\n## A\n\na\n", "# T\n\n## A\n\na\n\n" + sec},
		{"# T\n\n## Fleet scans\n\nold\nold\n\n## B\n\nb\n", "# T\n\n" + sec + "## B\n\nb\n"},
		{"# T\n\n## A\n\na\n\n## Fleet scans\n\nold\n", "# T\n\n## A\n\na\n\n" + sec},
		{"## Fleet scans\n\nold\n## C\n", sec + "## C\n"},
		{"# T\n\n## Fleet scans extra\n\nx\n", "# T\n\n## Fleet scans extra\n\nx\n\n" + sec},
	} {
		write(c.in)
		if err := updateSection(path, "## Fleet scans", sec); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != c.want {
			t.Errorf("from %q:\ngot  %q\nwant %q", c.in, got, c.want)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.md")
	if err := updateSection(missing, "## Fleet scans", sec); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(missing); string(b) != sec {
		t.Errorf("new file: %q", b)
	}
}

func TestParseFleet(t *testing.T) {
	ns, err := parseFleet("10, 100,1000")
	if err != nil || len(ns) != 3 || ns[0] != 10 || ns[1] != 100 || ns[2] != 1000 {
		t.Errorf("parseFleet: %v %v", ns, err)
	}
	for _, bad := range []string{"0", "x", "10,-1", "30000"} {
		if _, err := parseFleet(bad); err == nil {
			t.Errorf("parseFleet(%q) accepted", bad)
		}
	}
}

// The designed defects are spread over the configurations: every web
// configuration but modern has one, and the mail ones cycle on their own.
func TestFleetExpect(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 35; i++ {
		web, mail := fleetExpect(i)
		if (i%5 == 0) != (len(web) == 0) {
			t.Errorf("target %d (%s): web defects %v", i, fleetWeb[i%5], web)
		}
		for _, id := range web {
			seen[id] = true
		}
		if mail != "" {
			seen[mail] = true
		}
	}
	for _, id := range []string{"tls-min", "tls-legacy", "tls-cert", "hsts", "cookies", "spf", "dmarc", "dkim"} {
		if !seen[id] {
			t.Errorf("no target is designed to contradict %s", id)
		}
	}
}

// watchHWM reads a live process's peak RSS, and stops when told.
func TestWatchHWM(t *testing.T) {
	done := make(chan struct{})
	close(done)
	if kb := watchHWM(os.Getpid(), done); kb <= 0 {
		t.Errorf("VmHWM of this process: %d kB", kb)
	}
}
