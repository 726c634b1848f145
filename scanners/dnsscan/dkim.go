package dnsscan

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strings"
)

// Issue codes a DKIM key record can carry.
const (
	IssueDKIMVInvalid      = "email.dkim.v_invalid"         // v= present but not DKIM1: verifiers discard the key
	IssueDKIMVNotFirst     = "email.dkim.v_not_first"       // v= present but not the first tag
	IssueDKIMSyntax        = "email.dkim.syntax"            // a part that is not tag=value, or a bad tag name
	IssueDKIMDuplicateTag  = "email.dkim.duplicate_tag"     // a tag given twice: the whole record is invalid (RFC 6376 §3.2)
	IssueDKIMKUnknown      = "email.dkim.k_unknown"         // k= neither rsa nor ed25519
	IssueDKIMPInvalid      = "email.dkim.p_invalid"         // p= is not base64 of a key of type k
	IssueDKIMKeyMismatch   = "email.dkim.key_type_mismatch" // p= holds a key of another type than k= says
	IssueDKIMEd25519NotRaw = "email.dkim.ed25519_not_raw"   // an Ed25519 key as SubjectPublicKeyInfo, not the raw 32 bytes RFC 8463 asks for
	IssueDKIMSHA1Only      = "email.dkim.sha1_only"         // h= allows sha1 alone: verifiers must not accept sha1 signatures (RFC 8301 §3.1)
	IssueDKIMHUnknown      = "email.dkim.h_unknown"         // h= lists no algorithm verifiers know
	// Key-strength flags the scanner adds to posture.DKIMKey.Issues (not
	// parse issues: such a key is a well-formed record).
	IssueDKIMRevoked        = "email.dkim.revoked" // empty p=: the key is revoked
	IssueDKIMTesting        = "email.dkim.testing" // t=y: the domain is testing DKIM; verifiers may treat failures as unsigned
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
	Issues []string
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
			r.issue(IssueDKIMVNotFirst)
		}
	}
	p, ok := tl.byName["p"]
	if !ok {
		return r, ErrNotDKIM
	}
	if tl.syntax {
		r.issue(IssueDKIMSyntax)
	}
	if tl.duplicate {
		r.issue(IssueDKIMDuplicateTag)
	}
	if k, ok := tl.byName["k"]; ok {
		r.KeyType = strings.ToLower(k)
	}
	if r.KeyType != "rsa" && r.KeyType != "ed25519" {
		r.issue(IssueDKIMKUnknown)
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
			r.issue(IssueDKIMHUnknown)
		case !containsString(r.Hashes, "sha256"):
			r.issue(IssueDKIMSHA1Only)
		}
	}
	der, err := decodeBase64(p)
	switch {
	case err != nil:
		r.issue(IssueDKIMPInvalid)
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
		r.issue(IssueDKIMKeyMismatch)
		return 0
	}
	if k, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return k.N.BitLen()
	}
	r.issue(IssueDKIMPInvalid)
	return 0
}

func (r *DKIMRecord) ed25519Bits(der []byte) int {
	if len(der) == ed25519.PublicKeySize {
		return ed25519PublicKeyBitSize
	}
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		if _, ok := pub.(ed25519.PublicKey); ok {
			r.issue(IssueDKIMEd25519NotRaw)
			return ed25519PublicKeyBitSize
		}
		r.issue(IssueDKIMKeyMismatch)
		return 0
	}
	r.issue(IssueDKIMPInvalid)
	return 0
}

func (r *DKIMRecord) issue(code string) {
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
