package engine

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/wafscan"
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

// startNginx runs nginx in front of a static page on 127.0.0.1 and returns
// its http:// origin. With modsec, nginx loads ModSecurity with the OWASP
// CRS (paranoia level 1, blocking); without, the module is not loaded at
// all. Debian ships no modsecurity.conf for nginx, so the test writes one.
func startNginx(t *testing.T, modsec bool) string {
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

	loadModule, modsecOn := "", ""
	if modsec {
		loadModule = "load_module " + modsecModule + ";"
		modsecOn = "modsecurity on; modsecurity_rules_file " + dir + "/modsecurity.conf;"
	}
	files := map[string]string{
		"www/index.html": "<html><body>acme shop</body></html>\n",
		"modsecurity.conf": fmt.Sprintf(`SecRuleEngine On
SecRequestBodyAccess On
SecResponseBodyAccess Off
SecAuditEngine Off
Include %s
Include %s/*.conf
`, crsSetup, crsRules),
		"nginx.conf": fmt.Sprintf(`%s
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
		%[4]s
	}
}
`, loadModule, dir, addr, modsecOn),
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

// A real WAF: nginx with ModSecurity and the OWASP CRS is detected; the
// same nginx without the module is not. Both run in one engine.
func TestModSecurityCRS(t *testing.T) {
	on := startNginx(t, true)
	off := startNginx(t, false)
	obs := scanAll(t, wafscan.Options{Timeout: 5 * time.Second}, on, off)
	if o := obs[on]; o.Present != posture.Yes || o.Missing != nil {
		t.Errorf("nginx + ModSecurity + CRS: present %s missing %v signals %q", o.Present, o.Missing, o.Signals)
	}
	if o := obs[off]; o.Present != posture.No || o.Missing != nil {
		t.Errorf("nginx alone: present %s missing %v signals %q", o.Present, o.Missing, o.Signals)
	}
}
