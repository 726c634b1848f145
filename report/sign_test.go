package report

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testKey is a fixed Ed25519 key, so that signatures are reproducible.
func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func signedBundle(t *testing.T) (bundle string, pub ed25519.PublicKey) {
	t.Helper()
	bundle = writeBundle(t, t.TempDir(), snapshotFixture(), fixture())
	pub, priv := testKey(7)
	if err := SignEvidence(bundle, priv); err != nil {
		t.Fatalf("SignEvidence: %v", err)
	}
	return bundle, pub
}

func TestSignEvidence(t *testing.T) {
	bundle, pub := signedBundle(t)
	if err := VerifyEvidence(bundle, pub); err != nil {
		t.Fatalf("signed bundle does not verify: %v", err)
	}
	// Without a key the signature file is allowed, not checked.
	if err := VerifyEvidence(bundle); err != nil {
		t.Fatalf("signed bundle does not verify without a key: %v", err)
	}
	sig, err := os.ReadFile(filepath.Join(bundle, "manifest.json.sig"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sig) != 89 || sig[88] != '\n' {
		t.Errorf("signature file %q: want 88 base64 characters and a newline", sig)
	}
	// Signing again is stable (Ed25519 is deterministic) and replaces it.
	_, priv := testKey(7)
	if err := SignEvidence(bundle, priv); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(bundle, "manifest.json.sig")); !bytes.Equal(again, sig) {
		t.Error("signing twice gave two signatures")
	}
	// One of several keys is enough.
	other, _ := testKey(8)
	if err := VerifyEvidence(bundle, other, pub); err != nil {
		t.Errorf("verify with a key ring: %v", err)
	}

	for _, c := range []struct {
		name string
		keys []ed25519.PublicKey
		prep func()
		want string
	}{
		{"wrong key", []ed25519.PublicKey{other}, nil, "does not verify with the given key"},
		{"short key", []ed25519.PublicKey{pub[:31]}, nil, "public key is 31 bytes"},
		{"unsigned bundle", []ed25519.PublicKey{pub}, func() { os.Remove(filepath.Join(bundle, "manifest.json.sig")) }, "not signed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.prep != nil {
				c.prep()
			}
			err := VerifyEvidence(bundle, c.keys...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("VerifyEvidence = %v, want an error containing %q", err, c.want)
			}
		})
	}

	if err := SignEvidence(bundle, priv[:10]); err == nil {
		t.Error("SignEvidence accepted a short key")
	}
	// A bundle that does not verify is not signed.
	os.WriteFile(filepath.Join(bundle, "report.json"), []byte("{}"), 0o644)
	if err := SignEvidence(bundle, priv); err == nil || !strings.Contains(err.Error(), "changed: report.json") {
		t.Errorf("SignEvidence of a tampered bundle: %v", err)
	}
}

// TestSignedBundleEveryByte flips one bit of a byte of every file of a
// signed bundle — every byte of the manifest and the signature, every 31st
// byte and the last of the others — and each flip fails verification with
// the key.
func TestSignedBundleEveryByte(t *testing.T) {
	bundle, pub := signedBundle(t)
	files := listTree(t, bundle)
	files = slices.DeleteFunc(files, func(s string) bool { return strings.HasSuffix(s, "/") })
	if !slices.Contains(files, "manifest.json") || !slices.Contains(files, "manifest.json.sig") {
		t.Fatalf("bundle holds %v", files)
	}
	flips := 0
	for _, rel := range files {
		p := filepath.Join(bundle, filepath.FromSlash(rel))
		orig, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for i := range orig {
			if rel != "manifest.json" && rel != "manifest.json.sig" && i%31 != 0 && i != len(orig)-1 {
				continue
			}
			data := slices.Clone(orig)
			data[i] ^= 0x01
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := VerifyEvidence(bundle, pub); err == nil {
				t.Errorf("%s: flipping byte %d (%q) still verifies", rel, i, orig[i])
			}
			flips++
		}
		if err := os.WriteFile(p, orig, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := VerifyEvidence(bundle, pub); err != nil {
			t.Fatalf("%s restored, bundle does not verify: %v", rel, err)
		}
	}
	t.Logf("%d single-byte changes over %d files, each caught", flips, len(files))
}

func TestZipEvidence(t *testing.T) {
	bundle, pub := signedBundle(t)
	out := t.TempDir()
	a, b := filepath.Join(out, "a.zip"), filepath.Join(out, "b.zip")
	if err := ZipEvidence(bundle, a); err != nil {
		t.Fatal(err)
	}
	// Touch every file: mtimes must not reach the archive.
	for _, rel := range listTree(t, bundle) {
		os.Chtimes(filepath.Join(bundle, filepath.FromSlash(rel)), clock, clock)
	}
	if err := ZipEvidence(bundle, b); err != nil {
		t.Fatal(err)
	}
	za, _ := os.ReadFile(a)
	zb, _ := os.ReadFile(b)
	if !bytes.Equal(za, zb) {
		t.Error("zipping the same bundle twice gave different archives")
	}
	if got := listTree(t, out); !slices.Equal(got, []string{"a.zip", "b.zip"}) {
		t.Errorf("output dir holds %v", got)
	}

	// The archive holds every file, sorted, under the bundle's name, with
	// the same bytes; unpacked, it verifies with the key.
	zr, err := zip.NewReader(bytes.NewReader(za), int64(len(za)))
	if err != nil {
		t.Fatal(err)
	}
	top := filepath.Base(bundle)
	var names []string
	unpacked := t.TempDir()
	for _, f := range zr.File {
		names = append(names, f.Name)
		if !f.Modified.Equal(zipEpoch) || f.Mode().Perm() != 0o644 {
			t.Errorf("%s: modified %s mode %v", f.Name, f.Modified, f.Mode())
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		dst := filepath.Join(unpacked, filepath.FromSlash(f.Name))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		os.WriteFile(dst, data, 0o644)
	}
	want := []string{"evidence/DNS-DMARC-2.zone", "evidence/______etc_passwd-" + hash8("../../etc/passwd") + ".txt", "evidence/dns-dmarc.zone",
		"evidence/http-legacy-head.http", "evidence/tls-app-chain.pem", "evidence/tls-app-handshake.json",
		"evidence/waf_app_443_probe_1-" + hash8("waf/app:443 probe#1") + ".txt", "manifest.json", "manifest.json.sig", "report.json", "snapshot.json"}
	slices.Sort(want)
	for i := range want {
		want[i] = top + "/" + want[i]
	}
	if !slices.Equal(names, want) {
		t.Errorf("zip entries\n got  %v\n want %v", names, want)
	}
	if err := VerifyEvidence(filepath.Join(unpacked, top), pub); err != nil {
		t.Errorf("unpacked zip does not verify: %v", err)
	}

	// A bundle that does not verify is not zipped, and nothing is left.
	os.WriteFile(filepath.Join(bundle, "stray"), nil, 0o644)
	if err := ZipEvidence(bundle, filepath.Join(out, "c.zip")); err == nil {
		t.Error("zipped a bundle that does not verify")
	}
	if got := listTree(t, out); !slices.Equal(got, []string{"a.zip", "b.zip"}) {
		t.Errorf("output dir holds %v", got)
	}
}

// needOpenSSL returns the openssl binary, skipping the test without it
// (failing under CI=true).
func needOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("report: openssl not installed")
		}
		t.Skip("openssl not installed")
	}
	return p
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

// TestSignatureOpenSSL: a key made by openssl signs a bundle, and openssl
// itself verifies the signature of the manifest (and refuses a changed one).
func TestSignatureOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	dir := t.TempDir()
	privPEM, pubPEM := filepath.Join(dir, "key.pem"), filepath.Join(dir, "pub.pem")
	run(t, openssl, "genpkey", "-algorithm", "ed25519", "-out", privPEM)
	run(t, openssl, "pkey", "-in", privPEM, "-pubout", "-out", pubPEM)
	pb, _ := os.ReadFile(privPEM)
	priv, err := ParsePrivateKey(pb)
	if err != nil {
		t.Fatal(err)
	}
	qb, _ := os.ReadFile(pubPEM)
	pub, err := ParsePublicKey(qb)
	if err != nil {
		t.Fatal(err)
	}

	bundle := writeBundle(t, t.TempDir(), snapshotFixture(), fixture())
	if err := SignEvidence(bundle, priv); err != nil {
		t.Fatal(err)
	}
	if err := VerifyEvidence(bundle, pub); err != nil {
		t.Fatalf("verify with the openssl public key: %v", err)
	}
	sig64, _ := os.ReadFile(filepath.Join(bundle, "manifest.json.sig"))
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig64)))
	if err != nil {
		t.Fatal(err)
	}
	sigFile := filepath.Join(dir, "sig.bin")
	os.WriteFile(sigFile, sig, 0o600)
	manifest := filepath.Join(bundle, "manifest.json")
	if out := run(t, openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pubPEM, "-rawin", "-in", manifest, "-sigfile", sigFile); !bytes.Contains(out, []byte("Signature Verified Successfully")) {
		t.Errorf("openssl: %s", out)
	}
	changed := filepath.Join(dir, "manifest.json")
	m, _ := os.ReadFile(manifest)
	m[len(m)-2] ^= 0x01
	os.WriteFile(changed, m, 0o600)
	if out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pubPEM, "-rawin", "-in", changed, "-sigfile", sigFile).CombinedOutput(); err == nil {
		t.Errorf("openssl verified a changed manifest: %s", out)
	}
}

func TestParseKeys(t *testing.T) {
	pub, priv := testKey(3)
	if got, err := ParsePublicKey([]byte(base64.StdEncoding.EncodeToString(pub) + "\n")); err != nil || !got.Equal(pub) {
		t.Errorf("base64 public key: %v", err)
	}
	if got, err := ParsePrivateKey([]byte(base64.StdEncoding.EncodeToString(priv.Seed()))); err != nil || !got.Equal(priv) {
		t.Errorf("base64 seed: %v", err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		strings.Repeat("A", maxKeySize+1)} {
		if _, err := ParsePublicKey([]byte(bad)); err == nil {
			t.Errorf("ParsePublicKey(%.40q) succeeded", bad)
		}
		if _, err := ParsePrivateKey([]byte(strings.ReplaceAll(bad, "PUBLIC", "PRIVATE"))); err == nil {
			t.Errorf("ParsePrivateKey(%.40q) succeeded", bad)
		}
	}
}

// WriteSignedEvidence puts the bundle in place already signed, with the
// signature SignEvidence would have written; a bad key writes nothing.
func TestWriteSignedEvidence(t *testing.T) {
	pub, priv := testKey(7)
	dir := t.TempDir()
	bundle, err := WriteSignedEvidence(dir, snapshotFixture(), fixture(), Manifest{}, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyEvidence(bundle, pub); err != nil {
		t.Fatalf("signed at write, does not verify: %v", err)
	}
	sig, _ := os.ReadFile(filepath.Join(bundle, "manifest.json.sig"))
	if err := SignEvidence(bundle, priv); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(bundle, "manifest.json.sig")); !bytes.Equal(again, sig) {
		t.Error("the signature written with the bundle differs from SignEvidence's")
	}

	empty := t.TempDir()
	if _, err := WriteSignedEvidence(empty, snapshotFixture(), fixture(), Manifest{}, priv[:10]); err == nil {
		t.Error("a 10-byte key was accepted")
	}
	if ents, _ := os.ReadDir(empty); len(ents) != 0 {
		t.Errorf("a refused key left %v", ents)
	}
}
