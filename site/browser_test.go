package site

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// The browser test renders the fixture site in Debian's headless chromium,
// served over http from 127.0.0.1 and opened from file://, and checks what
// only a browser can tell: that the page draws at desktop and phone widths,
// that it asks for nothing but its own files, that hostile declared text
// stays text, and that axe-core finds no serious or critical accessibility
// violation.
//
// Needs: the Debian package chromium (/usr/bin/chromium) and npm, which
// installs the axe-core version pinned in browsertest/package-lock.json
// into a temporary directory. Without them the test is skipped, or fails
// when CI=true.

// xssCanary is set as the document title by every hostile string the test
// adds; a title equal to it means declared text ran as script.
const xssCanary = "xss-ran"

// browserReport is the fixture report plus declared text that would
// change the title, or request an image, if it ever ran.
func browserReport() *posture.Report {
	r := fixtureReport()
	r.Controls = append(r.Controls,
		posture.ControlResult{
			Control: posture.Control{ID: "canary-script", Section: "Encryption at rest", Visibility: posture.Public,
				Statement: `<script>document.title="` + xssCanary + `"</script>`,
				Attested:  &posture.Attestation{By: "CTO", Reviewed: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}},
			Verdict: posture.Attested,
		},
		posture.ControlResult{
			Control: posture.Control{ID: "canary-img", Section: "Encryption at rest", Visibility: posture.Public,
				Statement: `<img src="xss-probe.png" onerror="document.title='` + xssCanary + `'">`,
				Attested:  &posture.Attestation{By: "CTO", Reviewed: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}},
			Verdict: posture.Attested,
		},
	)
	r.Summarize()
	return r
}

// chromiumBinary finds chromium, or skips (fails when CI=true).
func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFail(t, "site: chromium not installed (apt-get install -y chromium)")
	return ""
}

func skipOrFail(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// axeScript installs the pinned axe-core with npm ci into a temporary
// directory and returns axe.min.js.
func axeScript(t *testing.T) []byte {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		skipOrFail(t, "site: npm not installed (needed for axe-core)")
	}
	dir := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join("browsertest", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		skipOrFail(t, fmt.Sprintf("site: npm ci for axe-core: %v\n%s", err, out))
	}
	js, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// recorder serves a directory and records every path requested.
type recorder struct {
	mu    sync.Mutex
	paths []string
	files http.Handler
}

func newRecorder(dir string) *recorder { return &recorder{files: http.FileServer(http.Dir(dir))} }

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.paths = append(rc.paths, r.URL.Path)
	rc.mu.Unlock()
	rc.files.ServeHTTP(w, r)
}

func (rc *recorder) requested() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := slices.Clone(rc.paths)
	slices.Sort(out)
	return slices.Compact(out)
}

// proxy records every request the browser sends anywhere but loopback
// (chromium bypasses a proxy for loopback) and answers none of them.
type proxy struct {
	mu   sync.Mutex
	seen []string
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.seen = append(p.seen, r.Host)
	p.mu.Unlock()
	http.Error(w, "vouch browser test: no requests leave the page", http.StatusForbidden)
}

// hosts returns the hosts asked for so far, sorted, each once.
func (p *proxy) hosts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.seen)
	slices.Sort(out)
	return slices.Compact(out)
}

// browser runs one headless chromium per call, each with a fresh profile.
type browser struct {
	bin   string
	proxy string // host:port of the recording proxy
}

func (b browser) run(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		// Quiet the browser's own background traffic, which the proxy
		// would otherwise record: network time, sign-in, field trials.
		"--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DialMediaRouteProvider,InterestFeedContentSuggestions",
		"--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-default-apps",
		"--disable-extensions", "--no-pings", "--disable-field-trial-config", "--disable-breakpad",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--proxy-server=http://" + b.proxy,
		"--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, b.bin, append(base, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("site: chromium %v: %v\n%s", args, err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// screenshot takes a w×h screenshot of u and checks that it is a PNG of
// that size with something drawn on it.
func (b browser) screenshot(t *testing.T, u string, w, h int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("shot-%dx%d.png", w, h))
	b.run(t, "--screenshot="+path, fmt.Sprintf("--window-size=%d,%d", w, h), u)
	checkPNG(t, path, w, h)
	return path
}

func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("site: no screenshot: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("site: screenshot %s: %v", path, err)
	}
	if got := img.Bounds().Size(); got != (image.Point{w, h}) {
		t.Errorf("site: screenshot is %v, want %dx%d", got, w, h)
	}
	// A blank or error page has a handful of colours; text with
	// anti-aliasing, badges and the brand header have many.
	colours := map[[4]uint32]bool{}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y += 2 {
		for x := bd.Min.X; x < bd.Max.X; x += 2 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(data) < 10_000 || len(colours) < 32 {
		t.Errorf("site: screenshot %s looks empty: %d bytes, %d colours", path, len(data), len(colours))
	}
}

// checkDOM checks a --dump-dom of the fixture page: the hostile text is
// there as text, nothing of it became an element or ran.
func checkDOM(t *testing.T, dom []byte) {
	t.Helper()
	s := string(dom)
	title := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(s)
	if title == nil {
		t.Fatalf("site: no <title> in the rendered DOM:\n%s", s)
	}
	if got, want := html.UnescapeString(title[1]), "Acme & Co <Security> — Security and trust"; got != want {
		t.Errorf("site: document title %q, want %q (declared text ran as script)", got, want)
	}
	for _, want := range []string{
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`&lt;script&gt;document.title="` + xssCanary + `"&lt;/script&gt;`,
		`&lt;img src="xss-probe.png" onerror="document.title='` + xssCanary + `'"&gt;`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("site: rendered DOM lacks the declared text %s as text", want)
		}
	}
	low := strings.ToLower(s)
	// The page has no script and no image of its own: any is declared text
	// that became markup.
	for _, bad := range []string{"<script", "<img", "javascript:"} {
		if strings.Contains(low, bad) {
			t.Errorf("site: rendered DOM contains %q", bad)
		}
	}
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRunner runs axe on the page and writes its violations into the DOM,
// where --dump-dom carries them out.
const axeRunner = `(function () {
  function put(id, text) {
    var pre = document.createElement("pre");
    pre.id = id;
    pre.textContent = text;
    document.body.appendChild(pre);
  }
  axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
    put("axe-results", JSON.stringify(r.violations.map(function (v) {
      return {id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(function (n) { return n.target.join(" "); })};
    })));
  }, function (e) { put("axe-error", String(e)); });
})();
`

// axePage writes into dir a copy of index.html that loads axe and the
// runner, as axe.html. The published files stay as built.
func axePage(t *testing.T, dir string, axe []byte) {
	t.Helper()
	index, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	const tags = `<script src="axe.min.js"></script><script src="run-axe.js"></script></body>`
	page := bytes.Replace(index, []byte("</body>"), []byte(tags), 1)
	if bytes.Equal(page, index) {
		t.Fatal("site: no </body> in index.html")
	}
	for name, data := range map[string][]byte{"axe.html": page, "axe.min.js": axe, "run-axe.js": []byte(axeRunner)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func axeResults(t *testing.T, dom []byte) []axeViolation {
	t.Helper()
	s := string(dom)
	if m := regexp.MustCompile(`(?s)<pre id="axe-error">(.*?)</pre>`).FindStringSubmatch(s); m != nil {
		t.Fatalf("site: axe failed: %s", html.UnescapeString(m[1]))
	}
	m := regexp.MustCompile(`(?s)<pre id="axe-results">(.*?)</pre>`).FindStringSubmatch(s)
	if m == nil {
		t.Fatal("site: axe wrote no results into the DOM (did it finish within the virtual time budget?)")
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &vs); err != nil {
		t.Fatalf("site: axe results: %v", err)
	}
	return vs
}

func TestBrowser(t *testing.T) {
	bin := chromiumBinary(t)
	axe := axeScript(t)
	start := time.Now()
	defer func() { t.Logf("browser test took %v (after npm ci)", time.Since(start).Round(time.Millisecond)) }()

	dir := filepath.Join(t.TempDir(), "site")
	if err := Build(dir, browserReport(), Options{BaseURL: "https://trust.acme.example", Now: fixtureNow, History: fixtureHistory()}); err != nil {
		t.Fatal(err)
	}
	// The axe copy lives apart, so that the page's own server serves only
	// the published files.
	axeDir := filepath.Join(t.TempDir(), "axe")
	if err := os.CopyFS(axeDir, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	axePage(t, axeDir, axe)

	px := &proxy{}
	pxSrv := httptest.NewServer(px)
	defer pxSrv.Close()
	rec := newRecorder(dir)
	srv := httptest.NewServer(rec)
	defer srv.Close()
	axeSrv := httptest.NewServer(http.FileServer(http.Dir(axeDir)))
	defer axeSrv.Close()

	b := browser{bin: bin, proxy: strings.TrimPrefix(pxSrv.URL, "http://")}
	// Chromium calls home on every launch (sign-in and search hosts) even
	// with the flags above; an empty page shows which hosts that is, and
	// the page may add none.
	b.run(t, "--dump-dom", "--virtual-time-budget=2000", "about:blank")
	baseline := px.hosts()
	t.Logf("site: hosts chromium asks for on its own: %v", baseline)

	fileURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "index.html"))}).String()

	t.Run("http", func(t *testing.T) {
		checkDOM(t, b.run(t, "--dump-dom", "--virtual-time-budget=2000", srv.URL+"/"))
		b.screenshot(t, srv.URL+"/", 1280, 900)
		b.screenshot(t, srv.URL+"/", 390, 844)
		// The page asks for itself and its stylesheet, nothing else: no
		// script, font, image or probe from the declared text.
		got := rec.requested()
		got = slices.DeleteFunc(got, func(p string) bool { return p == "/favicon.ico" }) // the browser's, not the page's
		if want := []string{"/", "/style.css"}; !slices.Equal(got, want) {
			t.Errorf("site: paths requested = %v, want %v", got, want)
		}
	})
	t.Run("file", func(t *testing.T) {
		checkDOM(t, b.run(t, "--dump-dom", "--virtual-time-budget=2000", fileURL))
		b.screenshot(t, fileURL, 390, 844)
	})
	t.Run("axe", func(t *testing.T) {
		dom := b.run(t, "--dump-dom", "--virtual-time-budget=5000", "--window-size=1280,900", axeSrv.URL+"/axe.html")
		for _, v := range axeResults(t, dom) {
			if v.Impact == "serious" || v.Impact == "critical" {
				t.Errorf("site: axe %s violation %s: %s at %v", v.Impact, v.ID, v.Help, v.Nodes)
			} else {
				t.Logf("site: axe %s violation %s: %s at %v", v.Impact, v.ID, v.Help, v.Nodes)
			}
		}
	})
	if extra := slices.DeleteFunc(px.hosts(), func(h string) bool { return slices.Contains(baseline, h) }); len(extra) > 0 {
		t.Errorf("site: the page sent requests off loopback, to %v", extra)
	}
}
