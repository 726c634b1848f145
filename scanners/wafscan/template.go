package wafscan

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A user template (a "kind: nuclei" control) runs in vouch's engine with
// vouch's promise: nothing is sent to anyone but the targets in scope, and
// only a few requests. nuclei templates can do far more (run code, open
// raw sockets, query DNS, drive a browser, read files, fuzz, follow
// redirects anywhere), so a user template is held to a small subset
// before it runs: HTTP requests to the target itself.

// maxTemplate bounds a template file.
const maxTemplate = 256 << 10

// maxTemplateRequests bounds the requests one template may send.
const maxTemplateRequests = 10

// templateKeys are the top-level keys a user template may use.
var templateKeys = map[string]bool{"id": true, "info": true, "variables": true, "http": true, "requests": true}

// requestKeys are the keys an HTTP request of a user template may use;
// payloads, fuzzing, race conditions, pipelining and redirects off the
// host are not among them, nor "unsafe: true": nuclei's raw client leaves a
// connection open when its response is late or cut, so the engine could
// not keep to --per-host ("unsafe: false" is the default and allowed).
var requestKeys = map[string]bool{
	"id": true, "name": true, "method": true, "path": true, "raw": true, "headers": true, "body": true,
	"matchers": true, "matchers-condition": true, "extractors": true, "req-condition": true,
	"host-redirects": true, "max-redirects": true, "max-size": true, "stop-at-first-match": true,
	"cookie-reuse": true, "disable-cookie": true, "read-all": true,
}

// ValidateTemplate checks that a user template stays within what vouch
// runs: HTTP requests whose URL is the target's ({{BaseURL}} or
// {{RootURL}} paths, raw requests to {{Hostname}}), at most
// maxTemplateRequests of them, redirects only on the same host. The error
// says what is not allowed and why.
func ValidateTemplate(data []byte) error {
	if len(data) > maxTemplate {
		return fmt.Errorf("template larger than %d KiB", maxTemplate>>10)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("not a YAML template: %v", err)
	}
	if len(doc) == 0 {
		return errors.New("empty template")
	}
	if id, _ := doc["id"].(string); id == "" {
		return errors.New("no id")
	}
	var bad []string
	for k := range doc {
		if !templateKeys[k] {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("%s: only HTTP templates run in vouch (keys id, info, variables, http); nothing else may reach beyond the target", strings.Join(bad, ", "))
	}
	var reqs []any
	for _, k := range []string{"http", "requests"} {
		if v, ok := doc[k]; ok {
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("%s: want a list of requests", k)
			}
			reqs = append(reqs, list...)
		}
	}
	if len(reqs) == 0 {
		return errors.New("no http requests")
	}
	total := 0
	for i, r := range reqs {
		req, ok := r.(map[string]any)
		if !ok {
			return fmt.Errorf("http[%d]: want a request", i)
		}
		for k, v := range req {
			if (k == "redirects" || k == "unsafe") && v == false {
				continue
			}
			if k == "unsafe" {
				return fmt.Errorf("http[%d].unsafe: not allowed in vouch: nuclei's raw client can leave connections open, past --per-host", i)
			}
			if !requestKeys[k] {
				return fmt.Errorf("http[%d].%s: not allowed in vouch (no payloads, fuzzing, race, pipelining or redirects off the host)", i, k)
			}
		}
		paths, err := stringList(req["path"])
		if err != nil {
			return fmt.Errorf("http[%d].path: %v", i, err)
		}
		for j, p := range paths {
			if !onTarget(p) {
				return fmt.Errorf("http[%d].path[%d] %q: must be {{BaseURL}} or {{RootURL}} followed by / or ?, the target", i, j, p)
			}
		}
		raws, err := stringList(req["raw"])
		if err != nil {
			return fmt.Errorf("http[%d].raw: %v", i, err)
		}
		for j, raw := range raws {
			if err := checkRaw(raw); err != nil {
				return fmt.Errorf("http[%d].raw[%d]: %v", i, j, err)
			}
		}
		if len(paths)+len(raws) == 0 {
			return fmt.Errorf("http[%d]: no path or raw request", i)
		}
		total += len(paths) + len(raws)
	}
	if total > maxTemplateRequests {
		return fmt.Errorf("%d requests: a template may send at most %d", total, maxTemplateRequests)
	}
	return nil
}

// checkRaw requires a raw request to go to the target: a path (not an
// absolute URL) on the request line and Host: {{Hostname}} (or {{Host}}).
func checkRaw(raw string) error {
	lines := strings.Split(strings.ReplaceAll(strings.TrimLeft(raw, "\r\n"), "\r\n", "\n"), "\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 {
		return fmt.Errorf("request line %q", lines[0])
	}
	if !strings.HasPrefix(f[1], "/") && !onTarget(f[1]) {
		return fmt.Errorf("request target %q: must be a path on the target", f[1])
	}
	host := ""
	for _, l := range lines[1:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(k), "host") {
			host = strings.TrimSpace(v)
		}
	}
	if host != "{{Hostname}}" && host != "{{Host}}" && host != "{{Hostname}}:{{Port}}" {
		return fmt.Errorf("Host %q: must be {{Hostname}}, the target", host)
	}
	return nil
}

// onTarget reports whether a templated URL is the target's: {{BaseURL}} or
// {{RootURL}}, then nothing, a path or a query ("{{BaseURL}}@other.example"
// would make the target the user part of another host's URL).
func onTarget(u string) bool {
	for _, base := range []string{"{{BaseURL}}", "{{RootURL}}"} {
		if rest, ok := strings.CutPrefix(u, base); ok {
			return rest == "" || rest[0] == '/' || rest[0] == '?'
		}
	}
	return false
}

func stringList(v any) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("want a list of strings")
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, errors.New("want a list of strings")
		}
		out = append(out, s)
	}
	return out, nil
}
