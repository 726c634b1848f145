package site

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var cssVar = regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-f]{6});`)

// themes returns the colour variables of the light (:root) and dark
// (prefers-color-scheme: dark) themes of style.css.
func themes(t *testing.T) (light, dark map[string]string) {
	t.Helper()
	css := string(baseCSS)
	i := strings.Index(css, "@media (prefers-color-scheme: dark)")
	if i < 0 {
		t.Fatal("site: style.css has no dark theme")
	}
	parse := func(s string) map[string]string {
		m := map[string]string{}
		for _, v := range cssVar.FindAllStringSubmatch(s, -1) {
			m[v[1]] = v[2]
		}
		return m
	}
	end := strings.Index(css[i:], "}\n}")
	return parse(css[:i]), parse(css[i : i+end])
}

func luminance(hex string) float64 {
	ch := func(s string) float64 {
		v, _ := strconv.ParseUint(s, 16, 8)
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(hex[1:3]) + 0.7152*ch(hex[3:5]) + 0.0722*ch(hex[5:7])
}

// contrast is the WCAG 2 contrast ratio of two colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestContrast: every text colour on every background it is drawn on has
// a contrast of at least 4.5:1 (WCAG 2.2 SC 1.4.3), in both themes, and
// every status has a badge style.
func TestContrast(t *testing.T) {
	light, dark := themes(t)
	pairs := [][2]string{{"fg", "bg"}, {"muted", "bg"}, {"link", "bg"}, {"fg", "surface"}, {"muted", "surface"}, {"link", "surface"}}
	for _, s := range statuses {
		name := strings.TrimPrefix(strings.Fields(s.Class())[1], "badge-")
		pairs = append(pairs, [2]string{name + "-fg", name + "-bg"})
		if !strings.Contains(string(baseCSS), "."+strings.Fields(s.Class())[1]+" {") {
			t.Errorf("site: style.css has no rule for %s", s.Class())
		}
	}
	for theme, vars := range map[string]map[string]string{"light": light, "dark": dark} {
		for _, p := range pairs {
			fg, bg := vars[p[0]], vars[p[1]]
			if fg == "" || bg == "" {
				t.Errorf("site: %s theme lacks --%s or --%s", theme, p[0], p[1])
				continue
			}
			if c := contrast(fg, bg); c < 4.5 {
				t.Errorf("site: %s theme: --%s %s on --%s %s has contrast %.2f, want >= 4.5", theme, p[0], fg, p[1], bg, c)
			}
		}
	}
	if c := contrast("#000000", "#ffffff"); math.Abs(c-21) > 0.01 {
		t.Fatalf("site: contrast formula broken: %v", c)
	}
}

func TestBrandColor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"#1A2b3C", "#1a2b3c"},
		{"#ffffff", "#ffffff"},
		{"", defaultBrand},
		{"red", defaultBrand},
		{"#fff", defaultBrand},
		{"#1a2b3c; background: red", defaultBrand},
		{"#1a2b3c}\nbody{display:none", defaultBrand},
		{"#1a2b3g", defaultBrand},
		{" #1a2b3c", defaultBrand},
	}
	for _, tt := range tests {
		if got := brandColor(tt.in); got != tt.want {
			t.Errorf("site: brandColor(%q) = %q, want %q", tt.in, got, tt.want)
		}
		css := string(styleCSS(tt.in))
		if !strings.HasSuffix(css, "\n:root { --brand: "+tt.want+"; }\n") || strings.Count(css, "--brand:") != 1 {
			t.Errorf("site: style.css for colour %q ends %q", tt.in, css[max(0, len(css)-60):])
		}
	}
}
