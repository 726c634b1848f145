package report

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// signatureName is the detached signature of manifest.json: the Ed25519
// signature (RFC 8032 §5.1) of the manifest's exact bytes, in standard
// base64 (RFC 4648 §4), optionally followed by one newline. The manifest
// holds the SHA-256 of every other file, so the signature covers them all.
const signatureName = manifestName + ".sig"

// maxSignatureSize bounds what VerifyEvidence reads of a signature file.
const maxSignatureSize = 1 << 10

// zipEpoch is the modification time of every entry of a zipped bundle, so
// that the same bundle always zips to the same bytes.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// SignEvidence signs the manifest of bundle with key and writes the
// signature to manifest.json.sig, replacing an earlier one. It signs only
// a bundle that verifies: a signature vouches for files as they are.
func SignEvidence(bundle string, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("report: sign evidence: private key is %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	if err := VerifyEvidence(bundle); err != nil {
		return fmt.Errorf("report: sign evidence: %w", err)
	}
	manifest, err := readLimited(filepath.Join(bundle, manifestName), maxManifestSize)
	if err != nil {
		return fmt.Errorf("report: sign evidence %s: %w", bundle, err)
	}
	if err := WriteFileAtomic(filepath.Join(bundle, signatureName), signature(key, manifest), 0o644); err != nil {
		return fmt.Errorf("report: sign evidence: %w", err)
	}
	return nil
}

// signature is the content of manifest.json.sig for manifest.
func signature(key ed25519.PrivateKey, manifest []byte) []byte {
	return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, manifest)) + "\n")
}

// verifySignature checks manifest.json.sig against the manifest under any
// of keys.
func verifySignature(bundle string, keys []ed25519.PublicKey) error {
	for _, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("public key is %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
	}
	raw, err := readLimited(filepath.Join(bundle, signatureName), maxSignatureSize)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("not signed: no %s", signatureName)
	}
	if err != nil {
		return err
	}
	// Strict: exactly the base64 of 64 bytes and at most one newline, so
	// that no byte of the file can change without failing.
	raw = bytes.TrimSuffix(raw, []byte("\n"))
	sig, err := base64.StdEncoding.Strict().DecodeString(string(raw))
	if err != nil || len(sig) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(sig) != string(raw) {
		return fmt.Errorf("%s is not a base64 Ed25519 signature", signatureName)
	}
	manifest, err := readLimited(filepath.Join(bundle, manifestName), maxManifestSize)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if ed25519.Verify(k, manifest, sig) {
			return nil
		}
	}
	return fmt.Errorf("signature of %s does not verify with the given key", manifestName)
}

// readLimited reads a regular file of at most max bytes.
func readLimited(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", filepath.Base(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), max)
	}
	return data, nil
}

// ZipEvidence packs a bundle that verifies into one zip file at zipPath,
// every entry under the bundle's directory name. The archive is
// deterministic: entries in sorted order, each with the same modification
// time (1980-01-01) and mode 0644, so that the same bundle always gives the
// same bytes and the zip itself can be hashed. It is written beside zipPath
// and renamed into place.
func ZipEvidence(bundle, zipPath string) (err error) {
	if err := VerifyEvidence(bundle); err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	var names []string
	err = filepath.WalkDir(bundle, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(bundle, p)
		if err != nil {
			return err
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	slices.Sort(names)

	dir := filepath.Dir(zipPath)
	f, err := os.CreateTemp(dir, "."+filepath.Base(zipPath)+".tmp-*")
	if err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	zw := zip.NewWriter(f)
	top := filepath.Base(filepath.Clean(bundle))
	for _, name := range names {
		if err = addZipFile(zw, top+"/"+name, filepath.Join(bundle, filepath.FromSlash(name))); err != nil {
			return fmt.Errorf("report: zip evidence: %s: %w", name, err)
		}
	}
	if err = zw.Close(); err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	if err = os.Rename(tmp, zipPath); err != nil {
		return fmt.Errorf("report: zip evidence: %w", err)
	}
	return nil
}

func addZipFile(zw *zip.Writer, name, path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipEpoch}
	h.SetMode(0o644)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, fh)
	return err
}

// maxKeySize bounds a key file.
const maxKeySize = 16 << 10

// ParsePublicKey reads an Ed25519 public key: a PEM "PUBLIC KEY" block
// (PKIX, RFC 8410, as `openssl pkey -pubout` writes it) or the standard
// base64 of the 32 raw bytes.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if len(data) > maxKeySize {
		return nil, fmt.Errorf("report: public key: larger than %d bytes", maxKeySize)
	}
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("report: public key: PEM block %q, want PUBLIC KEY", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("report: public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("report: public key: %T, want Ed25519", k)
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("report: public key: neither PEM nor the base64 of %d bytes", ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// ParsePrivateKey reads an Ed25519 private key: a PEM "PRIVATE KEY" block
// (PKCS #8, RFC 8410, as `openssl genpkey -algorithm ed25519` writes it) or
// the standard base64 of the 32-byte seed.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if len(data) > maxKeySize {
		return nil, fmt.Errorf("report: private key: larger than %d bytes", maxKeySize)
	}
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("report: private key: PEM block %q, want PRIVATE KEY", block.Type)
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("report: private key: %w", err)
		}
		priv, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("report: private key: %T, want Ed25519", k)
		}
		return priv, nil
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("report: private key: neither PEM nor the base64 of a %d-byte seed", ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
