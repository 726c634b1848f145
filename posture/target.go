package posture

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TargetKind says what a target is and so which scanners look at it.
type TargetKind string

const (
	// TargetWeb is an HTTPS origin such as https://app.example.com or
	// https://127.0.0.1:8443. TLS, HTTP and WAF scanners look at it.
	TargetWeb TargetKind = "web"
	// TargetMail is a mail domain such as example.com. The DNS scanner
	// looks at it (SPF, DKIM, DMARC, MX, ...).
	TargetMail TargetKind = "mail"
)

// Target is one thing in scope.
type Target struct {
	Kind TargetKind `json:"kind"`
	// Address is the URL of a web target or the domain of a mail target,
	// as declared.
	Address string `json:"address"`
}

func (t Target) String() string { return string(t.Kind) + ":" + t.Address }

// Host returns the host name (or IP) of the target without port or brackets.
func (t Target) Host() string {
	if t.Kind == TargetMail {
		return strings.TrimSuffix(strings.ToLower(t.Address), ".")
	}
	u, err := url.Parse(t.Address)
	if err != nil || u.Host == "" {
		return t.Address
	}
	return u.Hostname()
}

// Port returns the port of a web target's HTTPS endpoint: the explicit one,
// or 443 (80 for an http:// URL).
func (t Target) Port() int {
	u, err := url.Parse(t.Address)
	if err != nil {
		return 443
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err == nil {
			return n
		}
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}

// HostPort returns host:port of a web target's HTTPS endpoint.
func (t Target) HostPort() string {
	return net.JoinHostPort(t.Host(), strconv.Itoa(t.Port()))
}

// Exclusion is a target the declaration keeps out of scope, and why.
type Exclusion struct {
	Address string `json:"address"`
	Reason  string `json:"reason,omitempty"`
}
