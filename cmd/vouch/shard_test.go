package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
)

func TestParseShard(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "JOB_COMPLETION_INDEX" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		in, env string
		want    *shardSpec
		errHas  string
	}{
		{in: "", want: nil},
		{in: "0/1", want: &shardSpec{0, 1}},
		{in: "2/3", want: &shardSpec{2, 3}},
		{in: "/4", env: "3", want: &shardSpec{3, 4}},
		{in: "1/4", env: "3", want: &shardSpec{1, 4}}, // an explicit K wins
		{in: "/4", errHas: "JOB_COMPLETION_INDEX, which is not set"},
		{in: "/4", env: "x", errHas: `K "x" from $JOB_COMPLETION_INDEX`},
		{in: "/4", env: "4", errHas: "must be below N=4"},
		{in: "3/3", errHas: "must be below N=3"},
		{in: "-1/3", errHas: "not a whole number"},
		{in: "0/0", errHas: "N must be"},
		{in: "1", errHas: "want K/N"},
	} {
		got, err := parseShard(tc.in, env(tc.env))
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("parseShard(%q, env %q) = %v, %v; want error containing %q", tc.in, tc.env, got, err, tc.errHas)
			} else if ee, ok := err.(*exitError); !ok || ee.code != exitUsage {
				t.Errorf("parseShard(%q): %T is not a usage error", tc.in, err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("parseShard(%q, env %q) = %v, %v; want %v", tc.in, tc.env, got, err, tc.want)
		}
	}
}

// A target keeps its shard when the list grows, every target is in
// exactly one shard, and the hash spreads targets over the shards.
func TestShardStableAndPartition(t *testing.T) {
	var web []string
	for i := 0; i < 300; i++ {
		web = append(web, "https://host"+strconv.Itoa(i)+".example.com")
	}
	const n = 5
	shardsOf := func(list []string) map[string]int {
		out := map[string]int{}
		for k := 0; k < n; k++ {
			d := posture.Declaration{Scope: posture.Scope{Web: append([]string(nil), list...)}}
			(&shardSpec{K: k, N: n}).filter(&d)
			for _, w := range d.Scope.Web {
				if prev, dup := out[w]; dup {
					t.Fatalf("%s in shards %d and %d", w, prev, k)
				}
				out[w] = k
			}
		}
		return out
	}
	small, grown := shardsOf(web[:100]), shardsOf(web)
	if len(small) != 100 || len(grown) != 300 {
		t.Fatalf("shards cover %d and %d targets, want 100 and 300", len(small), len(grown))
	}
	for w, k := range small {
		if grown[w] != k {
			t.Errorf("%s moved from shard %d to %d when the list grew", w, k, grown[w])
		}
	}
	count := make([]int, n)
	for _, k := range grown {
		count[k]++
	}
	for k, c := range count {
		if c < 30 { // 60 expected; a shard this small means a bad hash
			t.Errorf("shard %d has %d of 300 targets: %v", k, c, count)
		}
	}
	if shardOf("web", "https://A.example.com", 7) != shardOf("web", "https://a.example.com", 7) {
		t.Error("the shard of a target depends on the case of its address")
	}
}

// Three shard processes, K taken from JOB_COMPLETION_INDEX as in a
// Kubernetes Indexed Job, each scan only their targets, together all of
// them, and a shard's findings are the unsharded run's for its targets.
func TestScanShardsE2E(t *testing.T) {
	var srvs []*recordingServer
	for i := 0; i < 6; i++ {
		srvs = append(srvs, newRecordingServer(t))
	}
	dir := t.TempDir()
	trust := writeTrust(t, dir, srvs[0].URL, tlsHSTSControls)
	var lines []string
	for _, s := range srvs[1:] {
		lines = append(lines, s.URL)
	}
	list := filepath.Join(dir, "fleet.txt")
	if err := os.WriteFile(list, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"scan", "-c", trust, "--targets", list, "--fail-on", "none", "--quiet", "--ca-file", srvs[0].caFile,
		"--resolver", "127.0.0.1:1", "--timeout", "3s"}

	full := filepath.Join(dir, "full")
	if code, so, se := runVouch(t, append(base, "-o", full)...); code != exitOK {
		t.Fatalf("unsharded: exit %d\n%s\n%s", code, so, se)
	}
	verdicts := func(rep posture.Report) map[string]string {
		out := map[string]string{}
		for _, c := range rep.Controls {
			for _, f := range c.Findings {
				out[c.Control.ID+" "+f.Target] = fmt.Sprint(f.Verdict, " ", f.Code)
			}
		}
		return out
	}
	want := verdicts(readReport(t, filepath.Join(full, "report.json")))
	if len(want) == 0 {
		t.Fatal("the unsharded run has no findings")
	}

	digest, err := fileSHA256(trust)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	got := map[string]string{}
	for k := 0; k < 3; k++ {
		out := filepath.Join(dir, "shard-"+strconv.Itoa(k))
		// A process of the real binary per shard, its index in the
		// environment as Kubernetes sets it in an Indexed Job's pod.
		code, so, se := runVouchProcess(t, []string{"JOB_COMPLETION_INDEX=" + strconv.Itoa(k)}, append(base, "--shard", "/3", "-o", out)...)
		if code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s\n%s", k, code, so, se)
		}
		rep := readReport(t, filepath.Join(out, "report.json"))
		snap := readSnapshotT(t, filepath.Join(out, "snapshot.json"))
		if snap.Shard == nil || snap.Shard.K != k || snap.Shard.N != 3 || snap.Shard.DeclarationSHA256 != digest {
			t.Errorf("shard %d: snapshot records shard %+v, want K=%d N=3 sha256 %s", k, snap.Shard, k, digest)
		}
		for _, tg := range rep.Scope {
			if prev, dup := seen[tg.Address]; dup {
				t.Errorf("%s scanned by shards %d and %d", tg.Address, prev, k)
			}
			seen[tg.Address] = k
			if s := shardOf("web", tg.Address, 3); s != k {
				t.Errorf("shard %d scanned %s, which hashes to shard %d", k, tg.Address, s)
			}
		}
		for key, v := range verdicts(rep) {
			got[key] = v
		}
	}
	for _, s := range srvs {
		if _, ok := seen[s.URL]; !ok {
			t.Errorf("%s was in no shard's scope", s.URL)
		}
		if len(s.requestLines()) == 0 {
			t.Errorf("%s was not scanned by any shard", s.URL)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("shards' findings\n%v\nwant the unsharded run's\n%v", got, want)
	}

	// merge: the merged report has the unsharded run's verdicts, per
	// control and per finding target.
	shardDirs := []string{filepath.Join(dir, "shard-0"), filepath.Join(dir, "shard-1"), filepath.Join(dir, "shard-2")}
	merged := filepath.Join(dir, "merged")
	mergeBase := []string{"merge", "-c", trust, "--fail-on", "none", "--quiet"}
	code, so, se := runVouch(t, append(append(mergeBase, "-o", merged), shardDirs...)...)
	if code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", code, so, se)
	}
	fullRep, mergedRep := readReport(t, filepath.Join(full, "report.json")), readReport(t, filepath.Join(merged, "report.json"))
	if g := verdicts(mergedRep); fmt.Sprint(g) != fmt.Sprint(want) {
		t.Errorf("merged findings\n%v\nwant the unsharded run's\n%v", g, want)
	}
	controlVerdicts := func(rep posture.Report) map[string]string {
		out := map[string]string{}
		for _, c := range rep.Controls {
			out[c.Control.ID] = fmt.Sprint(c.Verdict)
		}
		return out
	}
	if g, w := controlVerdicts(mergedRep), controlVerdicts(fullRep); fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("merged control verdicts %v, want %v", g, w)
	}
	if len(mergedRep.Scope) != len(srvs) {
		t.Errorf("merged scope has %d targets, want %d", len(mergedRep.Scope), len(srvs))
	}
	ms := readSnapshotT(t, filepath.Join(merged, "snapshot.json"))
	if err := report.VerifyEvidence(filepath.Join(merged, "evidence", ms.ID)); err != nil {
		t.Errorf("merged evidence: %v", err)
	}
	for k := 0; k < 3; k++ {
		hs := readSnapshotT(t, filepath.Join(shardDirs[k], "snapshot.json"))
		if err := report.VerifyEvidence(filepath.Join(merged, "shards", strconv.Itoa(k))); err != nil {
			t.Errorf("shard %d's bundle kept in the merge: %v", k, err)
		} else if b, err := os.ReadFile(filepath.Join(merged, "shards", strconv.Itoa(k), "snapshot.json")); err != nil || !strings.Contains(string(b), hs.ID) {
			t.Errorf("shards/%d is not shard %d's bundle (%v)", k, k, err)
		}
	}

	// Refusals, each naming what does not fit.
	other := filepath.Join(dir, "other.yaml")
	tb, _ := os.ReadFile(trust)
	if err := os.WriteFile(other, append(tb, []byte("\n# changed\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		has  string
	}{
		"missing":   {append(append([]string{}, mergeBase...), "-o", filepath.Join(dir, "m1"), shardDirs[0], shardDirs[2]), "missing K 1"},
		"duplicate": {append(append([]string{}, mergeBase...), "-o", filepath.Join(dir, "m2"), shardDirs[0], shardDirs[1], shardDirs[1], shardDirs[2]), "shard 1/3 twice"},
		"trust":     {[]string{"merge", "-c", other, "--quiet", "-o", filepath.Join(dir, "m3"), shardDirs[0], shardDirs[1], shardDirs[2]}, "different trust.yaml"},
		"skew":      {append(append([]string{}, mergeBase...), "--max-skew", "1ns", "-o", filepath.Join(dir, "m4"), shardDirs[0], shardDirs[1], shardDirs[2]), "more than --max-skew"},
		"unsharded": {append(append([]string{}, mergeBase...), "-o", filepath.Join(dir, "m5"), full), "not a shard"},
	} {
		code, _, se := runVouch(t, tc.args...)
		if code != exitUsage || !strings.Contains(se, tc.has) {
			t.Errorf("merge %s: exit %d, want %d with %q\n%s", name, code, exitUsage, tc.has, se)
		}
	}
	// A shard whose evidence was changed is refused.
	h0 := readSnapshotT(t, filepath.Join(shardDirs[0], "snapshot.json"))
	if err := os.WriteFile(filepath.Join(shardDirs[0], "evidence", h0.ID, "report.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, se := runVouch(t, append(append(mergeBase, "-o", filepath.Join(dir, "m6")), shardDirs...)...); code != exitUsage || !strings.Contains(se, "does not verify") {
		t.Errorf("merge with tampered evidence: exit %d, want %d\n%s", code, exitUsage, se)
	}

	t.Setenv("JOB_COMPLETION_INDEX", "")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	if code, _, se := runVouch(t, append(base, "--shard", "/3", "-o", filepath.Join(dir, "x"))...); code != exitUsage || !strings.Contains(se, "JOB_COMPLETION_INDEX") {
		t.Errorf("--shard /3 without JOB_COMPLETION_INDEX: exit %d, want %d\n%s", code, exitUsage, se)
	}
}

func readSnapshotT(t *testing.T, path string) posture.Snapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s posture.Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// A shard that gets no target of the scope is no error: it writes a
// report with nothing observed, and a snapshot naming the shard, so that
// merge still finds every K.
func TestScanEmptyShard(t *testing.T) {
	srv := newRecordingServer(t)
	dir := t.TempDir()
	trust := writeTrust(t, dir, srv.URL, tlsHSTSControls)
	const n = 4
	empty := (shardOf("web", srv.URL, n) + 1) % n
	out := filepath.Join(dir, "out")
	code, so, se := runVouch(t, "scan", "-c", trust, "-o", out, "--fail-on", "none", "--quiet", "--ca-file", srv.caFile,
		"--resolver", "127.0.0.1:1", "--timeout", "3s", "--shard", fmt.Sprintf("%d/%d", empty, n))
	if code != exitOK {
		t.Fatalf("empty shard: exit %d\n%s\n%s", code, so, se)
	}
	if c := srv.conns.Load(); c != 0 {
		t.Errorf("shard %d/%d does not hold %s but sent it %d connections", empty, n, srv.URL, c)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	if len(rep.Scope) != 0 {
		t.Errorf("empty shard's report scope %+v", rep.Scope)
	}
	snap := readSnapshotT(t, filepath.Join(out, "snapshot.json"))
	if snap.Shard == nil || snap.Shard.K != empty || snap.Shard.N != n {
		t.Errorf("empty shard's snapshot records shard %+v", snap.Shard)
	}
}

// runVouchProcess runs the vouch binary TestMain built, with env added to
// the test's environment.
func runVouchProcess(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(filepath.Join(binDir, "vouch"), args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run vouch: %v", err)
	}
	return code, out.String(), errb.String()
}
