package tlsscan

import (
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/pki"
)

// BenchmarkScanOpenSSL times one in-process scan of the servers of
// bench/main.go (no process start, no proxy): go test -bench ScanOpenSSL
// -run '^$' ./scanners/tlsscan/. It reports connections per scan.
func BenchmarkScanOpenSSL(b *testing.B) {
	ca := newCA(b)
	leaf := issue(b, ca, pki.LeafOptions{RSABits: 2048})
	for _, cfg := range []struct {
		name string
		args []string
	}{
		{"tls12-only", []string{"-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0"}},
		{"tls10-to-13", []string{"-cipher", "DEFAULT:@SECLEVEL=0"}},
		{"tls13-only", []string{"-tls1_3"}},
	} {
		b.Run(cfg.name, func(b *testing.B) {
			addr := startOpenSSL(b, leaf, cfg.args...)
			s := New(Options{RootCAs: ca.Pool(), Timeout: 3 * time.Second})
			probes := 0
			for b.Loop() {
				probes += scanOne(b, s, addr).Probes
			}
			b.ReportMetric(float64(probes)/float64(b.N), "conns/op")
		})
	}
}
