package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/scanners/wafscan"
)

// TestEngineHelper is not a test of its own: TestOnlyTargetsContacted runs
// the test binary under strace with VOUCH_ENGINE_HELPER set, and this runs
// a WAF job in that traced process.
func TestEngineHelper(t *testing.T) {
	if os.Getenv("VOUCH_ENGINE_HELPER") == "" {
		t.Skip("helper process of TestOnlyTargetsContacted")
	}
	var job wafscan.Job
	if err := json.Unmarshal([]byte(os.Getenv("VOUCH_ENGINE_JOB")), &job); err != nil {
		t.Fatal(err)
	}
	var e Engine
	res, err := e.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(res)
	if err := os.WriteFile(os.Getenv("VOUCH_ENGINE_OUT"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runTraced runs job in TestEngineHelper in a process of its own under
// strace, tracing the given system calls (extra are more strace flags),
// with a fresh HOME, and returns the engine's result and strace's record.
func runTraced(t *testing.T, strace string, job wafscan.Job, calls string, extra ...string) (wafscan.Result, string) {
	t.Helper()
	jobJSON, _ := json.Marshal(job)
	dir := t.TempDir()
	trace, out := filepath.Join(dir, "strace.txt"), filepath.Join(dir, "result.json")
	args := append([]string{"-f", "-qq", "-e", "trace=" + calls, "-e", "signal=none"}, extra...)
	args = append(args, "-o", trace, os.Args[0], "-test.run=^TestEngineHelper$", "-test.count=1")
	cmd := exec.Command(strace, args...)
	cmd.Env = append(os.Environ(), "VOUCH_ENGINE_HELPER=1", "VOUCH_ENGINE_JOB="+string(jobJSON), "VOUCH_ENGINE_OUT="+out,
		"HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "TMPDIR="+dir)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, b)
	}
	var res wafscan.Result
	data, err := os.ReadFile(out)
	if err == nil {
		err = json.Unmarshal(data, &res)
	}
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(raw)
}

// connectRE matches an IPv4 or IPv6 connect(2) in strace's output.
var connectRE = regexp.MustCompile(`connect\(\d+, \{sa_family=(AF_INET6?), sin6?_port=htons\((\d+)\), (?:sin_addr=inet_addr\("([^"]+)"\)|sin6_flowinfo=[^,]+, inet_pton\(AF_INET6, "([^"]+)")`)

// The WAF engine opens no connection but to the targets: every connect(2)
// of the whole process — the nuclei library's start-up, its version check,
// its resolvers, the scan — is recorded by strace, and each must go to a
// target's address and port. The version check is refused in-process (see
// init), so it never reaches connect.
func TestOnlyTargetsContacted(t *testing.T) {
	strace, err := exec.LookPath("strace")
	needTool(t, "strace", err == nil)

	ca := newCA(t)
	tlsSrv := tlsServer(t, ca, http.HandlerFunc(cloudflare))
	plain := plainServer(t, blockWith(403))
	_, plainPort, _ := net.SplitHostPort(strings.TrimPrefix(plain.URL, "http://"))
	// A name only the test's DNS server knows: the engine must resolve it
	// through the resolver it is given and no other.
	dns, err := dnstest.Start("shop.test.", "shop.test. 300 IN A 127.0.0.1\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dns.Close)
	targets := []string{tlsSrv.URL, plain.URL, "http://localhost:" + plainPort, "http://shop.test:" + plainPort}
	allowed := map[string]bool{dns.Addr: true}
	for _, u := range []string{tlsSrv.URL, plain.URL} {
		hp := u[strings.Index(u, "://")+3:]
		allowed[hp] = true
	}
	allowed[net.JoinHostPort("::1", plainPort)] = true // localhost may resolve to ::1 first

	job := wafscan.Job{UserAgent: wafscan.DefaultUserAgent, TimeoutSeconds: 3, Resolvers: []string{dns.Addr}}
	// A name that does not exist: no other resolver may be asked about it.
	missing := "http://missing.shop.test:" + plainPort
	for _, u := range append(targets, missing) {
		job.Targets = append(job.Targets, wafscan.JobTarget{URL: u, Active: true})
	}
	res, raw := runTraced(t, strace, job, "socket,connect,sendto,sendmsg,sendmmsg,write,close", "-s", "0")
	matched := map[string]bool{}
	for _, e := range res.Events {
		if e.Kind == wafscan.KindProbe && e.Matched && e.Matcher == "blocked" {
			matched[e.Target] = true
		}
	}
	for _, u := range targets {
		if !matched[u] {
			t.Errorf("%s: the probe did not see the block; events %+v", u, res.Events)
		}
	}
	if matched[missing] {
		t.Errorf("%s does not resolve, yet the probe matched", missing)
	}
	if res.Stats.PhoneHome == 0 {
		t.Log("the nuclei library made no phone-home attempt this time")
	}

	conns, err := parseTrace(raw)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range conns {
		switch {
		case allowed[c.addr]:
			n++
		case c.datagram && !c.sent:
			// A UDP connect(2) sends nothing: it only picks a route. The
			// nuclei library's CDN checker does one at start-up to learn
			// whether IPv6 is routable.
			t.Logf("UDP socket connected to %s, no datagram sent", c.addr)
		default:
			t.Errorf("traffic to %s, which is not a target: %s", c.addr, c.line)
		}
	}
	if n == 0 {
		t.Fatalf("strace recorded no connection to the targets; the recording is broken:\n%s", raw)
	}
	if dns.Queries() == 0 {
		t.Error("the test's DNS server was never asked for shop.test")
	}
	t.Logf("%d connections, all to the targets and the given resolver (%d queries)", n, dns.Queries())
}

// conn is one connect(2) of an IPv4/IPv6 socket seen in a trace.
type conn struct {
	addr     string // host:port
	datagram bool   // a SOCK_DGRAM socket
	sent     bool   // something was sent on it before it was closed
	line     string
}

var (
	pidRE     = regexp.MustCompile(`^(\d+) +(.*)$`)
	socketRE  = regexp.MustCompile(`^socket\((AF_INET6?), (SOCK_[A-Z]+)`)
	retRE     = regexp.MustCompile(`\) += (\d+)`)
	fdCallRE  = regexp.MustCompile(`^(?:<\.\.\. )?(connect|sendto|sendmsg|sendmmsg|write|close)\((\d+)`)
	sendtoRE  = regexp.MustCompile(`^(?:sendto|sendmsg|sendmmsg)\(\d+, .*(?:sin_addr=inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")`)
	resumedRE = regexp.MustCompile(`^<\.\.\. socket resumed>.*= (\d+)`)
)

// parseTrace reads strace -f output: which IPv4/IPv6 sockets connected
// where, and whether anything was sent on them. A datagram sent with an
// explicit address (sendto/sendmsg) counts as a connection of its own.
func parseTrace(raw string) ([]conn, error) {
	type key struct{ pid, fd string }
	sockType := map[key]string{}         // inet sockets by pid and fd: SOCK_STREAM, SOCK_DGRAM
	open := map[key]*conn{}              // connected inet sockets
	pendingSocket := map[string]string{} // pid → type of an unfinished socket()
	var out []*conn
	for _, line := range strings.Split(raw, "\n") {
		m := pidRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pid, call := m[1], m[2]
		if s := socketRE.FindStringSubmatch(call); s != nil {
			if r := retRE.FindStringSubmatch(call); r != nil {
				sockType[key{pid, r[1]}] = s[2]
			} else if strings.Contains(call, "<unfinished") {
				pendingSocket[pid] = s[2]
			}
			continue
		}
		if r := resumedRE.FindStringSubmatch(call); r != nil {
			if ty, ok := pendingSocket[pid]; ok {
				sockType[key{pid, r[1]}] = ty
				delete(pendingSocket, pid)
			}
			continue
		}
		if s := sendtoRE.FindStringSubmatch(call); s != nil {
			addr := s[1]
			if addr == "" {
				addr = s[2]
			}
			out = append(out, &conn{addr: addr + " (datagram)", sent: true, line: line})
			continue
		}
		f := fdCallRE.FindStringSubmatch(call)
		if f == nil {
			continue
		}
		k := key{pid, f[2]}
		switch f[1] {
		case "connect":
			c := connectRE.FindStringSubmatch(line)
			if c == nil {
				if strings.Contains(line, "AF_INET") {
					return nil, fmt.Errorf("unparsed connect: %s", line)
				}
				continue
			}
			addr := c[3]
			if addr == "" {
				addr = c[4]
			}
			x := &conn{addr: net.JoinHostPort(addr, c[2]), datagram: sockType[k] == "SOCK_DGRAM", line: line}
			open[k] = x
			out = append(out, x)
		case "close":
			delete(open, k)
			delete(sockType, k)
		default: // a send or write on the fd
			if x := open[k]; x != nil {
				x.sent = true
			}
		}
	}
	res := make([]conn, len(out))
	for i, c := range out {
		res[i] = *c
	}
	return res, nil
}
