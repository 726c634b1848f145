package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// The WAF engine's costs (issue 8): what linking nuclei costs a process at
// start, which is why vouch runs it as the companion binary vouch-waf, and
// what one engine run costs per target.

// procRun is one process run: wall time, peak RSS, and what it left in HOME.
type procRun struct {
	wall   time.Duration
	rssKB  int64
	homeFS []string
}

func runProc(ctx context.Context, stdin []byte, bin string, args ...string) (procRun, []byte, error) {
	home, err := os.MkdirTemp("", "vouch-bench-home-*")
	if err != nil {
		return procRun{}, nil, err
	}
	defer os.RemoveAll(home)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME=", "TMPDIR="+home)
	cmd.Stdin = bytes.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err = cmd.Run()
	r := procRun{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssKB = ru.Maxrss
	}
	filepath.WalkDir(home, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != home && d.IsDir() && strings.Count(strings.TrimPrefix(p, home), "/") <= 2 {
			r.homeFS = append(r.homeFS, "~"+strings.TrimPrefix(p, home))
		}
		return nil
	})
	return r, out.Bytes(), err
}

func medianProc(rs []procRun) procRun {
	sort.Slice(rs, func(i, j int) bool { return rs[i].wall < rs[j].wall })
	return rs[len(rs)/2]
}

// blockingServers starts n loopback HTTP servers that refuse attack-shaped
// queries with 403, as a WAF does.
func blockingServers(n int) ([]string, func(), error) {
	var urls []string
	var closers []func()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		if strings.Contains(q, "<script") || strings.Contains(q, "' OR '") || strings.Contains(q, "../") {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Write([]byte("<html>shop</html>"))
	})
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(ln)
		closers = append(closers, func() { srv.Close() })
		urls = append(urls, "http://"+ln.Addr().String())
	}
	return urls, func() {
		for _, c := range closers {
			c()
		}
	}, nil
}

type engineStats struct {
	Engines int   `json:"engines"`
	Create  int64 `json:"create_ns"`
	Execute int64 `json:"execute_ns"`
	Close   int64 `json:"close_ns"`
}

// wafSection measures vouch and vouch-waf (built in binDir) and returns the
// BENCHMARKS.md section.
func wafSection(ctx context.Context, binDir string, runs int) (string, error) {
	vouch, engine := filepath.Join(binDir, "vouch"), filepath.Join(binDir, "vouch-waf")
	var b strings.Builder
	b.WriteString("\n## WAF engine (nuclei)\n\n")
	b.WriteString("Linking nuclei costs a process its start-up before `main` runs, so vouch keeps it out of the\n")
	b.WriteString("`vouch` binary and runs the companion `vouch-waf` only for WAF scans. Start-up of each binary\n")
	fmt.Fprintf(&b, "(`--help`, median of %d runs, fresh `HOME` each run):\n\n", runs)
	b.WriteString("| binary | links nuclei | wall | peak RSS | left in `$HOME` |\n|---|---|---:|---:|---|\n")
	for _, x := range []struct {
		name, bin string
		links     string
	}{{"vouch", vouch, "no"}, {"vouch-waf", engine, "yes"}} {
		var rs []procRun
		for i := 0; i < runs; i++ {
			r, _, err := runProc(ctx, nil, x.bin, "--help")
			if err != nil {
				return "", fmt.Errorf("%s --help: %w", x.name, err)
			}
			rs = append(rs, r)
		}
		m := medianProc(rs)
		left := "nothing"
		if len(m.homeFS) > 0 {
			left = "`" + strings.Join(m.homeFS, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %.0f ms | %.0f MB | %s |\n", x.name, x.links, ms(m.wall), float64(m.rssKB)/1024, left)
	}

	b.WriteString("\nOne `vouch-waf` process per scan runs one nuclei engine for every target: passive fingerprints\n")
	b.WriteString("(11 templates, one shared `GET /`) and the active probe (baseline + 3 payloads), against loopback\n")
	fmt.Fprintf(&b, "servers that block like a WAF (median of %d runs):\n\n", runs)
	b.WriteString("| targets | process wall | engine create | execute | close | execute per target | requests per target |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, n := range []int{1, 10} {
		urls, stop, err := blockingServers(n)
		if err != nil {
			return "", err
		}
		type tgt struct {
			URL    string `json:"url"`
			Active bool   `json:"active"`
		}
		job := struct {
			Targets   []tgt    `json:"targets"`
			UserAgent string   `json:"user_agent"`
			Timeout   int      `json:"timeout_seconds"`
			Resolvers []string `json:"resolvers"`
		}{UserAgent: "vouch/bench (+security posture scan)", Timeout: 5, Resolvers: []string{"127.0.0.1:53"}}
		for _, u := range urls {
			job.Targets = append(job.Targets, tgt{u, true})
		}
		in, _ := json.Marshal(job)
		var rs []procRun
		var sts []engineStats
		for i := 0; i < runs; i++ {
			r, out, err := runProc(ctx, in, engine)
			if err != nil {
				stop()
				return "", fmt.Errorf("vouch-waf on %d targets: %w", n, err)
			}
			var res struct {
				Stats engineStats `json:"stats"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				stop()
				return "", fmt.Errorf("vouch-waf result: %w", err)
			}
			rs = append(rs, r)
			sts = append(sts, res.Stats)
		}
		stop()
		sort.Slice(sts, func(i, j int) bool { return sts[i].Execute < sts[j].Execute })
		st := sts[len(sts)/2]
		m := medianProc(rs)
		fmt.Fprintf(&b, "| %d | %.0f ms | %.0f ms | %.0f ms | %.0f ms | %.1f ms | 5 |\n", n, ms(m.wall),
			float64(st.Create)/1e6, float64(st.Execute)/1e6, float64(st.Close)/1e6, float64(st.Execute)/1e6/float64(n))
	}
	b.WriteString("\nThe requests per target are counted by `TestActive` in `scanners/wafscan/engine` (at most five:\n")
	b.WriteString("the four of the probe plus the shared passive `GET /`). Runs are bounded by the engine's\n")
	b.WriteString("global limit of 100 requests a second.\n")
	return b.String(), nil
}
