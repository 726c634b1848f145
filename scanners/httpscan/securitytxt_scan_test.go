package httpscan

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/posture"
)

func TestScanSecurityTxt(t *testing.T) {
	const file = "Contact: mailto:security@acme.example\nExpires: 2027-06-01T00:00:00Z\n"
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		found   bool
		status  int
		issues  []posture.Code
		missing posture.Reason
		path    string // where the file was finally fetched
	}{
		{"served", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(file))
		}, true, 200, nil, "", securityTxtPath},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			false, 404, []posture.Code{posture.CodeSecTxtMissing}, "", securityTxtPath},
		{"served as HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>hello</html>\n"))
		}, true, 200, []posture.Code{posture.CodeSecTxtNotTextPlain, posture.CodeSecTxtSyntax, posture.CodeSecTxtNoContact, posture.CodeSecTxtNoExpires}, "", securityTxtPath},
		{"redirect on the host is followed", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == securityTxtPath {
				http.Redirect(w, r, "/security.txt", http.StatusMovedPermanently)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(file))
		}, true, 200, nil, "", "/security.txt"},
		// RFC 9116 §3 allows a redirect: the file on another host is
		// not fetched, so it is not observed (not absent).
		{"redirect elsewhere is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://elsewhere.vouch.test/security.txt", http.StatusFound)
		}, false, 302, nil, posture.ReasonNotScanned, securityTxtPath},
		{"server error is not absence", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}, false, 503, nil, posture.ReasonError, securityTxtPath},
		{"rate limit is not absence", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, false, 429, nil, posture.ReasonError, securityTxtPath},
		{"redirect to plain HTTP is not", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.vouch.test/security.txt", http.StatusFound)
		}, false, 302, []posture.Code{posture.CodeSecTxtMissing}, "", securityTxtPath},
		{"redirect loop stops", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, securityTxtPath, http.StatusFound)
		}, false, 302, []posture.Code{posture.CodeSecTxtMissing}, "", securityTxtPath},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(file + strings.Repeat("# padding\n", 10000)))
		}, false, 200, nil, posture.ReasonTooLarge, securityTxtPath},
		{"exactly 64 KiB is read", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			pad := maxBodyBytes - len(file)
			w.Write([]byte(file + "#" + strings.Repeat("x", pad-2) + "\n"))
		}, true, 200, nil, "", securityTxtPath},
	}
	ca := newCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/" {
					return
				}
				tt.handler(w, r)
			}))
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(""), Now: func() time.Time { return now }}), target(ts.URL))
			st := o.SecurityTxt
			if st == nil {
				t.Fatal("httpscan: no security.txt observation")
			}
			if st.Found != tt.found || st.Status != tt.status || !slices.Equal(st.Issues, tt.issues) || reasonOf(st.Missing) != tt.missing || st.URL != ts.URL+tt.path {
				t.Errorf("httpscan: found %v status %d issues %q missing %v URL %s; want %v %d %q %q %s",
					st.Found, st.Status, st.Issues, st.Missing, st.URL, tt.found, tt.status, tt.issues, tt.missing, ts.URL+tt.path)
			}
			if _, ok := evidenceByID(o, st.Evidence); st.Missing == nil && !ok {
				t.Errorf("httpscan: evidence %q not in the observation", st.Evidence)
			}
			if tt.found && tt.issues == nil {
				ev, _ := evidenceByID(o, st.Evidence)
				if ev.Kind != posture.EvidenceText || !strings.HasPrefix(ev.Data, file) {
					t.Errorf("httpscan: text evidence %+v", ev.Label)
				}
				if !slices.Equal(st.Contact, []string{"mailto:security@acme.example"}) || st.Expires.IsZero() {
					t.Errorf("httpscan: fields %+v", st)
				}
			}
		})
	}
}

// An HTTPS origin that does not answer is not asked for security.txt:
// the file is not observed, for the same reason.
func TestSecurityTxtOriginDown(t *testing.T) {
	o := scanOne(t, New(Options{PlainHTTP: plainAt("")}), target("https://"+refusedAddr(t)))
	if o.SecurityTxt == nil || reasonOf(o.SecurityTxt.Missing) != posture.ReasonRefused || o.SecurityTxt.Found {
		t.Errorf("httpscan: security.txt %+v", o.SecurityTxt)
	}
}

// Over the wire: an expired file is flagged expired, not as a syntax
// error; an OpenPGP cleartext-signed file is noticed as signed; a valid
// file served as another media type is flagged for that alone.
func TestScanSecurityTxtServed(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	const body = "Contact: mailto:security@acme.example\nExpires: 2027-06-01T00:00:00Z\n"
	signed := "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + body +
		"-----BEGIN PGP SIGNATURE-----\n\niQIzBAEBCAAd\n=BfcH\n-----END PGP SIGNATURE-----\n"
	tests := []struct {
		name, contentType, text string
		issues                  []posture.Code
		signed                  bool
		expires                 string
	}{
		{"expired", "text/plain; charset=utf-8", "Contact: mailto:security@acme.example\nExpires: 2025-01-01T00:00:00Z\n",
			[]posture.Code{posture.CodeSecTxtExpired}, false, "2025-01-01T00:00:00Z"},
		{"signed", "text/plain", signed, nil, true, "2027-06-01T00:00:00Z"},
		{"signed and expired", "text/plain", strings.Replace(signed, "2027-06-01", "2024-04-01", 1),
			[]posture.Code{posture.CodeSecTxtExpired}, true, "2024-04-01T00:00:00Z"},
		{"valid, but application/octet-stream", "application/octet-stream", body,
			[]posture.Code{posture.CodeSecTxtNotTextPlain}, false, "2027-06-01T00:00:00Z"},
		{"valid, but no Content-Type", "", body,
			[]posture.Code{posture.CodeSecTxtNotTextPlain}, false, "2027-06-01T00:00:00Z"},
	}
	ca := newCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != securityTxtPath {
					return
				}
				if tt.contentType == "" {
					w.Header()["Content-Type"] = nil // no sniffing either
				} else {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.Write([]byte(tt.text))
			}))
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(""), Now: func() time.Time { return now }}), target(ts.URL))
			st := o.SecurityTxt
			if st == nil || !st.Found || st.Status != 200 {
				t.Fatalf("httpscan: security.txt %+v", st)
			}
			if !slices.Equal(st.Issues, tt.issues) || st.Signed != tt.signed || st.Expires.Format(time.RFC3339) != tt.expires {
				t.Errorf("httpscan: issues %q signed %v expires %s; want %q %v %s\n%s",
					st.Issues, st.Signed, st.Expires.Format(time.RFC3339), tt.issues, tt.signed, tt.expires, strings.Join(st.IssueDetails, "\n"))
			}
			if st.ContentType != tt.contentType {
				t.Errorf("httpscan: content type %q, want %q", st.ContentType, tt.contentType)
			}
		})
	}
}

// A security.txt whose body does not arrive whole is a fragment, not the
// file: a valid file trickled past the request's deadline, or cut by the
// server closing the connection before its Content-Length, is not
// observed (timeout, protocol error), never parsed into "no Contact".
func TestSecurityTxtCutShort(t *testing.T) {
	const file = "Contact: mailto:security@acme.example\nExpires: 2027-06-01T00:00:00Z\n"
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    posture.Reason
	}{
		{"trickled past the deadline", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", strconv.Itoa(len(file)))
			rc := http.NewResponseController(w)
			for i := 0; i < len(file); i++ {
				if _, err := w.Write([]byte{file[i]}); err != nil {
					return
				}
				rc.Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}, posture.ReasonTimeout},
		{"connection closed before Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Length", strconv.Itoa(len(file)))
			w.Write([]byte(file[:5]))
			http.NewResponseController(w).Flush()
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, posture.ReasonProtocolError},
	}
	ca := newCA(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := tlsServer(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/" {
					return
				}
				tt.handler(w, r)
			}))
			start := time.Now()
			o := scanOne(t, New(Options{RootCAs: ca.Pool(), PlainHTTP: plainAt(""), Timeout: 600 * time.Millisecond}), target(ts.URL))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("httpscan: scan took %s", d)
			}
			st := o.SecurityTxt
			if st == nil || st.Found || len(st.Issues) != 0 || reasonOf(st.Missing) != tt.want {
				t.Fatalf("httpscan: security.txt %+v; want not observed (%s), no issues", st, tt.want)
			}
			if !strings.Contains(st.Missing.Detail, "body cut after") {
				t.Errorf("httpscan: detail %q does not say the body was cut", st.Missing.Detail)
			}
		})
	}
}
