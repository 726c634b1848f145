// Command vouch-waf is vouch's WAF engine: the nuclei library with vouch's
// embedded templates, run as a companion process so that the main vouch
// binary does not link nuclei (whose start-up every vouch command would
// otherwise pay). vouch runs it itself when a scan looks for a WAF; it
// reads a wafscan.Job as JSON on stdin and writes on stdout one JSON line
// per target (a wafscan.TargetResult) as soon as that target is done, then
// a last line {"stats": ...}. Nothing else is written to stdout.
//
//	vouch-waf < job.json > result.json
//	vouch-waf --templates     # list the embedded templates
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/vouchdev/vouch/scanners/wafscan"
	"github.com/vouchdev/vouch/scanners/wafscan/engine"
)

// maxJob bounds the job read from stdin.
const maxJob = 4 << 20

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "--templates":
			for _, n := range engine.Embedded() {
				fmt.Println(n)
			}
			return
		case "-h", "--help", "help":
			fmt.Print(`vouch-waf: vouch's WAF engine (nuclei, offline, vouch's templates only).

vouch runs it by itself during 'vouch scan' and 'vouch probe waf'; it finds
it next to the vouch binary, on $PATH, or where --waf-engine (or
VOUCH_WAF_ENGINE) says. Protocol: a JSON job on stdin, one JSON line per
target on stdout as each is done, then a stats line; logs on stderr.

  vouch-waf < job.json      run a job
  vouch-waf --templates     list the embedded templates
`)
			return
		default:
			fmt.Fprintf(os.Stderr, "vouch-waf: unknown argument %q (see vouch-waf --help)\n", os.Args[1])
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The protocol owns stdout: whatever the nuclei library prints there
	// (it reports each request of a thread-safe execution) goes to stderr.
	out := os.Stdout
	os.Stdout = os.Stderr
	if err := run(ctx, os.Stdin, out); err != nil {
		fmt.Fprintln(os.Stderr, "vouch-waf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(io.LimitReader(in, maxJob+1))
	if err != nil {
		return err
	}
	if len(data) > maxJob {
		return fmt.Errorf("job larger than %d bytes", maxJob)
	}
	var job wafscan.Job
	if err := json.Unmarshal(data, &job); err != nil {
		return fmt.Errorf("job: %v", err)
	}
	// One line per target as soon as it is done, so that vouch reads a
	// healthy target's result while a slow one still runs; then the stats.
	var mu sync.Mutex
	enc := json.NewEncoder(out)
	var werr error
	job.OnTarget = func(tr wafscan.TargetResult) {
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(tr); err != nil && werr == nil {
			werr = err
		}
	}
	var e engine.Engine
	res, err := e.Run(ctx, job)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if werr != nil {
		return werr
	}
	return enc.Encode(struct {
		Stats wafscan.Stats `json:"stats"`
	}{res.Stats})
}
