package dnsscan

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

const (
	dkimDefaultKeyType      = "rsa"
	ed25519PublicKeyBitSize = 8 * ed25519.PublicKeySize
)

// ErrNotDKIM is returned by ParseDKIMKey for text that is not a DKIM key
// record (no p= tag, which RFC 6376 §3.6.1 requires).
var ErrNotDKIM = errors.New("dnsscan: not a DKIM key record")

// DKIMRecord is one parsed DKIM key record (RFC 6376 §3.6.1).
type DKIMRecord struct {
	// Tags holds every well-formed tag as published (names are
	// case-sensitive in DKIM).
	Tags map[string]string
	// KeyType is k= in lower case, "rsa" when absent.
	KeyType string
	// KeyBits is the size of the key: the RSA modulus length, 256 for
	// Ed25519; 0 when revoked or unreadable.
	KeyBits int
	// Revoked is set by an empty p=.
	Revoked bool
	// Testing is set by the flag y in t=: the domain is testing DKIM.
	Testing bool
	// Strict is set by the flag s in t=: no subdomains in i=.
	Strict bool
	// Hashes are the algorithms of h=, lower case; nil when h= is absent
	// (all allowed).
	Hashes []string
	Issues []posture.Code
}

// Valid reports whether the record has no issues.
func (r DKIMRecord) Valid() bool { return len(r.Issues) == 0 }

// ParseDKIMKey parses one DKIM key record, the TXT strings joined. It
// returns ErrNotDKIM when the text has no p= tag or a v= other than DKIM1
// (such a record is not a key for verifiers). A key record that is broken
// otherwise parses with Issues.
//
// For RSA, p= is a DER SubjectPublicKeyInfo (RFC 6376 §3.6.1); a bare
// PKCS#1 RSAPublicKey, which some signers publish, is read too. For
// Ed25519 it is the raw 32-byte key (RFC 8463 §4.2).
func ParseDKIMKey(record string) (DKIMRecord, error) {
	tl := parseTags(record, false)
	r := DKIMRecord{Tags: tl.byName, KeyType: dkimDefaultKeyType}
	if v, ok := tl.byName["v"]; ok {
		if v != "DKIM1" {
			return r, ErrNotDKIM
		}
		if tl.tags[0].name != "v" {
			r.issue(posture.CodeDKIMVNotFirst)
		}
	}
	p, ok := tl.byName["p"]
	if !ok {
		return r, ErrNotDKIM
	}
	if tl.syntax {
		r.issue(posture.CodeDKIMSyntax)
	}
	if tl.duplicate {
		r.issue(posture.CodeDKIMDuplicateTag)
	}
	if k, ok := tl.byName["k"]; ok {
		r.KeyType = strings.ToLower(k)
	}
	if r.KeyType != "rsa" && r.KeyType != "ed25519" {
		r.issue(posture.CodeDKIMKUnknown)
	}
	if t, ok := tl.byName["t"]; ok {
		for f := range strings.SplitSeq(t, ":") {
			switch trimWSP(f) {
			case "y":
				r.Testing = true
			case "s":
				r.Strict = true
			}
		}
	}
	if h, ok := tl.byName["h"]; ok {
		known := false
		for a := range strings.SplitSeq(h, ":") {
			a = strings.ToLower(trimWSP(a))
			if a == "" {
				continue
			}
			r.Hashes = append(r.Hashes, a)
			if a == "sha1" || a == "sha256" {
				known = true
			}
		}
		switch {
		case !known:
			r.issue(posture.CodeDKIMHUnknown)
		case !containsString(r.Hashes, "sha256"):
			r.issue(posture.CodeDKIMSHA1Only)
		}
	}
	der, err := decodeBase64(p)
	switch {
	case err != nil:
		r.issue(posture.CodeDKIMPInvalid)
		return r, nil
	case len(der) == 0:
		r.Revoked = true
		return r, nil
	}
	switch r.KeyType {
	case "rsa":
		r.KeyBits = r.rsaBits(der)
	case "ed25519":
		r.KeyBits = r.ed25519Bits(der)
	}
	return r, nil
}

func (r *DKIMRecord) rsaBits(der []byte) int {
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		if k, ok := pub.(*rsa.PublicKey); ok {
			return k.N.BitLen()
		}
		r.issue(posture.CodeDKIMKeyMismatch)
		return 0
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k.N.BitLen()
	}
	r.issue(posture.CodeDKIMPInvalid)
	return 0
}

func (r *DKIMRecord) ed25519Bits(der []byte) int {
	if len(der) == ed25519.PublicKeySize {
		return ed25519PublicKeyBitSize
	}
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		if _, ok := pub.(ed25519.PublicKey); ok {
			r.issue(posture.CodeDKIMEd25519NotRaw)
			return ed25519PublicKeyBitSize
		}
		r.issue(posture.CodeDKIMKeyMismatch)
		return 0
	}
	r.issue(posture.CodeDKIMPInvalid)
	return 0
}

func (r *DKIMRecord) issue(code posture.Code) {
	for _, c := range r.Issues {
		if c == code {
			return
		}
	}
	r.Issues = append(r.Issues, code)
}

// decodeBase64 decodes p= after dropping the folding white space RFC 6376
// allows inside it; padding may be absent.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}
