package wafscan

import (
	"strings"
	"testing"
)

// The raw request and response heads come from the engine, which got the
// response from the server: whatever they hold, reading the status and the
// URL must not panic, and a status is a three-digit code or 0.
func FuzzRawHeads(f *testing.F) {
	f.Add("GET /?q=x HTTP/1.1\r\nHost: a\r\n", "HTTP/1.1 403 Forbidden\r\n")
	f.Add("GET https://b.example/ HTTP/1.1", "HTTP/1.0 99999999999999999999 x")
	f.Add("", "")
	f.Add("\n\n", "HTTP/ -1")
	f.Fuzz(func(t *testing.T, req, resp string) {
		if s := responseStatus(resp); s != 0 && (s < 100 || s > 599 || !strings.HasPrefix(strings.TrimSpace(resp), "HTTP/")) {
			t.Errorf("responseStatus(%q) = %d", resp, s)
		}
		if u := requestURL("https://shop.example", req); u == "" {
			t.Errorf("requestURL(%q) is empty", req)
		}
	})
}
