package report

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/vouchdev/vouch/posture"
)

// A Spool is the evidence bundle of one scan, written while the scan runs
// (the bundle layout is WriteEvidence's). Each finished fragment of the
// snapshot goes through Add, which writes its raw evidence to the
// bundle's evidence/ directory at once and keeps, in memory, only the
// observation without its raw data: a scan of thousands of targets holds
// their parsed observations, never every certificate chain and HTTP
// exchange it saw. Seal writes report.json and snapshot.json (the raw
// data read back from disk, one observation at a time), the manifest and
// its signature, and renames the bundle into place; Abort throws it away.
//
// Until Seal the bundle is a hidden temporary directory beside the
// others, so a scan that fails or is killed replaces nothing.
type Spool struct {
	dir, id, tmp string

	mark string // spoolMark and this spool's own random token

	mu     sync.Mutex
	files  []ManifestFile
	used   map[string]bool // evidence file names, lower-cased
	names  map[string]bool // evidence file names as written
	err    error           // the first write error; Add does nothing after it
	sealed bool
}

// spoolMark starts the Data of every evidence that went through Add,
// followed by the spool's random token, a colon and the evidence's file
// name in evidence/. Data a target sent can start with anything: only a
// name this spool wrote, behind this spool's token, is ever read back.
const spoolMark = "\x00vouch-spool-"

// NewSpool starts the bundle of scan id in dir (dir/<id>/ once sealed).
// It refuses an id that is not a safe directory name, and a dir/<id> that
// is something other than an earlier bundle.
func NewSpool(dir, id string) (*Spool, error) {
	id, err := bundleID(id)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: evidence: %w", err)
	}
	if err := checkReplaceable(filepath.Join(dir, id)); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, "."+id+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("report: evidence: %w", err)
	}
	if err := os.Mkdir(filepath.Join(tmp, evidenceDir), 0o755); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("report: evidence: %w", err)
	}
	tok := make([]byte, 16)
	if _, err := rand.Read(tok); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("report: evidence: %w", err)
	}
	return &Spool{dir: dir, id: id, tmp: tmp, mark: spoolMark + hex.EncodeToString(tok) + ":", used: map[string]bool{}, names: map[string]bool{}}, nil
}

// ID is the scan id of the bundle.
func (s *Spool) ID() string { return s.id }

// Add writes the raw evidence of every observation in part to the bundle
// and replaces each evidence's Data in part by a reference to its file.
// After a write error it does nothing more; Err returns the error.
func (s *Spool) Add(part *posture.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil || s.sealed {
		return
	}
	for _, k := range posture.Kinds() {
		for _, h := range k.Headers(part) {
			for i := range h.Evidence {
				e := &h.Evidence[i]
				name := s.name(*e)
				if err := s.put(evidenceDir+"/"+name, []byte(e.Data)); err != nil {
					s.err = err
					return
				}
				s.names[name] = true
				e.Data = s.mark + name
			}
		}
	}
}

// name gives e its file name in evidence/: as evidenceNames does, a clash
// takes the next free "-2", "-3" … suffix, in the order evidence arrives.
func (s *Spool) name(e posture.Evidence) string {
	base, ext := safeName(e.ID), evidenceExt(e.Kind)
	name := base + "." + ext
	for n := 2; s.used[strings.ToLower(name)]; n++ {
		name = fmt.Sprintf("%s-%d.%s", base, n, ext)
	}
	s.used[strings.ToLower(name)] = true
	return name
}

// put writes one file of the bundle and lists it for the manifest.
func (s *Spool) put(rel string, data []byte) error {
	if err := writeNew(filepath.Join(s.tmp, filepath.FromSlash(rel)), data, 0o644); err != nil {
		return fmt.Errorf("report: evidence: %w", err)
	}
	sum := sha256.Sum256(data)
	s.files = append(s.files, ManifestFile{Path: rel, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))})
	return nil
}

// Err returns the first error Add met writing evidence.
func (s *Spool) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Abort removes the unfinished bundle. It is a no-op after Seal.
func (s *Spool) Abort() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sealed {
		s.sealed = true
		os.RemoveAll(s.tmp)
	}
}

// Seal finishes the bundle: report.json, snapshot.json (snap as observed,
// its evidence read back from the files Add wrote), manifest.json (m,
// blank fields filled from snap and r, Files listing every other file),
// manifest.json.sig when key is given, and the rename into dir/<id>.
// Every observation of snap must have gone through Add. A failure
// removes the unfinished bundle and leaves any earlier one in place.
func (s *Spool) Seal(snap *posture.Snapshot, r *posture.Report, m Manifest, key ed25519.PrivateKey) (bundle string, err error) {
	if snap == nil || r == nil {
		return "", fmt.Errorf("report: evidence: snapshot and report are required")
	}
	if key != nil && len(key) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("report: sign evidence: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sealed {
		return "", fmt.Errorf("report: evidence: bundle %s is already sealed or aborted", s.id)
	}
	s.sealed = true
	defer func() {
		if err != nil {
			os.RemoveAll(s.tmp)
		}
	}()
	if s.err != nil {
		return "", s.err
	}
	if _, err := bundleID(s.id, m.ScanID, r.ScanID, snap.ID); err != nil {
		return "", err
	}
	m.ScanID = s.id
	fillManifest(&m, snap, r)

	if err := syncDir(filepath.Join(s.tmp, evidenceDir)); err != nil {
		return "", fmt.Errorf("report: evidence: %w", err)
	}
	rb, err := marshalIndent(r)
	if err != nil {
		return "", fmt.Errorf("report: evidence: report: %w", err)
	}
	if err := s.put(reportName, rb); err != nil {
		return "", err
	}
	if err := s.writeSnapshot(snap); err != nil {
		return "", err
	}

	files := slices.Clone(s.files)
	slices.SortFunc(files, func(a, b ManifestFile) int { return strings.Compare(a.Path, b.Path) })
	m.Files = files
	mb, err := marshalIndent(manifestJSON{SchemaVersion: posture.SchemaVersion, Manifest: m})
	if err != nil {
		return "", fmt.Errorf("report: evidence: manifest: %w", err)
	}
	if err := writeNew(filepath.Join(s.tmp, manifestName), mb, 0o644); err != nil {
		return "", fmt.Errorf("report: evidence: %w", err)
	}
	if key != nil {
		if err := writeNew(filepath.Join(s.tmp, signatureName), signature(key, mb), 0o644); err != nil {
			return "", fmt.Errorf("report: evidence: %w", err)
		}
	}
	// MkdirTemp made the directory private; a bundle is meant to be handed on.
	if err := os.Chmod(s.tmp, 0o755); err != nil {
		return "", fmt.Errorf("report: evidence: %w", err)
	}
	if err := syncDir(s.tmp); err != nil {
		return "", fmt.Errorf("report: evidence: %w", err)
	}
	final := filepath.Join(s.dir, s.id)
	if err := checkReplaceable(final); err != nil {
		return "", err
	}
	if err := replaceDir(s.tmp, final); err != nil {
		return "", err
	}
	if err := syncDir(s.dir); err != nil {
		return "", fmt.Errorf("report: evidence: %w", err)
	}
	return final, nil
}

// writeSnapshot writes snapshot.json of the bundle, byte for byte what
// marshalIndent(snap) would be with every evidence's data in place, one
// observation at a time: the raw data of only that observation is read
// back into memory, and taken out again once it is written.
func (s *Spool) writeSnapshot(snap *posture.Snapshot) (err error) {
	path := filepath.Join(s.tmp, snapshotName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("report: evidence: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("report: evidence: %w", cerr)
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	bw := bufio.NewWriterSize(cw, 64<<10)
	if err := encodeSnapshot(bw, snap, s.restore); err != nil {
		return fmt.Errorf("report: evidence: snapshot: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: evidence: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("report: evidence: %w", err)
	}
	s.files = append(s.files, ManifestFile{Path: snapshotName, SHA256: hexSum(h), Size: cw.n})
	return nil
}

// restore puts the raw data of hdr's evidence back (from the files Add
// wrote) and returns the function that takes it out again.
func (s *Spool) restore(hdr *posture.Observation) (undo func(), err error) {
	saved := make([]string, len(hdr.Evidence))
	undo = func() {
		for i := range hdr.Evidence {
			hdr.Evidence[i].Data = saved[i]
		}
	}
	for i := range hdr.Evidence {
		e := &hdr.Evidence[i]
		saved[i] = e.Data
		name, ok := strings.CutPrefix(e.Data, s.mark)
		if !ok || !s.names[name] {
			undo()
			return nil, fmt.Errorf("evidence %q of %s %s did not go through the spool", e.ID, hdr.Scanner, hdr.Target.Address)
		}
		b, err := os.ReadFile(filepath.Join(s.tmp, evidenceDir, name))
		if err != nil {
			undo()
			return nil, err
		}
		e.Data = string(b)
	}
	return undo, nil
}

// encodeSnapshot writes marshalIndent(snap) to w observation by
// observation; restore, when set, is called on each observation's header
// before it is encoded and its undo after.
func encodeSnapshot(w io.Writer, snap *posture.Snapshot, restore func(*posture.Observation) (func(), error)) error {
	// The header: the snapshot without its lists (omitempty drops them),
	// its closing brace cut off. The lists come last in a Snapshot
	// (posture's TestEveryListIsAKind keeps the table in their order).
	head := snap.Filter(func(posture.Target) bool { return false })
	hb, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return err
	}
	hb, ok := bytes.CutSuffix(hb, []byte("\n}"))
	if !ok {
		return errors.New("unexpected snapshot header encoding")
	}
	if _, err := w.Write(hb); err != nil {
		return err
	}
	for _, k := range posture.Kinds() {
		if k.Len(snap) == 0 {
			continue
		}
		if _, err := fmt.Fprintf(w, ",\n  %q: [", k.Field()); err != nil {
			return err
		}
		first := true
		err := k.Each(snap, func(obs any, hdr *posture.Observation) error {
			undo := func() {}
			if restore != nil {
				u, err := restore(hdr)
				if err != nil {
					return err
				}
				undo = u
			}
			b, err := json.MarshalIndent(obs, "    ", "  ")
			undo()
			if err != nil {
				return err
			}
			sep := ",\n    "
			if first {
				sep, first = "\n    ", false
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, "\n  ]"); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "\n}\n")
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }
