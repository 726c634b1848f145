package wafscan

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
)

// Vendor names as recorded in posture.WAFObservation.Vendor. They are API:
// never rename one.
const (
	VendorCloudflare = "Cloudflare"
	VendorAWS        = "AWS"
	VendorAkamai     = "Akamai"
	VendorImperva    = "Imperva"
	VendorF5         = "F5"
	VendorFastly     = "Fastly"
	VendorSucuri     = "Sucuri"
	VendorAzure      = "Azure"
)

// vendors orders vendors when their signal counts tie.
var vendors = []string{VendorCloudflare, VendorAkamai, VendorImperva, VendorF5, VendorSucuri, VendorAWS, VendorAzure, VendorFastly}

type markKind int

const (
	headerPresent     markKind = iota // a header named name is present
	headerNamePrefix                  // a header whose name starts with name is present
	headerValueHas                    // header name has a value containing value
	headerValuePrefix                 // header name has a value starting with value
	cookiePrefix                      // a Set-Cookie whose cookie name starts with name
)

// mark is one fingerprint. Names and values compare case-insensitively.
type mark struct {
	vendor string
	kind   markKind
	name   string
	value  string
}

var marks = []mark{
	{VendorCloudflare, headerPresent, "Cf-Ray", ""},
	{VendorCloudflare, headerValueHas, "Server", "cloudflare"},
	{VendorCloudflare, cookiePrefix, "__cf_bm", ""},
	{VendorCloudflare, cookiePrefix, "cf_clearance", ""},
	{VendorCloudflare, cookiePrefix, "__cfduid", ""},

	{VendorAWS, headerPresent, "X-Amz-Cf-Id", ""},
	{VendorAWS, headerValueHas, "Server", "awselb"},
	{VendorAWS, cookiePrefix, "AWSALB", ""},

	{VendorAkamai, headerPresent, "Akamai-Grn", ""},
	{VendorAkamai, headerNamePrefix, "X-Akamai-", ""},
	{VendorAkamai, headerValueHas, "Server", "akamaighost"},

	{VendorImperva, headerPresent, "X-Iinfo", ""},
	{VendorImperva, headerValueHas, "X-Cdn", "incapsula"},
	{VendorImperva, cookiePrefix, "incap_ses_", ""},
	{VendorImperva, cookiePrefix, "visid_incap_", ""},

	{VendorF5, headerValueHas, "Server", "bigip"},
	{VendorF5, headerValueHas, "Server", "big-ip"},
	{VendorF5, cookiePrefix, "BigIP", ""},
	{VendorF5, cookiePrefix, "TS01", ""},

	{VendorFastly, headerValuePrefix, "X-Served-By", "cache-"},
	{VendorFastly, headerPresent, "X-Fastly-Request-Id", ""},

	{VendorSucuri, headerPresent, "X-Sucuri-Id", ""},
	{VendorSucuri, headerValueHas, "Server", "sucuri"},

	{VendorAzure, headerPresent, "X-Azure-Ref", ""},
}

// blockPages are phrases of block pages, lower case. vendor is empty for
// phrases that many products use.
var blockPages = []struct{ vendor, phrase string }{
	{VendorCloudflare, "attention required! | cloudflare"},
	{VendorCloudflare, "cloudflare ray id"},
	{VendorF5, "the requested url was rejected"},
	{VendorImperva, "incapsula incident id"},
	{VendorSucuri, "sucuri website firewall"},
	{VendorAWS, "request blocked. we can't connect to the server"},
	{"", "request rejected"},
	{"", "access denied"},
	{"", "web application firewall"},
	{"", "has been blocked"},
}

// fingerprint matches the marks against one response and records each
// match as a signal of its vendor.
func (sc *scan) fingerprint(ex *exchange) {
	for _, m := range marks {
		if what := m.match(ex.header); what != "" {
			sc.hit(m.vendor, what)
		}
	}
}

// hit records a signal for vendor, counting it once.
func (sc *scan) hit(vendor, what string) {
	s := vendor + ": " + what
	for _, x := range sc.obs.Signals {
		if x == s {
			return
		}
	}
	sc.obs.Signals = append(sc.obs.Signals, s)
	sc.vendorHits[vendor]++
}

// match returns what matched in h, or "".
func (m mark) match(h http.Header) string {
	switch m.kind {
	case headerPresent:
		if len(h.Values(m.name)) > 0 {
			return "header " + http.CanonicalHeaderKey(m.name)
		}
	case headerNamePrefix:
		for name := range h {
			if hasPrefixFold(name, m.name) {
				return "header " + name
			}
		}
	case headerValueHas, headerValuePrefix:
		for _, v := range h.Values(m.name) {
			lv := strings.ToLower(v)
			if (m.kind == headerValueHas && strings.Contains(lv, m.value)) ||
				(m.kind == headerValuePrefix && strings.HasPrefix(lv, m.value)) {
				return fmt.Sprintf("header %s: %s", http.CanonicalHeaderKey(m.name), v)
			}
		}
	case cookiePrefix:
		for _, raw := range h.Values("Set-Cookie") {
			name, _, _ := strings.Cut(raw, "=")
			name = strings.TrimSpace(name)
			if hasPrefixFold(name, m.name) {
				return "cookie " + name
			}
		}
	}
	return ""
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// blocked says how probe was blocked, or "" when it was not: a blocking
// status, or a block page that the baseline's body is not. A block page
// that names a vendor is recorded as that vendor's signal.
func blocked(sc *scan, probe, base *exchange) string {
	switch probe.status {
	case http.StatusForbidden, http.StatusNotAcceptable, http.StatusTooManyRequests, http.StatusNotImplemented:
		if phrase, vendor := blockPage(probe.body, base.body); vendor != "" {
			sc.hit(vendor, fmt.Sprintf("block page (%q)", phrase))
		}
		return fmt.Sprintf("answered %d", probe.status)
	}
	if phrase, vendor := blockPage(probe.body, base.body); phrase != "" {
		if vendor != "" {
			sc.hit(vendor, fmt.Sprintf("block page (%q)", phrase))
		}
		return fmt.Sprintf("answered %d with a block page (%q)", probe.status, phrase)
	}
	return ""
}

// blockPage returns the first block-page phrase in body that is not in
// base, and its vendor.
func blockPage(body, base []byte) (phrase, vendor string) {
	lb, lbase := bytes.ToLower(body), bytes.ToLower(base)
	for _, p := range blockPages {
		if bytes.Contains(lb, []byte(p.phrase)) && !bytes.Contains(lbase, []byte(p.phrase)) {
			return p.phrase, p.vendor
		}
	}
	return "", ""
}
