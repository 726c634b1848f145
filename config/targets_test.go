package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func TestParseTargets(t *testing.T) {
	in := strings.Join([]string{
		"# fleet, one a line",
		"https://shop.example.com",
		"",
		"   example.org   # its mail",
		"https://api.example.com:8443 # a port",
		"example.net#not-a-comment-start",
	}, "\n")
	got, err := ParseTargets("fleet.txt", strings.NewReader(in))
	if err == nil {
		t.Fatalf("want an error for line 6, got %+v", got)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Line != 6 || es[0].File != "fleet.txt" {
		t.Fatalf("errors %v, want one at fleet.txt:6", err)
	}

	in = strings.Join([]string{
		"# fleet, one a line",
		"https://shop.example.com",
		"",
		"   example.org   # its mail",
		"https://api.example.com:8443\t# a port",
	}, "\n")
	got, err = ParseTargets("fleet.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Web, []string{"https://shop.example.com", "https://api.example.com:8443"}) || !slices.Equal(got.Mail, []string{"example.org"}) {
		t.Errorf("got %+v", got)
	}
}

// Every bad line is reported with its line number, all at once.
func TestParseTargetsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		want     string
	}{
		{"duplicate", "example.org\nhttps://a.example.com\nexample.org\n", 3, "already listed at line 1"},
		{"two on a line", "example.org example.net\n", 1, "one target a line"},
		{"not a domain", "\n\nexa_mple..org\n", 3, "mail domain"},
		{"not http", "ftp://a.example.com\n", 1, "scheme ftp"},
		{"port out of range", "https://a.example.com:70000\n", 1, ""},
		{"long line", "example.org\n" + strings.Repeat("a", maxTargetLine+10) + "\n", 2, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTargets("-", strings.NewReader(tc.in))
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("err %v, want Errors", err)
			}
			e := es[0]
			if e.Line != tc.line || e.File != "standard input" || !strings.Contains(e.Error(), tc.want) {
				t.Errorf("got %q (line %d), want line %d mentioning %q", e.Error(), e.Line, tc.line, tc.want)
			}
			if !strings.Contains(e.Error(), "standard input:") {
				t.Errorf("%q does not name the input and line", e.Error())
			}
		})
	}
}

func TestAddTargets(t *testing.T) {
	d := posture.Declaration{Scope: posture.Scope{Web: []string{"https://a.example.com"}, Mail: []string{"example.org"}}}
	AddTargets(&d, Targets{Web: []string{"https://a.example.com", "https://b.example.com"}, Mail: []string{"example.net"}})
	if !slices.Equal(d.Scope.Web, []string{"https://a.example.com", "https://b.example.com"}) || !slices.Equal(d.Scope.Mail, []string{"example.org", "example.net"}) {
		t.Errorf("scope %+v", d.Scope)
	}
}
