package httpscan

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"

	"github.com/vouchdev/vouch/posture"
)

// securityTxtPath is where RFC 9116 §3 puts the file.
const securityTxtPath = "/.well-known/security.txt"

// maxSecTxtRedirects bounds the same-host redirects followed to the file.
const maxSecTxtRedirects = 3

// securityTxtURL is where the target's security.txt is first asked for;
// nil when the target is not an https:// URL.
func (sc *scan) securityTxtURL() *url.URL {
	base, err := url.Parse(sc.target.Address)
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil
	}
	return &url.URL{Scheme: "https", Host: base.Host, Path: securityTxtPath}
}

// fetchSecurityTxt gets https://host/.well-known/security.txt, following
// at most maxSecTxtRedirects redirects that stay on the target's host over
// https://, and records the file, parsed, as obs.SecurityTxt. It runs only
// when the HTTPS origin answered: an origin that did not is not asked
// again, and the file is recorded as not observed for the same reason.
func (sc *scan) fetchSecurityTxt(ctx context.Context) {
	u := sc.securityTxtURL()
	if u == nil {
		return // fetchHTTPS said why
	}
	st := &posture.SecurityTxt{URL: u.String()}
	sc.obs.SecurityTxt = st
	if sc.obs.HTTPSMissing != nil {
		m := *sc.obs.HTTPSMissing
		st.Missing = &m
		return
	}
	host := canonicalHost(sc.target.Host())
	var ex *exchange
	for i := 0; ; i++ {
		suffix := "/securitytxt"
		if i > 0 {
			suffix += strconv.Itoa(i + 1)
		}
		var m *posture.Missing
		ex, m = sc.exchangeBody(ctx, u, suffix, "security.txt", true)
		if m != nil {
			st.Missing = m
			return
		}
		st.URL, st.Status, st.Evidence = u.String(), ex.status, ex.hop.Evidence
		loc := ex.hop.Location
		if !isRedirect(ex.status) || loc == "" || i == maxSecTxtRedirects {
			break
		}
		next, err := u.Parse(loc)
		if err == nil && next.Scheme == "https" && canonicalHost(next.Hostname()) != host {
			// RFC 9116 §3 allows a redirect; the file is then on a
			// host that is not the target, which is not fetched: not
			// observed, rather than absent.
			next.Fragment = ""
			sc.note(fmt.Sprintf("security.txt: redirect from %s to %s not followed (another host)", u, next))
			st.Missing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("httpscan: %s redirects to %s, on another host; not followed", u, next)}
			return
		}
		if err != nil || next.Scheme != "https" || canonicalHost(next.Hostname()) != host {
			sc.note(fmt.Sprintf("security.txt: redirect from %s to %q not followed (not https:// on %s)", u, loc, host))
			break
		}
		next.Fragment = ""
		u = next
	}
	st.ContentType = ex.header.Get("Content-Type")
	if m := serverError(ex); m != nil {
		st.Missing = m
		return
	}
	if ex.status != 200 {
		st.Issues = appendIssue(st.Issues, posture.CodeSecTxtMissing)
		st.IssueDetails = append(st.IssueDetails, fmt.Sprintf("%s: %s answered status %d", posture.CodeSecTxtMissing, st.URL, ex.status))
		return
	}
	if ex.bodyTruncated {
		st.Missing = &posture.Missing{Reason: posture.ReasonTooLarge, Detail: fmt.Sprintf("httpscan: %s is larger than %d bytes", st.URL, maxBodyBytes)}
		return
	}
	parsed := ParseSecurityTxt(ex.body, sc.now())
	parsed.URL, parsed.Status, parsed.ContentType, parsed.Found, parsed.Evidence = st.URL, st.Status, st.ContentType, true, st.Evidence+"/text"
	if mt, _, err := mime.ParseMediaType(st.ContentType); err != nil || mt != "text/plain" {
		parsed.Issues = append([]posture.Code{posture.CodeSecTxtNotTextPlain}, parsed.Issues...)
		parsed.IssueDetails = append([]string{fmt.Sprintf("%s: Content-Type %q", posture.CodeSecTxtNotTextPlain, st.ContentType)}, parsed.IssueDetails...)
	}
	sc.obs.Evidence = append(sc.obs.Evidence, posture.Evidence{
		ID:    parsed.Evidence,
		Kind:  posture.EvidenceText,
		Label: "security.txt as served: " + st.URL,
		Data:  strings.ToValidUTF8(string(ex.body), "\uFFFD"),
	})
	*st = parsed
}
