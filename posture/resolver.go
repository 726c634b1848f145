package posture

import (
	"context"
	"net"
)

// Resolver answers the lookups scanners make to find what to connect to:
// the addresses of a host, the mail exchangers of a domain. One value
// serves every scanner of a scan, so that they all ask the same server and
// see the same answers: the MX hosts whose STARTTLS is probed are the ones
// the DNS observation lists. *net.Resolver is a Resolver; so is dnsscan's
// DNS client.
//
// Errors are those of *net.Resolver: a *net.DNSError, with IsNotFound set
// when the name does not exist or has no records of the type asked, and
// IsTimeout when no answer came in time. MissingFor turns them into
// reasons.
type Resolver interface {
	// LookupIPAddr returns the IPv4 and IPv6 addresses of host.
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	// LookupMX returns the MX records of name.
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
}

var _ Resolver = (*net.Resolver)(nil)
