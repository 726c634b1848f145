package httpscan

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vouchdev/vouch/scanners/netlimit"
)

// A request that waits for its host's slot of the per-host budget is not
// timed out while it waits: its timeout starts once the slot is held. With
// the host's one slot taken for three timeouts, the scan still observes
// the origin; a server slower than the timeout still ends inconclusive.
func TestTimeoutStartsWithTheSlot(t *testing.T) {
	ca := newCA(t)
	var slow atomic.Bool
	ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			time.Sleep(time.Second)
		}
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}))
	host, _, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "https://"))
	const timeout = 300 * time.Millisecond
	lim := netlimit.New(1)
	hold, err := lim.Acquire(context.Background(), host)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(3*timeout, hold)
	o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(""), Limiter: lim, Timeout: timeout}), target(ts.URL))
	if o.Missing != nil || o.HSTS == nil {
		t.Fatalf("queued behind a held slot: Missing %v, HSTS %v", o.Missing, o.HSTS)
	}

	slow.Store(true)
	o = scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(""), Limiter: lim, Timeout: timeout}), target(ts.URL))
	if o.Missing == nil || o.Missing.Reason != "timeout" {
		t.Errorf("server slower than the timeout: Missing %v, want timeout", o.Missing)
	}
}
