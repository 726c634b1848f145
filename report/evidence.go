package report

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Files of an evidence bundle.
const (
	manifestName = "manifest.json"
	snapshotName = "snapshot.json"
	reportName   = "report.json"
	evidenceDir  = "evidence"
	// maxManifestSize bounds what VerifyEvidence reads of a manifest.
	maxManifestSize = 64 << 20
)

// Manifest describes an evidence bundle: who made it, how, over what
// scope, when, and the SHA-256 of every file in it but itself. Command is
// written as given: callers drop secrets from it first.
type Manifest struct {
	Tool     posture.Tool        `json:"tool"`
	ScanID   string              `json:"scan_id"`
	Command  []string            `json:"command,omitempty"`
	Scope    []posture.Target    `json:"scope,omitempty"`
	Excluded []posture.Exclusion `json:"excluded,omitempty"`
	Resolver string              `json:"resolver,omitempty"`
	Host     string              `json:"host,omitempty"` // the machine that scanned
	Started  time.Time           `json:"started,omitzero"`
	Finished time.Time           `json:"finished,omitzero"`
	Files    []ManifestFile      `json:"files"`
}

// ManifestFile is one file of a bundle: its path relative to the bundle,
// with forward slashes, its SHA-256 in lower-case hex, and its size.
type ManifestFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// manifestJSON is manifest.json: the manifest under a schema version.
type manifestJSON struct {
	SchemaVersion string `json:"schema_version"`
	Manifest
}

// WriteEvidence writes the evidence bundle of one scan to dir/<scan id>/:
//
//	snapshot.json            the snapshot, as observed
//	report.json              the report, every control included
//	evidence/<id>.<ext>      one file per posture.Evidence, raw; ext by kind:
//	                         pem, zone (dns), http, json (tls-handshake), txt
//	manifest.json            m, with Files listing every other file
//
// An evidence id made only of letters, digits, '.', '_' and '-' (not
// starting with '.', at most 96 bytes) is its own file name; another id is
// spelled with '_' for every character but letters, digits, '_' and '-',
// cut to 96 bytes, and gets "-" and the first 8 hex digits of the SHA-256
// of the id appended, so that ids that read alike stay apart.
//
// The scan id comes from m, r or snap, which must not disagree. Blank
// fields of m are filled from snap and r. The bundle is built in a
// temporary directory in dir and renamed into place: a failure leaves no
// partial bundle, and touches no other bundle. A bundle of the same scan id
// is replaced. It returns the bundle's path.
func WriteEvidence(dir string, snap *posture.Snapshot, r *posture.Report, m Manifest) (bundle string, err error) {
	return writeEvidence(dir, snap, r, m, nil)
}

// WriteSignedEvidence is WriteEvidence that also signs the manifest with
// key (as SignEvidence does) before the bundle is renamed into place, so
// that a bundle meant to be signed is never in place unsigned.
func WriteSignedEvidence(dir string, snap *posture.Snapshot, r *posture.Report, m Manifest, key ed25519.PrivateKey) (bundle string, err error) {
	if len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("report: sign evidence: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return writeEvidence(dir, snap, r, m, key)
}

func writeEvidence(dir string, snap *posture.Snapshot, r *posture.Report, m Manifest, key ed25519.PrivateKey) (bundle string, err error) {
	if snap == nil || r == nil {
		return "", fmt.Errorf("report: evidence: snapshot and report are required")
	}
	id, err := bundleID(m.ScanID, r.ScanID, snap.ID)
	if err != nil {
		return "", err
	}
	sp, err := NewSpool(dir, id)
	if err != nil {
		return "", err
	}
	// The spool takes the data out of the evidence it writes: it works on
	// a copy whose evidence lists are its own.
	c := snap.Clone()
	for _, k := range posture.Kinds() {
		for _, h := range k.Headers(c) {
			h.Evidence = slices.Clone(h.Evidence)
		}
	}
	sp.Add(c)
	if err := sp.Err(); err != nil {
		sp.Abort()
		return "", err
	}
	return sp.Seal(c, r, m, key)
}

// bundleID picks the scan id from the first non-empty of ids, checks that
// the others agree, and that it is safe as one path element.
func bundleID(ids ...string) (string, error) {
	var id string
	for _, x := range ids {
		switch {
		case x == "":
		case id == "":
			id = x
		case x != id:
			return "", fmt.Errorf("report: evidence: scan ids disagree: manifest %q, report %q, snapshot %q", ids[0], ids[1], ids[2])
		}
	}
	if id == "" {
		return "", fmt.Errorf("report: evidence: no scan id")
	}
	if id[0] == '.' || len(id) > 128 || strings.TrimFunc(id, safeRune) != "" {
		return "", fmt.Errorf("report: evidence: scan id %q is not a safe directory name (letters, digits, '.', '_', '-'; not starting with '.')", id)
	}
	return id, nil
}

func fillManifest(m *Manifest, snap *posture.Snapshot, r *posture.Report) {
	if m.Tool == (posture.Tool{}) {
		m.Tool = r.Tool
		if m.Tool == (posture.Tool{}) {
			m.Tool = snap.Tool
		}
	}
	if m.Scope == nil {
		m.Scope = snap.Scope
	}
	if m.Excluded == nil {
		m.Excluded = snap.Excluded
	}
	if m.Resolver == "" {
		m.Resolver = snap.Resolver
	}
	if m.Started.IsZero() {
		m.Started = snap.StartedAt
	}
	if m.Finished.IsZero() {
		m.Finished = snap.FinishedAt
	}
}

func safeRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// evidenceExt is the file extension of each kind of evidence.
func evidenceExt(k posture.EvidenceKind) string {
	switch k {
	case posture.EvidencePEM:
		return "pem"
	case posture.EvidenceDNS:
		return "zone"
	case posture.EvidenceHTTP:
		return "http"
	case posture.EvidenceTLSHandshake:
		return "json"
	}
	return "txt"
}

// evidenceNames gives each piece of evidence its file name in evidence/.
// Names never repeat, even on a file system that ignores case: a clash
// (a duplicated id) takes the next free "-2", "-3", ... suffix.
func evidenceNames(evs []posture.Evidence) []string {
	used := map[string]bool{}
	out := make([]string, len(evs))
	for i, e := range evs {
		base, ext := safeName(e.ID), evidenceExt(e.Kind)
		name := base + "." + ext
		for n := 2; used[strings.ToLower(name)]; n++ {
			name = fmt.Sprintf("%s-%d.%s", base, n, ext)
		}
		used[strings.ToLower(name)] = true
		out[i] = name
	}
	return out
}

func safeName(id string) string {
	const max = 96
	if id != "" && id[0] != '.' && len(id) <= max && strings.TrimFunc(id, safeRune) == "" {
		return id
	}
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= max {
			break
		}
		if safeRune(r) && r != '.' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(id))
	return b.String() + "-" + hex.EncodeToString(sum[:4])
}

// checkReplaceable refuses to replace anything at final but an earlier
// evidence bundle.
func checkReplaceable(final string) error {
	fi, err := os.Lstat(final)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: evidence: %w", err)
	}
	if fi.IsDir() {
		if mf, err := os.Lstat(filepath.Join(final, manifestName)); err == nil && mf.Mode().IsRegular() {
			return nil
		}
	}
	return fmt.Errorf("report: evidence: %s exists and is not an evidence bundle; not replacing it", final)
}

// replaceDir renames the finished bundle tmp to final. An earlier bundle at
// final is moved aside first and put back if the rename fails.
func replaceDir(tmp, final string) error {
	if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("report: evidence: %w", err)
		}
		return nil
	}
	old := tmp + "-old"
	if err := os.Rename(final, old); err != nil {
		return fmt.Errorf("report: evidence: move earlier bundle aside: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if rerr := os.Rename(old, final); rerr != nil {
			return fmt.Errorf("report: evidence: %w; the earlier bundle is at %s", errors.Join(err, rerr), old)
		}
		return fmt.Errorf("report: evidence: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("report: evidence: bundle written, but the earlier one remains at %s: %w", old, err)
	}
	return nil
}

// VerifyEvidence checks a bundle against its manifest: every listed file is
// present with the listed size and SHA-256, snapshot.json and report.json
// are listed, and no other file (or link) is in the bundle but
// manifest.json and its signature manifest.json.sig. Its error names every
// file that is changed, missing or unlisted.
//
// With one or more public keys, the bundle must also be signed
// (SignEvidence) by the private key of one of them. Without keys a
// signature is not checked.
func VerifyEvidence(bundle string, keys ...ed25519.PublicKey) error {
	m, err := readManifest(bundle)
	if err != nil {
		return err
	}
	var problems []string
	if len(keys) > 0 {
		if err := verifySignature(bundle, keys); err != nil {
			problems = append(problems, "signature: "+err.Error())
		}
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		switch {
		case !validBundlePath(f.Path):
			problems = append(problems, fmt.Sprintf("invalid path in manifest: %q", f.Path))
			continue
		case listed[f.Path]:
			problems = append(problems, "listed twice: "+f.Path)
			continue
		}
		listed[f.Path] = true
		if p := checkFile(bundle, f); p != "" {
			problems = append(problems, p)
		}
	}
	for _, need := range []string{snapshotName, reportName} {
		if !listed[need] {
			problems = append(problems, "not in manifest: "+need)
		}
	}
	err = filepath.WalkDir(bundle, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(bundle, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != manifestName && rel != signatureName && !listed[rel] {
			problems = append(problems, "unlisted: "+rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: verify evidence %s: %w", bundle, err)
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("report: verify evidence %s: %s", bundle, strings.Join(problems, "; "))
	}
	return nil
}

func readManifest(bundle string) (*Manifest, error) {
	f, err := os.Open(filepath.Join(bundle, manifestName))
	if err != nil {
		return nil, fmt.Errorf("report: verify evidence %s: %w", bundle, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("report: verify evidence %s: %w", bundle, err)
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("report: verify evidence %s: manifest larger than %d bytes", bundle, maxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var mj manifestJSON
	if err := dec.Decode(&mj); err != nil {
		return nil, fmt.Errorf("report: verify evidence %s: manifest: %w", bundle, err)
	}
	if mj.SchemaVersion != posture.SchemaVersion {
		return nil, fmt.Errorf("report: verify evidence %s: manifest: unknown schema_version %q (want %q)", bundle, mj.SchemaVersion, posture.SchemaVersion)
	}
	return &mj.Manifest, nil
}

// validBundlePath accepts a clean relative slash path inside the bundle
// that is not the manifest itself.
func validBundlePath(p string) bool {
	return p != "" && p != manifestName && p != signatureName && !strings.Contains(p, `\`) &&
		path.Clean(p) == p && !path.IsAbs(p) && p != ".." && !strings.HasPrefix(p, "../") && !filepath.IsAbs(filepath.FromSlash(p))
}

// checkFile compares one listed file with the disk; it returns the problem,
// or "" when the file matches.
func checkFile(bundle string, f ManifestFile) string {
	full := filepath.Join(bundle, filepath.FromSlash(f.Path))
	fi, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing: " + f.Path
	}
	if err != nil {
		return fmt.Sprintf("unreadable: %s: %v", f.Path, err)
	}
	if !fi.Mode().IsRegular() {
		return "not a regular file: " + f.Path
	}
	fh, err := os.Open(full)
	if err != nil {
		return fmt.Sprintf("unreadable: %s: %v", f.Path, err)
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return fmt.Sprintf("unreadable: %s: %v", f.Path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != f.Size || sum != strings.ToLower(f.SHA256) {
		return fmt.Sprintf("changed: %s (sha256 %s, %d bytes; manifest says %s, %d bytes)", f.Path, sum, n, f.SHA256, f.Size)
	}
	return ""
}
