package httpscan

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/vouchdev/vouch/posture"
)

// maxPageRedirects bounds the redirects followed from one page.
const maxPageRedirects = 3

// page is one scope page of a Scan: pg is what is recorded; sc, when set,
// is the branch that fetches it (u, as number n of the target's pages).
type page struct {
	pg      *posture.HTTPPage
	sc      *scan
	u, base *url.URL
	n       int
	// overBudget: not fetched, over the budget of pages per target.
	overBudget bool
}

// planPages lists each page the scope names for the target
// (Options.Pages) and which of them are fetched: at most maxPages, only
// https:// URLs on the target's origin. mergePages records them once the
// HTTPS root's answer is known.
func (sc *scan) planPages() []page {
	if sc.pages == nil {
		return nil
	}
	list := sc.pages(sc.target)
	if len(list) == 0 {
		return nil
	}
	base, err := url.Parse(sc.target.Address)
	if err != nil || base.Scheme != "https" || base.Host == "" {
		return nil // fetchHTTPS said why
	}
	var out []page
	seen := map[string]bool{}
	fetched := 0
	for _, raw := range list {
		if seen[raw] {
			continue
		}
		seen[raw] = true
		p := page{pg: &posture.HTTPPage{URL: raw}}
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil:
			p.pg.Missing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("httpscan: page %q is not an https:// URL", raw)}
		case !sameOrigin(u, base):
			p.pg.Missing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("httpscan: page %s is not on the target's origin %s; not fetched", raw, originOf(base))}
		case fetched == sc.maxPages:
			p.overBudget = true
		default:
			fetched++
			p.sc, p.u, p.base, p.n = sc.branch(), u, base, fetched
		}
		out = append(out, p)
	}
	return out
}

// mergePages records the pages and the responses and cookies of those
// fetched. A page is observed only when the HTTPS origin answered; it is
// otherwise recorded as not observed for the same reason (and what its
// fetch saw, if anything, is dropped).
func (sc *scan) mergePages(pages []page) {
	for _, p := range pages {
		switch {
		case p.pg.Missing != nil && p.sc == nil:
			// not fetchable, whatever the origin said
		case sc.obs.HTTPSMissing != nil:
			m := *sc.obs.HTTPSMissing
			*p.pg = posture.HTTPPage{URL: p.pg.URL, Missing: &m}
		case p.overBudget:
			p.pg.Missing = &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("httpscan: page %s not fetched: over the budget of %d pages per target", p.pg.URL, sc.maxPages)}
		default:
			sc.merge(p.sc)
		}
		sc.obs.Pages = append(sc.obs.Pages, *p.pg)
	}
}

// fetchPage gets one page, following at most maxPageRedirects redirects
// that stay on https:// on the target's origin, and records every response
// and its cookies in pg. n numbers the page's evidence.
func (sc *scan) fetchPage(ctx context.Context, pg *posture.HTTPPage, u, base *url.URL, n int) {
	u.Fragment = ""
	if u.Path == "" {
		u.Path = "/"
	}
	visited := map[string]bool{}
	for i := 0; ; i++ {
		visited[u.String()] = true
		suffix := "/page" + strconv.Itoa(n)
		if i > 0 {
			suffix += "-" + strconv.Itoa(i+1)
		}
		ex, m := sc.exchange(ctx, u, suffix, fmt.Sprintf("Page %d", n))
		if m != nil {
			pg.Missing = m
			return
		}
		pg.Responses = append(pg.Responses, ex.hop)
		sc.addCookies(ex, pg.URL)
		if m := serverError(ex); m != nil {
			pg.Missing = m
			return
		}
		loc := ex.hop.Location
		if !isRedirect(ex.status) || loc == "" {
			return
		}
		next, err := u.Parse(loc)
		switch {
		case err != nil || next.Scheme != "https" || !sameOrigin(next, base):
			sc.note(fmt.Sprintf("page %s: redirect from %s to %q not followed (not on %s)", pg.URL, u, loc, originOf(base)))
			return
		case i == maxPageRedirects:
			sc.note(fmt.Sprintf("page %s: more than %d redirects; stopped before %s", pg.URL, maxPageRedirects, next))
			return
		}
		next.Fragment = ""
		if visited[next.String()] {
			sc.note(fmt.Sprintf("page %s: redirect loop: %s was already requested", pg.URL, next))
			return
		}
		u = next
	}
}

// sameOrigin reports whether u is https:// on the host and port of base.
func sameOrigin(u, base *url.URL) bool {
	return u.Scheme == "https" && canonicalHost(u.Hostname()) == canonicalHost(base.Hostname()) && effectivePort(u) == effectivePort(base)
}

// effectivePort is the port of u, or that of its scheme.
func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "http" {
		return "80"
	}
	return "443"
}

func originOf(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}
