package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/vouchdev/vouch/scanners/wafscan"
)

// BenchmarkRun measures one engine run (create, execute, close) against n
// loopback targets that block like a WAF, active probing on: the engine's
// start-up and the per-target cost. go test -bench=Run -run=^$ ./scanners/wafscan/engine
func BenchmarkRun(b *testing.B) {
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			job := wafscan.Job{UserAgent: wafscan.DefaultUserAgent, TimeoutSeconds: 5, Resolvers: []string{"127.0.0.1:53"}}
			for i := 0; i < n; i++ {
				srv := plainServer(b, blockWith(403))
				job.Targets = append(job.Targets, wafscan.JobTarget{URL: srv.URL, Active: true})
			}
			var create, execute, closing float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var e Engine
				res, err := e.Run(context.Background(), job)
				if err != nil {
					b.Fatal(err)
				}
				create += float64(res.Stats.Create.Microseconds()) / 1000
				execute += float64(res.Stats.Execute.Microseconds()) / 1000
				closing += float64(res.Stats.Close.Microseconds()) / 1000
			}
			b.ReportMetric(create/float64(b.N), "create-ms")
			b.ReportMetric(execute/float64(b.N), "execute-ms")
			b.ReportMetric(closing/float64(b.N), "close-ms")
			b.ReportMetric(execute/float64(b.N)/float64(n), "ms/target")
		})
	}
}
