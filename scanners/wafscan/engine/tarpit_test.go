package engine

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// buildEnv is the environment before TestMain gives the tests a private
// HOME, so that go build finds the caches it has.
var buildEnv = os.Environ()

// tarpit accepts connections and never answers: it reads what comes until
// the client or the test's end closes the connection.
func tarpit(t *testing.T) string {
	return rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
}

// checkTarpit scans a tarpit beside a healthy HTTPS target that blocks the
// probe, with one Scanner (one engine run), each Scan under the deadline
// the runner gives a (scanner, target) pair. The healthy target gets its
// real observation within its deadline; the tarpit ends as a timeout,
// never as a pass.
func checkTarpit(t *testing.T, e wafscan.Engine) {
	ca := newCA(t)
	healthy := tlsServer(t, ca, blockWith(403)).URL
	slow := "https://" + tarpit(t)
	const perTarget = 6 * time.Second
	s := wafscan.New(wafscan.Options{
		Engine:  e,
		Targets: []posture.Target{target(slow), target(healthy)},
		// A request to the tarpit alone would wait longer than a
		// target's deadline, and the probe sends several one after the
		// other.
		Timeout:       10 * time.Second,
		TargetTimeout: perTarget,
		BatchTimeout:  2 * time.Minute,
	})
	s.Start(context.Background())
	type res struct {
		obs  posture.WAFObservation
		took time.Duration
	}
	scan := func(u string) chan res {
		ch := make(chan res, 1)
		go func() {
			// The runner's deadline, with room for the engine's start-up.
			ctx, cancel := context.WithTimeout(context.Background(), perTarget+10*time.Second)
			defer cancel()
			start := time.Now()
			snap := s.Scan(ctx, target(u))
			ch <- res{snap.WAF[0], time.Since(start)}
		}()
		return ch
	}
	slowCh, healthyCh := scan(slow), scan(healthy)
	h := <-healthyCh
	if h.obs.Missing != nil || h.obs.Present != posture.Yes {
		t.Errorf("healthy target after %s: missing %+v present %s signals %q; want its real observation (blocked: yes)", h.took, h.obs.Missing, h.obs.Present, h.obs.Signals)
	}
	tp := <-slowCh
	if tp.obs.Missing == nil || tp.obs.Missing.Reason != posture.ReasonTimeout || tp.obs.Present != posture.Unknown {
		t.Errorf("tarpit after %s: missing %+v present %s; want a timeout and unknown", tp.took, tp.obs.Missing, tp.obs.Present)
	}
	t.Logf("healthy target observed in %s; tarpit ended (%v) in %s", h.took.Round(time.Millisecond), tp.obs.Missing, tp.took.Round(time.Millisecond))
	if h.took >= tp.took {
		t.Errorf("the healthy target (%s) waited for the tarpit (%s)", h.took, tp.took)
	}
}

func TestTarpitInProcess(t *testing.T) {
	checkTarpit(t, &Engine{})
}

// The same through the vouch-waf binary, whose lines vouch reads as they
// come.
func TestTarpitExecEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds vouch-waf")
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "github.com/vouchdev/vouch/cmd/vouch-waf")
	build.Env = buildEnv
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building vouch-waf: %v", err)
	}
	checkTarpit(t, wafscan.ExecEngine{Path: filepath.Join(dir, "vouch-waf")})
}
