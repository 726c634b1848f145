package tlsscan

import "crypto/x509"

// The system roots, when Options.RootCAs is nil: Go's system pool, the same
// every other scanner trusts. On Linux it reads the CA bundle and every file
// of /etc/ssl/certs (13–19 ms on the development machine), so the scanner
// loads it in the background while it probes.

// loadSystemRoots returns Go's system pool; nil when it cannot be loaded,
// which x509 then reads as "the system roots" again.
func loadSystemRoots() *x509.CertPool {
	p, err := x509.SystemCertPool()
	if err != nil {
		return nil
	}
	return p
}

// rootPool is the pool a chain is verified against.
func (s *Scanner) rootPool() *x509.CertPool {
	if s.roots != nil {
		return s.roots
	}
	return s.systemRoots()
}
