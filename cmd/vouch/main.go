// Command vouch checks a company's public security claims against what its
// deployment really shows, and publishes only what holds.
//
// Exit codes (stable; CI relies on them):
//
//	0  no contradicted control at or above --fail-on
//	1  at least one contradicted control at or above --fail-on
//	2  with --fail-on-inconclusive, none contradicted but at least one
//	   inconclusive control at or above --fail-on
//	3  bad usage or configuration (flags, trust.yaml, CA file)
//	4  the scan could not run (nothing could be observed, outputs not writable)
//
// Every option is checked before the first packet: a bad one exits 3 (or 4
// for an output directory that cannot be written) with nothing sent.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK           = 0
	exitGaps         = 1
	exitInconclusive = 2
	exitUsage        = 3
	exitScanErr      = 4
)

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}
func scanErr(format string, a ...any) error {
	return &exitError{code: exitScanErr, err: fmt.Errorf(format, a...)}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes vouch with args and returns the exit code. Only main exits.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	root := app.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return app.exitCode
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "vouch: %v\n", ee.err)
		}
		return ee.code
	}
	// Errors from cobra itself (unknown flag, wrong args) are usage errors.
	fmt.Fprintf(stderr, "vouch: %v\nRun 'vouch --help' for usage.\n", err)
	return exitUsage
}
