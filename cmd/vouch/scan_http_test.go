package main

import (
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// The redirect chain starts at http://host/ only for a target on the
// default HTTPS port; a target elsewhere has no plain-HTTP origin to infer
// (and tests on loopback ports never reach port 80).
func TestDefaultPlainHTTP(t *testing.T) {
	for addr, want := range map[string]string{
		"https://app.acme.example":          "http://app.acme.example/",
		"https://app.acme.example:443/app":  "http://app.acme.example/",
		"https://app.acme.example:8443":     "",
		"https://127.0.0.1:1":               "",
		"https://[::1]:8443/":               "",
		"https://[2001:db8::1]/":            "http://[2001:db8::1]/",
		"https://%zz":                       "",
		"https://APP.acme.example./login/x": "http://app.acme.example./",
	} {
		if got := defaultPlainHTTP(posture.Target{Kind: posture.TargetWeb, Address: addr}); got != want {
			t.Errorf("defaultPlainHTTP(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"https://app.acme.example/login", "https://app.acme.example", true},
		{"https://APP.acme.example:443/login", "https://app.acme.example/", true},
		{"https://app.acme.example./login", "https://app.acme.example", true},
		{"https://app.acme.example:8443/login", "https://app.acme.example", false},
		{"http://app.acme.example/login", "https://app.acme.example", false},
		{"https://www.acme.example/login", "https://app.acme.example", false},
		{"https://%zz/", "https://app.acme.example", false},
	} {
		if got := sameOrigin(c.a, c.b); got != c.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
