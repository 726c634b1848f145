package engine

import (
	"testing"

	"github.com/vouchdev/vouch/internal/nettest"
	"github.com/vouchdev/vouch/internal/pki"
	"github.com/vouchdev/vouch/posture"
)

func newCA(t *testing.T) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA("wafscan test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// The loopback servers are shared with the other scanner tests.
var (
	tlsServer   = nettest.TLSServer
	plainServer = nettest.PlainServer
	refusedAddr = nettest.RefusedAddr
	rawServer   = nettest.RawServer
)

// target is the web target of an https:// URL.
func target(u string) posture.Target {
	return posture.Target{Kind: posture.TargetWeb, Address: u}
}
