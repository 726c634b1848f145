package site

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLogo(t *testing.T) {
	tests := []struct {
		name     string
		declared string
		data     []byte
		wantFile string // "" = no logo published
		wantErr  string
	}{
		{"png copied", "assets/logo.png", nil, "logo.png", ""},
		{"clean svg", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`), "logo.svg", ""},
		{"svg with script", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "", "<script"},
		{"svg with onload", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="x()"></svg>`), "", "event attribute"},
		{"svg external href", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><image href="http://evil/x.png"/></svg>`), "", "external href"},
		{"svg not svg root", "logo.svg", []byte(`<html></html>`), "", "not <svg>"},
		{"bytes not png", "logo.png", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "", "not image/png"},
		{"html as jpg", "logo.jpg", []byte("<html><body>hi</body></html>"), "", "not image/jpeg"},
		{"too big", "logo.png", nil, "", "more than"},
		{"no bytes", "assets/logo.png", []byte{}, "", ""},
		{"unsafe path ignored", "javascript:alert(1)", []byte("x"), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data
			if data == nil {
				data = pngBytes(t)
				if tt.name == "too big" {
					data = append(data, make([]byte, maxLogo)...)
				}
			}
			if tt.name == "no bytes" {
				data = nil
			}
			r := fixtureReport()
			r.Organization.Logo = tt.declared
			dir := filepath.Join(t.TempDir(), "site")
			err := Build(dir, r, Options{Now: fixtureNow, Logo: data})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "site: ") {
					t.Fatalf("site: err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			idx, err := os.ReadFile(filepath.Join(dir, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			imgs := find(parseHTML(t, idx), func(n *html.Node) bool { return n.Data == "img" })
			if tt.wantFile == "" {
				if len(imgs) != 0 {
					t.Fatalf("site: %d images without a logo file", len(imgs))
				}
				return
			}
			got, err := os.ReadFile(filepath.Join(dir, tt.wantFile))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("site: %s not copied: %v", tt.wantFile, err)
			}
			if len(imgs) != 1 {
				t.Fatalf("site: %d images, want the logo", len(imgs))
			}
			if src, _ := attr(imgs[0], "src"); src != tt.wantFile {
				t.Errorf("site: logo src = %q, want %q", src, tt.wantFile)
			}
			if alt, _ := attr(imgs[0], "alt"); alt != r.Organization.Name+" logo" {
				t.Errorf("site: logo alt = %q", alt)
			}
			if h, ok := attr(imgs[0], "height"); !ok || h == "" {
				t.Error("site: logo without height")
			}
		})
	}
}
