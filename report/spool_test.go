package report

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// encodeSnapshot writes, observation by observation, exactly what one
// json.MarshalIndent of the whole snapshot writes: the bundle's and the
// output's snapshot.json do not change with the way they are written.
func TestEncodeSnapshotMatchesMarshal(t *testing.T) {
	// encodeSnapshot writes the header, then the lists: a field after the
	// lists would move in its output.
	st := reflect.TypeOf(posture.Snapshot{})
	if n, k := st.NumField(), len(posture.Kinds()); st.Field(n-k).Tag.Get("json") != posture.Kinds()[0].Field()+",omitempty" {
		t.Fatalf("Snapshot's observation lists are not its last %d fields: encodeSnapshot would reorder it", k)
	}
	full := snapshotFixture()
	full.Shard = &posture.Shard{K: 1, N: 3, DeclarationSHA256: "ab"}
	empty := &posture.Snapshot{SchemaVersion: posture.SchemaVersion, ID: "x"}
	onlyDNS := full.Filter(func(tg posture.Target) bool { return tg.Kind == posture.TargetMail })
	for name, snap := range map[string]*posture.Snapshot{"full": full, "empty": empty, "one kind": onlyDNS} {
		want, err := marshalIndent(snap)
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := encodeSnapshot(&got, snap, nil); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s: encodeSnapshot differs from marshalIndent\n got: %s\nwant: %s", name, got.String(), want)
		}
	}
}

// A scan's fragments go through Add as they finish: their raw evidence is
// on disk at once and out of memory; the sealed bundle is the one
// WriteEvidence writes of the whole snapshot, and verifies.
func TestSpoolStreamsEvidence(t *testing.T) {
	want, r := snapshotFixture(), fixture()
	dir := t.TempDir()
	ref := writeBundle(t, filepath.Join(dir, "ref"), want, r)

	sp, err := NewSpool(filepath.Join(dir, "spool"), want.ID)
	if err != nil {
		t.Fatal(err)
	}
	// One fragment per observation, in the snapshot's order.
	c := want.Clone()
	var merged posture.Snapshot
	merged.SchemaVersion, merged.ID, merged.Tool, merged.StartedAt, merged.FinishedAt, merged.Scope, merged.Resolver =
		c.SchemaVersion, c.ID, c.Tool, c.StartedAt, c.FinishedAt, c.Scope, c.Resolver
	merged.Excluded = c.Excluded
	for _, o := range c.Observations() {
		part := c.Filter(func(tg posture.Target) bool { return tg == o.Target })
		for _, k := range posture.Kinds() {
			for _, h := range k.Headers(part) {
				h.Evidence = append([]posture.Evidence(nil), h.Evidence...)
			}
		}
		sp.Add(part)
		for _, k := range posture.Kinds() {
			for _, h := range k.Headers(part) {
				for _, e := range h.Evidence {
					if !strings.HasPrefix(e.Data, sp.mark) {
						t.Fatalf("evidence %s still holds its data after Add", e.ID)
					}
				}
			}
		}
		merged.Merge(*part)
		// The same target is added once.
		c = c.Filter(func(tg posture.Target) bool { return tg != o.Target })
	}
	merged.Sort()
	if err := sp.Err(); err != nil {
		t.Fatal(err)
	}
	bundle, err := sp.Seal(&merged, r, Manifest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyEvidence(bundle); err != nil {
		t.Fatal(err)
	}
	// Evidence names that clash are told apart in the order evidence
	// arrives; the contents are the same.
	contents := func(b string) map[string]bool {
		m := map[string]bool{}
		es, _ := os.ReadDir(filepath.Join(b, evidenceDir))
		for _, e := range es {
			d, _ := os.ReadFile(filepath.Join(b, evidenceDir, e.Name()))
			m[string(d)] = true
		}
		return m
	}
	if a, b := contents(ref), contents(bundle); len(a) != len(b) || len(a) < 5 {
		t.Errorf("evidence files: %d from WriteEvidence, %d from the spool", len(a), len(b))
	} else {
		for d := range a {
			if !b[d] {
				t.Errorf("the spool lost evidence %q", d)
			}
		}
	}
	for _, f := range []string{snapshotName, reportName, "evidence/tls-app-chain.pem"} {
		a, errA := os.ReadFile(filepath.Join(ref, f))
		b, errB := os.ReadFile(filepath.Join(bundle, f))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from WriteEvidence's (%v, %v)", f, errA, errB)
		}
	}
	// The snapshot in memory still holds references, not data.
	for _, e := range merged.AllEvidence() {
		if !strings.HasPrefix(e.Data, sp.mark) {
			t.Errorf("Seal left data in memory for %s", e.ID)
		}
	}
	if _, err := sp.Seal(&merged, r, Manifest{}, nil); err == nil {
		t.Error("a second Seal succeeded")
	}
}

// Data a target sent that looks like a spool reference is data: it is
// written as evidence like any other and never read as a file name.
func TestSpoolForgedReference(t *testing.T) {
	snap, r := snapshotFixture(), fixture()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("private"), 0o600); err != nil {
		t.Fatal(err)
	}
	sp, err := NewSpool(filepath.Join(dir, "ev"), snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := snap.Clone()
	forged := spoolMark + ":../../secret"
	for _, k := range posture.Kinds() {
		for _, h := range k.Headers(c) {
			h.Evidence = append([]posture.Evidence(nil), h.Evidence...)
			for i := range h.Evidence {
				h.Evidence[i].Data = forged
			}
		}
	}
	sp.Add(c)
	bundle, err := sp.Seal(c, r, Manifest{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(bundle, snapshotName))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "private") || !strings.Contains(string(b), `../../secret`) {
		t.Errorf("a forged reference was read as a file name:\n%s", b)
	}
}

// A write error while the scan runs ends the spool: Seal fails, nothing
// is renamed into place, the temporary directory is gone; so does Abort.
func TestSpoolFailure(t *testing.T) {
	snap, r := snapshotFixture(), fixture()
	dir := t.TempDir()
	sp, err := NewSpool(dir, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(sp.tmp); err != nil { // the disk lost it
		t.Fatal(err)
	}
	c := snap.Clone()
	sp.Add(c)
	if sp.Err() == nil {
		t.Fatal("Add into a vanished directory reported no error")
	}
	if _, err := sp.Seal(c, r, Manifest{}, nil); err == nil {
		t.Fatal("Seal after a write error succeeded")
	}
	if got := listTree(t, dir); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}

	sp, err = NewSpool(dir, snap.ID)
	if err != nil {
		t.Fatal(err)
	}
	sp.Abort()
	if got := listTree(t, dir); len(got) != 0 {
		t.Errorf("Abort left: %v", got)
	}
	if _, err := NewSpool(dir, "../x"); err == nil {
		t.Error("NewSpool took an unsafe id")
	}
}
