package wafscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EngineBinary is the name of the companion binary that links nuclei.
const EngineBinary = "vouch-waf"

// maxEngineOutput bounds what is read from the engine's stdout.
const maxEngineOutput = 64 << 20

// ExecEngine runs the vouch-waf binary at Path: the Job as JSON on its
// stdin, the Result as JSON on its stdout. The child gets a fresh, private
// HOME and TMPDIR, removed when it exits, so that nothing the nuclei
// library writes (~/.config/nuclei, nuclei-tmp-*) lands in the user's home
// or outlives the scan.
type ExecEngine struct {
	Path string
	// Stderr receives the engine's log lines; nil discards them.
	Stderr io.Writer
}

// Run implements Engine.
func (e ExecEngine) Run(ctx context.Context, job Job) (Result, error) {
	in, err := json.Marshal(job)
	if err != nil {
		return Result{}, err
	}
	home, err := os.MkdirTemp("", "vouch-waf-*")
	if err != nil {
		return Result{}, fmt.Errorf("wafscan: private home for the engine: %w", err)
	}
	defer os.RemoveAll(home)
	cmd := exec.CommandContext(ctx, e.Path)
	cmd.Env = privateEnv(os.Environ(), home)
	cmd.Stdin = bytes.NewReader(in)
	var out limitedBuffer
	out.max = maxEngineOutput
	cmd.Stdout = &out
	var errBuf limitedBuffer
	errBuf.max = 64 << 10
	if e.Stderr != nil {
		cmd.Stderr = io.MultiWriter(e.Stderr, &errBuf)
	} else {
		cmd.Stderr = &errBuf
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Result{}, ctx.Err()
		}
		msg := strings.TrimSpace(errBuf.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			return Result{}, fmt.Errorf("wafscan: %s: %v: %s", filepath.Base(e.Path), err, msg)
		}
		return Result{}, fmt.Errorf("wafscan: %s: %v", filepath.Base(e.Path), err)
	}
	if out.over {
		return Result{}, fmt.Errorf("wafscan: %s wrote more than %d bytes", filepath.Base(e.Path), maxEngineOutput)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return Result{}, fmt.Errorf("wafscan: %s: unreadable result: %v", filepath.Base(e.Path), err)
	}
	return res, nil
}

// privateEnv is env with HOME, the XDG directories and TMPDIR under home.
func privateEnv(env []string, home string) []string {
	out := make([]string, 0, len(env)+5)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME":
			continue
		}
		out = append(out, kv)
	}
	return append(out,
		"HOME="+home,
		"TMPDIR="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"),
	)
}

// limitedBuffer keeps the first max bytes written and remembers whether
// more came.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// FindEngine returns the path of the vouch-waf binary: explicit when
// given, else $VOUCH_WAF_ENGINE, else vouch-waf next to the running
// executable, else vouch-waf on $PATH.
func FindEngine(explicit string) (string, error) {
	if explicit == "" {
		explicit = os.Getenv("VOUCH_WAF_ENGINE")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("WAF engine %s: %w", explicit, err)
		}
		return explicit, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), EngineBinary)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(EngineBinary); err == nil {
		return p, nil
	}
	return "", errors.New("WAF engine " + EngineBinary + " not found next to vouch or on $PATH (build it: go build -o DIR/ ./cmd/vouch ./cmd/vouch-waf, or pass --waf-engine)")
}
