package wafscan

import (
	"bufio"
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
// stdin; on its stdout one TargetResult per line as each target is done,
// handed to Job.OnTarget as it is read, then a line with the Stats. The
// child gets a fresh, private HOME and TMPDIR, removed when it exits, so
// that nothing the nuclei library writes (~/.config/nuclei,
// nuclei-tmp-*) lands in the user's home or outlives the scan.
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
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	var errBuf limitedBuffer
	errBuf.max = 64 << 10
	if e.Stderr != nil {
		cmd.Stderr = io.MultiWriter(e.Stderr, &errBuf)
	} else {
		cmd.Stderr = &errBuf
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("wafscan: %s: %v", filepath.Base(e.Path), err)
	}
	res, readErr := readStream(stdout, job.OnTarget)
	if readErr != nil {
		io.Copy(io.Discard, stdout) // let the child finish writing
	}
	waitErr := cmd.Wait()
	if waitErr != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		msg := strings.TrimSpace(errBuf.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			return res, fmt.Errorf("wafscan: %s: %v: %s", filepath.Base(e.Path), waitErr, msg)
		}
		return res, fmt.Errorf("wafscan: %s: %v", filepath.Base(e.Path), waitErr)
	}
	if readErr != nil {
		return res, fmt.Errorf("wafscan: %s: %v", filepath.Base(e.Path), readErr)
	}
	return res, nil
}

// readStream reads the engine's lines: TargetResults, each handed to
// onTarget (when set) as soon as it is read, then the stats line. At most
// maxEngineOutput bytes are read in all.
func readStream(r io.Reader, onTarget func(TargetResult)) (Result, error) {
	var res Result
	br := bufio.NewReaderSize(io.LimitReader(r, maxEngineOutput+1), 64<<10)
	total := 0
	stats := false
	for {
		line, err := br.ReadBytes('\n')
		total += len(line)
		if total > maxEngineOutput {
			return res, fmt.Errorf("wrote more than %d bytes", maxEngineOutput)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if stats {
				return res, errors.New("unreadable result: a line after the stats")
			}
			var l struct {
				TargetResult
				Stats *Stats `json:"stats"`
			}
			if jerr := json.Unmarshal(line, &l); jerr != nil {
				return res, fmt.Errorf("unreadable result: %v", jerr)
			}
			switch {
			case l.Stats != nil:
				res.Stats, stats = *l.Stats, true
			case l.Target == "":
				return res, errors.New("unreadable result: a line with neither target nor stats")
			default:
				res.Events = append(res.Events, l.Events...)
				if l.Error != "" {
					if res.Errors == nil {
						res.Errors = map[string]string{}
					}
					res.Errors[l.Target] = l.Error
				}
				if onTarget != nil {
					onTarget(l.TargetResult)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return res, err
		}
	}
	if !stats {
		return res, errors.New("unreadable result: no stats line (the engine stopped early)")
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
