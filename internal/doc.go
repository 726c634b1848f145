// Package internal holds helpers shared by vouch's tests and by the
// embedded demo deployment: certificate authorities made on the fly
// (internal/pki) and an in-process DNS server (internal/dnstest). Nothing
// here ever listens on anything but loopback.
package internal
