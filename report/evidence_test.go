package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

func hash8(id string) string {
	s := sha256.Sum256([]byte(id))
	return hex.EncodeToString(s[:4])
}

func writeBundle(t *testing.T, dir string, snap *posture.Snapshot, r *posture.Report) string {
	t.Helper()
	b, err := WriteEvidence(dir, snap, r, Manifest{Command: []string{"vouch", "check", "--evidence", dir}, Host: "ci-runner-1"})
	if err != nil {
		t.Fatalf("WriteEvidence: %v", err)
	}
	return b
}

// listTree returns every file under dir, relative, with forward slashes.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			if d.IsDir() {
				rel += "/"
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteEvidence(t *testing.T) {
	dir := t.TempDir()
	snap, r := snapshotFixture(), fixture()
	bundle := writeBundle(t, dir, snap, r)
	if want := filepath.Join(dir, "20261123T090000Z-1a2b3c"); bundle != want {
		t.Errorf("bundle at %s, want %s", bundle, want)
	}
	// Nothing else is left in dir: no temporary directory.
	if got := listTree(t, dir); got[0] != "20261123T090000Z-1a2b3c/" || slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, ".tmp-") }) {
		t.Errorf("dir holds %v", got)
	}

	wantEvidence := map[string]string{
		"evidence/tls-app-chain.pem":                                            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		"evidence/tls-app-handshake.json":                                       `{"version":"TLSv1.0"}`,
		"evidence/http-legacy-head.http":                                        "HTTP/1.1 200 OK\r\nServer: x\r\n\r\n",
		"evidence/dns-dmarc.zone":                                               "_dmarc.acme.example. 300 IN TXT \"v=DMARC1; p=reject\"\n",
		"evidence/waf_app_443_probe_1-" + hash8("waf/app:443 probe#1") + ".txt": "GET /?q=<script> -> 200",
		"evidence/______etc_passwd-" + hash8("../../etc/passwd") + ".txt":       "path traversal attempt",
		"evidence/DNS-DMARC-2.zone":                                             "same name as dns-dmarc but for case",
	}
	for rel, data := range wantEvidence {
		got, err := os.ReadFile(filepath.Join(bundle, filepath.FromSlash(rel)))
		if err != nil {
			t.Errorf("evidence file: %v", err)
			continue
		}
		if string(got) != data {
			t.Errorf("%s holds %q, want %q", rel, got, data)
		}
	}

	var m manifestJSON
	mb, err := os.ReadFile(filepath.Join(bundle, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mb, &m); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, f := range m.Files {
		listed = append(listed, f.Path)
		data, err := os.ReadFile(filepath.Join(bundle, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if f.SHA256 != hex.EncodeToString(sum[:]) || f.Size != int64(len(data)) {
			t.Errorf("manifest entry %s: %s %d, file %x %d", f.Path, f.SHA256, f.Size, sum, len(data))
		}
	}
	var onDisk []string
	for _, p := range listTree(t, bundle) {
		if !strings.HasSuffix(p, "/") && p != "manifest.json" {
			onDisk = append(onDisk, p)
		}
	}
	slices.Sort(onDisk)
	if !slices.Equal(listed, onDisk) {
		t.Errorf("manifest lists %v\nbundle holds %v", listed, onDisk)
	}
	if len(listed) != len(wantEvidence)+2 {
		t.Errorf("manifest lists %d files, want %d", len(listed), len(wantEvidence)+2)
	}
	if m.SchemaVersion != posture.SchemaVersion || m.ScanID != r.ScanID || m.Tool != r.Tool || m.Host != "ci-runner-1" ||
		!m.Started.Equal(snap.StartedAt) || !m.Finished.Equal(snap.FinishedAt) || m.Resolver != snap.Resolver || len(m.Scope) != len(snap.Scope) {
		t.Errorf("manifest header %+v", m)
	}

	// The report and the snapshot read back as written.
	rf, err := os.Open(filepath.Join(bundle, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	back, err := ReadReport(rf)
	if err != nil {
		t.Fatal(err)
	}
	if back.ScanID != r.ScanID || len(back.Controls) != len(r.Controls) {
		t.Error("report.json is not the report")
	}
	if err := VerifyEvidence(bundle); err != nil {
		t.Errorf("fresh bundle does not verify: %v", err)
	}
}

func TestVerifyEvidenceCatchesTampering(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, bundle string)
		want   []string
	}{
		{"flipped byte", func(t *testing.T, b string) {
			p := filepath.Join(b, "evidence", "tls-app-chain.pem")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[10] ^= 0x01
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"changed: evidence/tls-app-chain.pem"}},
		{"appended byte", func(t *testing.T, b string) {
			f, err := os.OpenFile(filepath.Join(b, "report.json"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte(" "))
			f.Close()
		}, []string{"changed: report.json"}},
		{"stray file", func(t *testing.T, b string) {
			if err := os.WriteFile(filepath.Join(b, "evidence", "extra.txt"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"unlisted: evidence/extra.txt"}},
		{"stray link", func(t *testing.T, b string) {
			if err := os.Symlink("/etc/hostname", filepath.Join(b, "notes")); err != nil {
				t.Fatal(err)
			}
		}, []string{"unlisted: notes"}},
		{"missing file", func(t *testing.T, b string) {
			if err := os.Remove(filepath.Join(b, "snapshot.json")); err != nil {
				t.Fatal(err)
			}
		}, []string{"missing: snapshot.json"}},
		{"file swapped for a link", func(t *testing.T, b string) {
			p := filepath.Join(b, "evidence", "dns-dmarc.zone")
			os.Remove(p)
			if err := os.Symlink("tls-app-chain.pem", p); err != nil {
				t.Fatal(err)
			}
		}, []string{"not a regular file: evidence/dns-dmarc.zone"}},
		{"manifest escapes the bundle", func(t *testing.T, b string) {
			editManifest(t, b, func(m *manifestJSON) {
				m.Files = append(m.Files, ManifestFile{Path: "../outside", SHA256: "00", Size: 1})
			})
		}, []string{`invalid path in manifest: "../outside"`}},
		{"manifest drops the report", func(t *testing.T, b string) {
			editManifest(t, b, func(m *manifestJSON) {
				m.Files = slices.DeleteFunc(m.Files, func(f ManifestFile) bool { return f.Path == "report.json" })
			})
		}, []string{"not in manifest: report.json", "unlisted: report.json"}},
		{"two problems", func(t *testing.T, b string) {
			os.Remove(filepath.Join(b, "evidence", "tls-app-handshake.json"))
			os.WriteFile(filepath.Join(b, "stray"), nil, 0o644)
		}, []string{"missing: evidence/tls-app-handshake.json", "unlisted: stray"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bundle := writeBundle(t, t.TempDir(), snapshotFixture(), fixture())
			c.tamper(t, bundle)
			err := VerifyEvidence(bundle)
			if err == nil {
				t.Fatal("tampered bundle verifies")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			// Files that were not touched are not blamed.
			if strings.Contains(err.Error(), "dns-dmarc.zone") && c.name != "file swapped for a link" {
				t.Errorf("error blames an untouched file: %v", err)
			}
		})
	}
}

func editManifest(t *testing.T, bundle string, edit func(*manifestJSON)) {
	t.Helper()
	p := filepath.Join(bundle, "manifest.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var m manifestJSON
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(&m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyEvidenceManifest(t *testing.T) {
	bundle := writeBundle(t, t.TempDir(), snapshotFixture(), fixture())
	p := filepath.Join(bundle, "manifest.json")
	good, _ := os.ReadFile(p)
	for name, doc := range map[string]string{
		"unknown version": strings.Replace(string(good), `"vouch/v1"`, `"vouch/v9"`, 1),
		"unknown field":   strings.Replace(string(good), `"scan_id"`, `"signature": "x", "scan_id"`, 1),
		"not JSON":        "files: []",
	} {
		os.WriteFile(p, []byte(doc), 0o644)
		if err := VerifyEvidence(bundle); err == nil {
			t.Errorf("%s: manifest accepted", name)
		}
	}
	os.Remove(p)
	if err := VerifyEvidence(bundle); err == nil {
		t.Error("bundle without manifest verifies")
	}
}

// TestWriteEvidenceFailureKeepsBundles: a write that fails half-way leaves
// the earlier bundle of the same scan id and bundles of other scans as they
// were, and no temporary directory.
func TestWriteEvidenceFailureKeepsBundles(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(s *posture.Snapshot, r *posture.Report)
		want   string
	}{
		// encoding/json refuses years past 9999: a snapshot or report that
		// cannot be written, after the evidence files already were.
		{"snapshot cannot be marshalled", func(s *posture.Snapshot, r *posture.Report) {
			s.FinishedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "snapshot"},
		{"report cannot be marshalled", func(s *posture.Snapshot, r *posture.Report) {
			r.GeneratedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "report"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			first := writeBundle(t, dir, snapshotFixture(), fixture())
			other := snapshotFixture()
			other.ID = "20261124T090000Z-ffffff"
			otherReport := fixture()
			otherReport.ScanID = other.ID
			second := writeBundle(t, dir, other, otherReport)
			before := snapshotTree(t, dir)

			s, r := snapshotFixture(), fixture()
			r.Controls = r.Controls[:1] // a different report for the same scan
			c.break_(s, r)
			_, err := WriteEvidence(dir, s, r, Manifest{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("WriteEvidence error %v, want one about the %s", err, c.want)
			}
			if after := snapshotTree(t, dir); !mapsEqual(before, after) {
				t.Errorf("a failed write changed dir:\nbefore %v\nafter  %v", keys(before), keys(after))
			}
			for _, b := range []string{first, second} {
				if err := VerifyEvidence(b); err != nil {
					t.Errorf("earlier bundle broken: %v", err)
				}
			}
		})
	}
}

// TestWriteEvidenceTempDirFails: when no temporary directory can be made
// beside the target, nothing changes.
func TestWriteEvidenceTempDirFails(t *testing.T) {
	dir := t.TempDir()
	first := writeBundle(t, dir, snapshotFixture(), fixture())
	readOnly(t, dir)
	before := snapshotTree(t, dir)
	_, err := WriteEvidence(dir, snapshotFixture(), fixture(), Manifest{})
	if err == nil || !strings.HasPrefix(err.Error(), "report: evidence: ") {
		t.Fatalf("WriteEvidence in a read-only directory: error %v", err)
	}
	if after := snapshotTree(t, dir); !mapsEqual(before, after) {
		t.Error("a failed write changed dir")
	}
	if err := VerifyEvidence(first); err != nil {
		t.Error(err)
	}
}

// readOnly makes dir refuse new entries until the test ends: by its mode,
// or, for root (whom modes do not stop), by the immutable attribute.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	chattr, err := exec.LookPath("chattr")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chattr (e2fsprogs) is needed to make a directory read-only for root")
		}
		t.Skip("chattr not installed; running as root, a directory mode cannot stop writes")
	}
	if out, err := exec.Command(chattr, "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i %s: %v: %s (file system without the immutable attribute)", dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command(chattr, "-i", dir).CombinedOutput(); err != nil {
			t.Errorf("chattr -i %s: %v: %s", dir, err, out)
		}
	})
}

func TestWriteEvidenceReplacesSameScan(t *testing.T) {
	dir := t.TempDir()
	writeBundle(t, dir, snapshotFixture(), fixture())
	r := fixture()
	r.Controls = r.Controls[:2]
	r.Summarize()
	s := snapshotFixture()
	s.WAF = nil
	bundle := writeBundle(t, dir, s, r)
	if err := VerifyEvidence(bundle); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(filepath.Join(bundle, "report.json"))
	defer f.Close()
	back, err := ReadReport(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Controls) != 2 {
		t.Errorf("report.json has %d controls: the earlier bundle was not replaced", len(back.Controls))
	}
	if _, err := os.Stat(filepath.Join(bundle, "evidence", "DNS-DMARC-2.zone")); err == nil {
		t.Error("evidence of the earlier bundle survived the replacement")
	}
	if got := listTree(t, dir); len(got) == 0 || slices.ContainsFunc(got, func(s string) bool { return !strings.HasPrefix(s, "20261123T090000Z-1a2b3c/") }) {
		t.Errorf("dir holds more than the bundle: %v", got)
	}
}

func TestWriteEvidenceRefuses(t *testing.T) {
	dir := t.TempDir()
	// Something that is not a bundle sits where the bundle would go.
	squatter := filepath.Join(dir, "20261123T090000Z-1a2b3c")
	os.Mkdir(squatter, 0o755)
	os.WriteFile(filepath.Join(squatter, "thesis.tex"), []byte("precious"), 0o644)

	unsafe := snapshotFixture()
	unsafe.ID = "../escape"
	unsafeR := fixture()
	unsafeR.ScanID = "../escape"
	other := fixture()
	other.ScanID = "another-scan"
	cases := []struct {
		name string
		snap *posture.Snapshot
		r    *posture.Report
		m    Manifest
		want string
	}{
		{"not a bundle in the way", snapshotFixture(), fixture(), Manifest{}, "not an evidence bundle"},
		{"ids disagree", snapshotFixture(), other, Manifest{}, "scan ids disagree"},
		{"manifest id disagrees", snapshotFixture(), fixture(), Manifest{ScanID: "x"}, "scan ids disagree"},
		{"unsafe id", unsafe, unsafeR, Manifest{}, "not a safe directory name"},
		{"no id", &posture.Snapshot{}, &posture.Report{}, Manifest{}, "no scan id"},
		{"nil snapshot", nil, fixture(), Manifest{}, "required"},
	}
	for _, c := range cases {
		_, err := WriteEvidence(dir, c.snap, c.r, c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(squatter, "thesis.tex")); string(b) != "precious" {
		t.Error("WriteEvidence touched a directory that is not a bundle")
	}
	if got := listTree(t, dir); len(got) != 2 {
		t.Errorf("dir holds %v", got)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.sarif")
	for _, content := range []string{"first", "second, longer"} {
		if err := WriteFileAtomic(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(p)
		if string(got) != content {
			t.Errorf("file holds %q, want %q", got, content)
		}
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	// Renaming onto a directory fails: the directory and dir stay as they
	// were, with no temporary file left behind.
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "keep"), []byte("k"), 0o644)
	if err := WriteFileAtomic(sub, []byte("x"), 0o644); err == nil || !strings.HasPrefix(err.Error(), "report: ") {
		t.Errorf("writing over a directory: error %v", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
	if got := listTree(t, dir); !slices.Equal(got, []string{"report.sarif", "sub/", "sub/keep"}) {
		t.Errorf("dir holds %v", got)
	}
}

// snapshotTree maps every path under dir to its content ("/" for a
// directory).
func snapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range listTree(t, dir) {
		if strings.HasSuffix(p, "/") {
			out[p] = "/"
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		out[p] = string(b)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal([]byte(v), []byte(w)) {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
