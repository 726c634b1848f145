package wafscan

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Paths of the Debian packages nginx-light, libnginx-mod-http-modsecurity
// and modsecurity-crs.
const (
	modsecModule = "/usr/lib/nginx/modules/ngx_http_modsecurity_module.so"
	crsSetup     = "/etc/modsecurity/crs/crs-setup.conf"
	crsRules     = "/usr/share/modsecurity-crs/rules"
)

// needTool skips the test when something it needs is not installed, and
// fails it in CI, where it must be.
func needTool(t *testing.T, what string, ok bool) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not installed (CI=true)", what)
	}
	t.Skipf("%s not installed", what)
}

// startModSecurity runs nginx with ModSecurity and the OWASP CRS (paranoia
// level 1, blocking) in front of a static page on 127.0.0.1 and returns
// its http:// origin. Debian ships no modsecurity.conf for nginx, so the
// test writes one.
func startModSecurity(t *testing.T, engine string) string {
	t.Helper()
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		nginx = "/usr/sbin/nginx"
	}
	_, errBin := os.Stat(nginx)
	needTool(t, "nginx (nginx-light)", errBin == nil)
	_, errMod := os.Stat(modsecModule)
	needTool(t, "ModSecurity for nginx (libnginx-mod-http-modsecurity)", errMod == nil)
	_, errCRS := os.Stat(crsSetup)
	needTool(t, "OWASP CRS (modsecurity-crs)", errCRS == nil)

	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	files := map[string]string{
		"www/index.html": "<html><body>acme shop</body></html>\n",
		"modsecurity.conf": fmt.Sprintf(`SecRuleEngine %s
SecRequestBodyAccess On
SecResponseBodyAccess Off
SecAuditEngine Off
Include %s
Include %s/*.conf
`, engine, crsSetup, crsRules),
		"nginx.conf": fmt.Sprintf(`load_module %s;
daemon off;
master_process off;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[2]s/tmp;
	proxy_temp_path %[2]s/tmp;
	fastcgi_temp_path %[2]s/tmp;
	uwsgi_temp_path %[2]s/tmp;
	scgi_temp_path %[2]s/tmp;
	server {
		listen %[3]s;
		root %[2]s/www;
		modsecurity on;
		modsecurity_rules_file %[2]s/modsecurity.conf;
	}
}
`, modsecModule, dir, addr),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %v\n%s\n%s", err, out.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "http://" + addr
}

// A real WAF: ModSecurity with the OWASP CRS blocks the first probe; the
// same nginx with the rule engine off does not.
func TestModSecurityCRS(t *testing.T) {
	tests := []struct {
		engine  string
		present posture.Tri
		status  []int
	}{
		{"On", posture.Yes, []int{200, 403}},
		{"Off", posture.No, []int{200, 200, 200, 200}},
	}
	for _, tt := range tests {
		t.Run("SecRuleEngine "+tt.engine, func(t *testing.T) {
			origin := startModSecurity(t, tt.engine)
			o := scanOne(t, New(Options{Timeout: 5 * time.Second}), target(origin))
			if o.Present != tt.present || o.Missing != nil || !slices.Equal(statuses(o.Exchanges), tt.status) {
				t.Errorf("present %s missing %v statuses %v signals %q; want %s %v",
					o.Present, o.Missing, statuses(o.Exchanges), o.Signals, tt.present, tt.status)
			}
			// Each probe on its own is one the CRS blocks.
			for _, p := range probes {
				resp, err := http.Get(withQuery(&url.URL{Scheme: "http", Host: strings.TrimPrefix(origin, "http://"), Path: "/"}, p.value).String())
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if want := map[string]int{"On": 403, "Off": 200}[tt.engine]; resp.StatusCode != want {
					t.Errorf("probe %s: %d, want %d", p.name, resp.StatusCode, want)
				}
			}
		})
	}
}
