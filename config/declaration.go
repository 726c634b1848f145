package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
	yaml "go.yaml.in/yaml/v3"

	"github.com/vouchdev/vouch/posture"
)

const (
	// maxFileSize bounds what LoadDeclaration reads: a trust.yaml of a
	// thousand controls is a few hundred KiB.
	maxFileSize = 4 << 20
	// maxNodes bounds the YAML tree once aliases are expanded, so that a
	// file of nested aliases cannot make the walks below explode.
	maxNodes = 200_000
)

// declarationKeys are the top-level keys of trust.yaml. Flag keys share the
// viper instance and are left alone.
var declarationKeys = []string{"version", "organization", "scope", "controls", "waivers"}

// envScalars are the keys whose VOUCH_* variable applies even when the file
// does not set them (AutomaticEnv alone only reaches keys the file has).
// version is deliberately absent: CI jobs often set VOUCH_VERSION to pin
// the tool's own version, which must not change the file's format.
var envScalars = []string{
	"organization.name", "organization.website", "organization.security_contact",
	"organization.logo", "organization.color", "organization.description",
}

// LoadDeclaration reads the trust.yaml at path into v (the one viper
// instance from New) and returns the validated declaration with
// Source=path. VOUCH_* environment variables override scalar keys:
// VOUCH_ORGANIZATION_NAME overrides organization.name, and a
// comma-separated VOUCH_SCOPE_WEB replaces scope.web when the file has it.
//
// Problems in the file are returned as Errors, each naming file, line and
// field. A file that cannot be read gives an error wrapping the
// underlying one (errors.Is(err, fs.ErrNotExist) works).
func LoadDeclaration(v *viper.Viper, path string, reg Registry) (posture.Declaration, error) {
	data, err := readFile(path)
	if err != nil {
		return posture.Declaration{}, err
	}
	return ParseDeclaration(v, path, data, reg)
}

// Registry is what each control's verify is validated against: the checks
// vouch has, each a posture.Rule declaring its parameters. cmd/vouch
// passes the registry of package checks (config imports no other stage).
// A kind not in Rules is an unknown check: the zero Registry refuses
// every verify.
type Registry struct {
	Rules []posture.Rule
	// Validate, when set, may refuse a parameter's value that its type
	// accepts but the check cannot use (an algorithm that names nothing).
	Validate func(kind, param string, v posture.Value) error
	// FileFormats validate the content of a file parameter by its Format
	// ("nuclei-template"). A format not listed is only required to be a
	// readable file.
	FileFormats map[string]func(data []byte) error
}

func (r Registry) rule(kind string) (posture.Rule, bool) {
	for _, x := range r.Rules {
		if x.ID == kind {
			return x, true
		}
	}
	return posture.Rule{}, false
}

func (r Registry) kinds() []string {
	out := make([]string, len(r.Rules))
	for i, x := range r.Rules {
		out[i] = x.ID
	}
	slices.Sort(out)
	return out
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("config: %s: %w (write one, or point --config / VOUCH_CONFIG at it)", path, err)
		}
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("config: %s: is a directory, want a trust.yaml file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %s: read: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("config: %s: larger than %d bytes: not a trust.yaml", path, maxFileSize)
	}
	return data, nil
}

// ParseDeclaration is LoadDeclaration for bytes already in memory, such as
// an embedded file; name stands for the file in error messages and becomes
// the declaration's Source.
func ParseDeclaration(v *viper.Viper, name string, data []byte, reg Registry) (posture.Declaration, error) {
	doc, errs := parseYAML(name, data)
	if errs != nil {
		return posture.Declaration{}, errs.err()
	}
	sch, err := loadSchema()
	if err != nil {
		return posture.Declaration{}, err
	}
	shape := &nodeValidator{root: sch, file: name}
	shape.validate(sch, doc, "", doc.Line)
	if len(shape.errs) > 0 {
		// The verify of each control is still checked, from the YAML
		// alone, so that one run reports every problem.
		return posture.Declaration{}, append(shape.errs, verifyErrors(name, doc, shape.errs, reg)...).err()
	}

	v.SetConfigType("yaml")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return posture.Declaration{}, Errors{{File: name, Msg: fmt.Sprintf("read: %v", err)}}.err()
	}
	for _, k := range envScalars {
		if err := v.BindEnv(k); err != nil {
			return posture.Declaration{}, fmt.Errorf("config: bind %s: %w", k, err)
		}
	}
	var raw rawDeclaration
	if err := v.UnmarshalExact(&raw, viper.DecodeHook(decodeHook)); err != nil {
		// The shape check above makes this unreachable from the file
		// alone; an environment override of the wrong shape gets here.
		return posture.Declaration{}, Errors{{File: name, Msg: fmt.Sprintf("apply VOUCH_* environment overrides: %v", err)}}.err()
	}
	c := &checker{file: name, doc: doc, lines: indexLines(doc), reg: reg}
	d := c.declaration(raw)
	if err := c.errs.err(); err != nil {
		return posture.Declaration{}, err
	}
	d.Source = name
	return d, nil
}

// decodeHook adapts viper's values to the raw declaration: viper's YAML
// reader turns an unquoted 2026-10-01 into a time.Time, which becomes the
// text again (checker.date parses it); and an environment variable that
// overrides a list (VOUCH_SCOPE_WEB) is split on commas.
func decodeHook(_, to reflect.Type, data any) (any, error) {
	switch d := data.(type) {
	case time.Time:
		if to.Kind() == reflect.String {
			if d.Equal(d.Truncate(24*time.Hour)) && d.Location() == time.UTC {
				return d.Format(time.DateOnly), nil
			}
			return d.Format(time.RFC3339Nano), nil
		}
	case string:
		if to.Kind() == reflect.Slice && to.Elem().Kind() == reflect.String {
			if strings.TrimSpace(d) == "" {
				return []string{}, nil
			}
			return strings.Split(d, ","), nil
		}
	}
	return data, nil
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses data into its top-level mapping node, or says why it
// cannot: empty, not YAML, several documents, not a mapping, too big once
// aliases are expanded.
func parseYAML(name string, data []byte) (*yaml.Node, Errors) {
	fail := func(line int, format string, args ...any) (*yaml.Node, Errors) {
		return nil, Errors{{File: name, Line: line, Msg: fmt.Sprintf(format, args...)}}
	}
	const emptyMsg = "the file is empty: a trust.yaml declares at least version: 1, organization and controls"
	if len(bytes.TrimSpace(data)) == 0 {
		return fail(0, emptyMsg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return fail(0, emptyMsg)
		}
		return fail(yamlError(err))
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		return fail(next.Line, "a second YAML document (after ---): a trust.yaml is one document")
	} else if !errors.Is(err, io.EOF) {
		return fail(yamlError(err))
	}
	if len(root.Content) == 0 {
		return fail(0, emptyMsg)
	}
	doc := deref(root.Content[0])
	if doc.Kind == yaml.ScalarNode && doc.ShortTag() == "!!null" {
		return fail(0, emptyMsg)
	}
	if doc.Kind != yaml.MappingNode {
		return fail(doc.Line, "want a mapping of %s at the top, got %s", strings.Join(declarationKeys, ", "), typeWords[jsonType(doc)])
	}
	if n := countNodes(doc, map[*yaml.Node]int{}); n > maxNodes {
		return fail(0, "the document expands to more than %d YAML nodes (nested aliases?)", maxNodes)
	}
	return doc, nil
}

// yamlError turns a YAML syntax error into a line and a message.
func yamlError(err error) (int, string, any) {
	msg := err.Error()
	if m := yamlLineErr.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return line, "not valid YAML: %s", m[2]
	}
	return 0, "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: ")
}

// countNodes counts the nodes of n with aliases expanded, in time linear
// in the file's size (each anchored node is counted once and memoised).
func countNodes(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if c, ok := memo[n]; ok {
		return c
	}
	memo[n] = maxNodes + 1 // a cycle counts as too many
	total := 1
	if n.Kind == yaml.AliasNode {
		total += countNodes(n.Alias, memo)
	}
	for _, c := range n.Content {
		total += countNodes(c, memo)
		if total > maxNodes {
			break
		}
	}
	memo[n] = total
	return total
}

// lineIndex maps a field path (controls[2].verify.kind) to its line.
type lineIndex map[string]int

func indexLines(doc *yaml.Node) lineIndex {
	ix := lineIndex{"": doc.Line}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		n = deref(n)
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := deref(n.Content[i])
				child := joinPath(path, k.Value)
				if _, dup := ix[child]; !dup {
					ix[child] = k.Line
				}
				walk(n.Content[i+1], child)
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				child := fmt.Sprintf("%s[%d]", path, i)
				ix[child] = deref(item).Line
				walk(item, child)
			}
		}
	}
	walk(doc, "")
	return ix
}

// line returns the line of path, or of its nearest ancestor in the file
// (a missing key is reported at the mapping that lacks it).
func (ix lineIndex) line(path string) int {
	for {
		if l, ok := ix[path]; ok {
			return l
		}
		if path == "" {
			return 0
		}
		path = parentPath(path)
	}
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// child returns the value of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if deref(n.Content[i]).Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// item returns element i of sequence n, or nil.
func item(n *yaml.Node, i int) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
		return nil
	}
	return deref(n.Content[i])
}

// The declaration as viper decodes it, before validation. Keys are the
// file's keys; viper lower-cases them, and the shape check has already
// refused any the format does not have.
type rawDeclaration struct {
	Version      string          `mapstructure:"version"`
	Organization rawOrganization `mapstructure:"organization"`
	Scope        rawScope        `mapstructure:"scope"`
	Controls     []rawControl    `mapstructure:"controls"`
	Waivers      []rawWaiver     `mapstructure:"waivers"`
	// Flags keys (config, output, fail_on, ...) share the viper instance:
	// they land here and are ignored. Unknown top-level keys of the file
	// itself were refused by the shape check, with their line.
	Other map[string]any `mapstructure:",remain"`
}

type rawOrganization struct {
	Name            string `mapstructure:"name"`
	Website         string `mapstructure:"website"`
	SecurityContact string `mapstructure:"security_contact"`
	Logo            string `mapstructure:"logo"`
	Color           string `mapstructure:"color"`
	Description     string `mapstructure:"description"`
}

type rawScope struct {
	Web           []string `mapstructure:"web"`
	Mail          []string `mapstructure:"mail"`
	DKIMSelectors []string `mapstructure:"dkim_selectors"`
	MailSenders   []string `mapstructure:"mail_senders"`
	Exclude       []any    `mapstructure:"exclude"` // a string or {address, reason}
	Passive       []string `mapstructure:"passive"`
	Pages         []string `mapstructure:"pages"`
}

type rawControl struct {
	ID              string         `mapstructure:"id"`
	Section         any            `mapstructure:"section"` // a heading, or a list of nested headings
	Statement       string         `mapstructure:"statement"`
	Verify          map[string]any `mapstructure:"verify"`
	Attested        *rawAttested   `mapstructure:"attested"`
	Mappings        []string       `mapstructure:"mappings"`
	Visibility      string         `mapstructure:"visibility"`
	Severity        string         `mapstructure:"severity"`
	OnContradiction string         `mapstructure:"on_contradiction"`
	Targets         []string       `mapstructure:"targets"`
}

type rawAttested struct {
	By       string `mapstructure:"by"`
	Reviewed string `mapstructure:"reviewed"`
	Evidence string `mapstructure:"evidence"`
}

type rawWaiver struct {
	Control  string `mapstructure:"control"`
	Target   string `mapstructure:"target"`
	Reason   string `mapstructure:"reason"`
	Approver string `mapstructure:"approver"`
	Expires  string `mapstructure:"expires"`
}

// checker validates the decoded values and collects every problem.
type checker struct {
	file  string
	doc   *yaml.Node
	lines lineIndex
	reg   Registry
	errs  Errors
}

func (c *checker) errorf(path, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Line: c.lines.line(path), Field: path, Msg: fmt.Sprintf(format, args...)})
}

var (
	controlIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	kindRe      = regexp.MustCompile(`^[a-z0-9]+(\.[a-z0-9_]+)*$`)
	mappingRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*:[^\s]+$`)
	colorRe     = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	selectorRe  = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)
	labelRe     = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

func (c *checker) declaration(raw rawDeclaration) posture.Declaration {
	var d posture.Declaration
	// version comes from the file only (see envScalars).
	if vn := child(c.doc, "version"); vn == nil {
		c.errorf("version", "required: write version: 1 at the top")
	} else if vn.Value != "1" {
		c.errorf("version", "unsupported version %q: this vouch reads version 1", vn.Value)
	}
	d.Version = "1"
	d.Organization = c.organization(raw.Organization)
	d.Scope = c.scope(raw.Scope)
	d.Controls = c.controls(raw.Controls, d.Scope)
	d.Waivers = c.waivers(raw.Waivers, d.Controls, d.Scope)
	return d
}

func (c *checker) organization(o rawOrganization) posture.Organization {
	out := posture.Organization{
		Name:            strings.TrimSpace(o.Name),
		Website:         strings.TrimSpace(o.Website),
		SecurityContact: strings.TrimSpace(o.SecurityContact),
		Logo:            strings.TrimSpace(o.Logo),
		Color:           strings.TrimSpace(o.Color),
		Description:     strings.TrimSpace(o.Description),
	}
	if out.Name == "" {
		c.errorf("organization.name", "required: the company's name")
	}
	if out.Website != "" {
		if msg := webURLProblem(out.Website); msg != "" {
			c.errorf("organization.website", "%s", msg)
		}
	}
	if sc := out.SecurityContact; sc != "" {
		if addr, ok := strings.CutPrefix(sc, "mailto:"); ok {
			if _, err := mailAddress(addr); err != nil {
				c.errorf("organization.security_contact", "%q: %v", sc, err)
			}
		} else if !strings.HasPrefix(strings.ToLower(sc), "https://") && !strings.HasPrefix(strings.ToLower(sc), "http://") {
			hint := ""
			if strings.Contains(sc, "@") {
				hint = fmt.Sprintf(" (write mailto:%s)", sc)
			}
			c.errorf("organization.security_contact", "%q: want a mailto: or https:// URL%s", sc, hint)
		} else if msg := webURLProblem(sc); msg != "" {
			c.errorf("organization.security_contact", "%s", msg)
		}
	}
	if out.Color != "" && !colorRe.MatchString(out.Color) {
		c.errorf("organization.color", "%q: want a colour #rrggbb, e.g. #1f6feb", out.Color)
	}
	return out
}

// mailAddress checks an e-mail address loosely: local@domain.
func mailAddress(addr string) (string, error) {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || strings.ContainsAny(local, " <>") {
		return "", errors.New("want mailto:name@domain")
	}
	if msg := domainProblem(domain); msg != "" {
		return "", errors.New(msg)
	}
	return addr, nil
}

// webURLProblem says what is wrong with a web target, or "".
func webURLProblem(s string) string {
	if !strings.Contains(s, "://") {
		return fmt.Sprintf("%q: want an absolute URL such as https://%s", s, strings.TrimLeft(s, "/"))
	}
	u, err := url.Parse(s)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Sprintf("%q: not a URL: %v", s, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q: want an https:// (or http://) URL, got scheme %s", s, u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%q: the URL has no host", s)
	case u.User != nil:
		return fmt.Sprintf("%q: a URL with credentials (user@) is not a target", s)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Sprintf("%q: want an origin with an optional path, without ?query or #fragment", s)
	case strings.HasSuffix(u.Host, ":"):
		return fmt.Sprintf("%q: an empty port after ':': give a port from 1 to 65535, or none for the scheme's default", s)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || p[0] == '0' {
			return fmt.Sprintf("%q: port %s: want a TCP port from 1 to 65535 (RFC 3986 §3.2.3, RFC 793)", s, p)
		}
	}
	if h := u.Hostname(); net.ParseIP(h) == nil {
		if msg := hostProblem(h); msg != "" {
			return fmt.Sprintf("%q: %s", s, msg)
		}
	}
	return ""
}

// hostProblem checks a host name (one label allowed: localhost).
func hostProblem(h string) string {
	h = strings.TrimSuffix(h, ".")
	if len(h) > 253 {
		return "host name longer than 253 characters"
	}
	for _, l := range strings.Split(h, ".") {
		if !labelRe.MatchString(l) {
			return fmt.Sprintf("%q is not a valid host name label", l)
		}
	}
	return ""
}

// domainProblem says what is wrong with a mail domain, or "".
func domainProblem(s string) string {
	switch {
	case strings.Contains(s, "://"):
		u, err := url.Parse(s)
		if err == nil && u.Hostname() != "" {
			return fmt.Sprintf("%q: want a domain name, not a URL: write %s", s, u.Hostname())
		}
		return fmt.Sprintf("%q: want a domain name, not a URL", s)
	case strings.Contains(s, "@"):
		return fmt.Sprintf("%q: want a domain name, not an address: write %s", s, s[strings.LastIndex(s, "@")+1:])
	case net.ParseIP(strings.Trim(s, "[]")) != nil:
		return fmt.Sprintf("%q: want a domain name, not an IP address", s)
	case !strings.Contains(strings.TrimSuffix(s, "."), "."):
		return fmt.Sprintf("%q: want a domain name such as %s.example", s, s)
	}
	if msg := hostProblem(s); msg != "" {
		return fmt.Sprintf("%q: %s", s, msg)
	}
	return ""
}

func (c *checker) scope(s rawScope) posture.Scope {
	out := posture.Scope{
		Web:           nilIfEmpty(trimAll(s.Web)),
		Mail:          nilIfEmpty(trimAll(s.Mail)),
		DKIMSelectors: nilIfEmpty(trimAll(s.DKIMSelectors)),
		MailSenders:   nilIfEmpty(trimAll(s.MailSenders)),
		Passive:       nilIfEmpty(trimAll(s.Passive)),
		Pages:         nilIfEmpty(trimAll(s.Pages)),
	}
	seen := map[string]string{}
	dup := func(path, addr string) bool {
		if first, ok := seen[addr]; ok {
			c.errorf(path, "%q is already listed at %s", addr, first)
			return true
		}
		seen[addr] = path
		return false
	}
	for i, w := range out.Web {
		path := fmt.Sprintf("scope.web[%d]", i)
		if msg := webURLProblem(w); msg != "" {
			c.errorf(path, "%s", msg)
		}
		dup(path, w)
	}
	for i, m := range out.Mail {
		path := fmt.Sprintf("scope.mail[%d]", i)
		if msg := domainProblem(m); msg != "" {
			c.errorf(path, "%s", msg)
		}
		dup(path, m)
	}
	for i, sel := range out.DKIMSelectors {
		if !selectorRe.MatchString(sel) {
			c.errorf(fmt.Sprintf("scope.dkim_selectors[%d]", i), "%q: want a DKIM selector such as s1 or google", sel)
		}
	}
	for i, ip := range out.MailSenders {
		if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
			c.errorf(fmt.Sprintf("scope.mail_senders[%d]", i), "%q: want an IPv4 or IPv6 address such as 192.0.2.25", ip)
		}
	}
	for i, e := range s.Exclude {
		path := fmt.Sprintf("scope.exclude[%d]", i)
		var ex posture.Exclusion
		switch e := e.(type) {
		case string:
			ex.Address = strings.TrimSpace(e)
		case map[string]any:
			ex.Address = strings.TrimSpace(fmt.Sprint(valueOr(e["address"], "")))
			ex.Reason = strings.TrimSpace(fmt.Sprint(valueOr(e["reason"], "")))
			path += ".address"
		default:
			c.errorf(path, "want a URL or domain, or {address, reason}")
			continue
		}
		if ex.Address == "" {
			c.errorf(path, "required: the URL or domain kept out of scope")
			continue
		}
		if strings.Contains(ex.Address, "://") {
			if msg := webURLProblem(ex.Address); msg != "" {
				c.errorf(path, "%s", msg)
			}
		} else if msg := domainProblem(ex.Address); msg != "" {
			c.errorf(path, "%s", msg)
		}
		out.Exclude = append(out.Exclude, ex)
	}
	web := setOf(out.Web)
	for i, p := range out.Passive {
		if !web[p] {
			c.errorf(fmt.Sprintf("scope.passive[%d]", i), "%q is not in scope.web%s", p, didYouMean(p, out.Web))
		}
	}
	c.pages(out)
	return out
}

// MaxPagesPerOrigin is how many scope.pages one web origin may list: the
// HTTP scan fetches no more, to stay polite.
const MaxPagesPerOrigin = 5

// pages checks scope.pages: https:// URLs, each on the origin of a
// scope.web entry, listed once, at most MaxPagesPerOrigin per origin.
func (c *checker) pages(s posture.Scope) {
	origins := map[string]bool{}
	for _, w := range s.Web {
		if o := originKey(w); o != "" {
			origins[o] = true
		}
	}
	seen := map[string]string{}
	perOrigin := map[string]int{}
	for i, p := range s.Pages {
		path := fmt.Sprintf("scope.pages[%d]", i)
		if msg := webURLProblem(p); msg != "" {
			c.errorf(path, "%s", msg)
			continue
		}
		if !strings.HasPrefix(strings.ToLower(p), "https://") {
			c.errorf(path, "%q: want an https:// URL (pages are fetched over HTTPS)", p)
			continue
		}
		o := originKey(p)
		if !origins[o] {
			c.errorf(path, "%q is not on an origin of scope.web%s", p, didYouMean(p, s.Web))
			continue
		}
		if first, ok := seen[p]; ok {
			c.errorf(path, "%q is already listed at %s", p, first)
			continue
		}
		seen[p] = path
		if perOrigin[o]++; perOrigin[o] == MaxPagesPerOrigin+1 {
			c.errorf(path, "more than %d pages on origin %s: the scan fetches at most %d per origin", MaxPagesPerOrigin, o, MaxPagesPerOrigin)
		}
	}
}

// originKey is scheme://host:port of a URL, lower-cased, with the
// scheme's default port made explicit; empty when s is not a URL.
func originKey(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.TrimSuffix(strings.ToLower(u.Hostname()), "."), port)
}

func valueOr(v, def any) any {
	if v == nil {
		return def
	}
	return v
}

func didYouMean(s string, candidates []string) string {
	if m := suggest(s, candidates); m != "" {
		return fmt.Sprintf(" (did you mean %q?)", m)
	}
	return ""
}

// section reads a control's section: one heading, or a list of nested
// headings, outermost first (a page's "Data Encryption" › "Encryption in
// Transit").
func (c *checker) section(p string, v any) (string, []string) {
	var parts []string
	switch x := v.(type) {
	case nil:
		c.errorf(p, "required: the heading the control is shown under, or a list of nested headings")
		return "", nil
	case string:
		parts = []string{x}
	case []any:
		if len(x) == 0 {
			c.errorf(p, "an empty list: give the heading, or the nested headings outermost first")
			return "", nil
		}
		for j, e := range x {
			s, ok := e.(string)
			if !ok {
				c.errorf(fmt.Sprintf("%s[%d]", p, j), "want a heading (a string), got %T", e)
				return "", nil
			}
			parts = append(parts, s)
		}
	default:
		c.errorf(p, "want a heading (a string) or a list of nested headings, got %T", v)
		return "", nil
	}
	if len(parts) > posture.MaxSectionDepth {
		c.errorf(p, "%d levels of headings: at most %d nest", len(parts), posture.MaxSectionDepth)
		return "", nil
	}
	for j := range parts {
		parts[j] = strings.TrimSpace(parts[j])
		at := p
		if len(parts) > 1 {
			at = fmt.Sprintf("%s[%d]", p, j)
		}
		if parts[j] == "" {
			c.errorf(at, "required: the heading the control is shown under")
			return "", nil
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return strings.Join(parts, posture.SectionSep), parts
}

func (c *checker) controls(raw []rawControl, scope posture.Scope) []posture.Control {
	if len(raw) == 0 {
		c.errorf("controls", "required: at least one control")
		return nil
	}
	inScope := setOf(append(append([]string{}, scope.Web...), scope.Mail...))
	web := setOf(scope.Web)
	firstID := map[string]string{}
	out := make([]posture.Control, 0, len(raw))
	for i, r := range raw {
		p := fmt.Sprintf("controls[%d]", i)
		ctl := posture.Control{
			ID:              strings.TrimSpace(r.ID),
			Statement:       strings.TrimSpace(r.Statement),
			Mappings:        nilIfEmpty(trimAll(r.Mappings)),
			Visibility:      posture.Visibility(strings.TrimSpace(r.Visibility)),
			OnContradiction: posture.OnContradiction(strings.TrimSpace(r.OnContradiction)),
			Targets:         nilIfEmpty(trimAll(r.Targets)),
		}
		switch {
		case ctl.ID == "":
			c.errorf(p+".id", "required: a stable id such as tls-modern")
		case !controlIDRe.MatchString(ctl.ID):
			c.errorf(p+".id", "%q: want lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", ctl.ID)
		default:
			if first, dup := firstID[ctl.ID]; dup {
				c.errorf(p+".id", "duplicate control id %q (first at %s, line %d)", ctl.ID, first, c.lines.line(first))
			} else {
				firstID[ctl.ID] = p + ".id"
			}
		}
		ctl.Section, ctl.SectionPath = c.section(p+".section", r.Section)
		if ctl.Statement == "" {
			c.errorf(p+".statement", "required: the claim as published")
		}
		switch {
		case r.Verify != nil && r.Attested != nil:
			c.errorf(p, "has both verify and attested: a claim is either checked (verify) or attested, keep one")
		case r.Verify == nil && r.Attested == nil:
			c.errorf(p, "needs verify (a check) or attested (by, reviewed)")
		case r.Verify != nil:
			ctl.Verify = c.verify(i, r.Verify)
		default:
			ctl.Attested = c.attested(p+".attested", *r.Attested)
		}
		for j, m := range ctl.Mappings {
			if !mappingRe.MatchString(m) {
				c.errorf(fmt.Sprintf("%s.mappings[%d]", p, j), "%q: want FRAMEWORK:ID, e.g. SOC2:CC6.7 or ISO27001:A.8.24", m)
			}
		}
		switch ctl.Visibility {
		case "":
			ctl.Visibility = posture.Public
		case posture.Public, posture.Internal:
		default:
			c.errorf(p+".visibility", "%q: want public or internal", string(ctl.Visibility))
		}
		if s := strings.TrimSpace(r.Severity); s != "" {
			sev, err := posture.ParseSeverity(s)
			if err != nil {
				c.errorf(p+".severity", "%q: want info, low, medium, high or critical", s)
			}
			ctl.Severity = sev
		}
		switch ctl.OnContradiction {
		case "":
			ctl.OnContradiction = posture.ShowUnderReview
		case posture.ShowUnderReview, posture.HideControl:
		default:
			c.errorf(p+".on_contradiction", "%q: want under_review or hide", string(ctl.OnContradiction))
		}
		var judges map[posture.TargetKind]bool
		if ctl.Verify != nil {
			if rule, ok := c.reg.rule(ctl.Verify.Kind); ok {
				judges = map[posture.TargetKind]bool{}
				for _, n := range rule.Needs {
					judges[n.Targets] = true
				}
			}
		}
		for j, t := range ctl.Targets {
			field := fmt.Sprintf("%s.targets[%d]", p, j)
			switch {
			case !inScope[t]:
				c.errorf(field, "%q is not in scope.web or scope.mail%s", t, didYouMean(t, sortedKeys(inScope)))
			case judges == nil:
			case web[t] && !judges[posture.TargetWeb]:
				// A control limited to targets its check never judges
				// would be not_applicable: unchecked, and silent.
				c.errorf(field, "%q is a web target, and %s judges only mail domains", t, ctl.Verify.Kind)
			case !web[t] && !judges[posture.TargetMail]:
				c.errorf(field, "%q is a mail domain, and %s judges only web targets", t, ctl.Verify.Kind)
			}
		}
		out = append(out, ctl)
	}
	return out
}

// verify reads controls[i].verify: kind, and every other key as a
// parameter, and validates them against the check's declaration in the
// Registry (the checks vouch has): an unknown kind or parameter (with the
// closest known name), a missing required one, a value of the wrong type,
// out of range or not in its enum, a file that is not there. Parameters
// are taken from the YAML text (min: 1.10 stays "1.10", where a decoded
// number would become 1.1); a YAML list becomes its items joined by
// commas; environment overrides do not reach into verify.
func (c *checker) verify(i int, raw map[string]any) *posture.Verify {
	p := fmt.Sprintf("controls[%d].verify", i)
	node := child(item(child(c.doc, "controls"), i), "verify")
	kind := valueOr(raw["kind"], "")
	if node != nil && node.Kind == yaml.MappingNode {
		// From the file, not viper's map, whose keys are folded to lower
		// case: "Kind:" is then an unknown parameter, not a second kind.
		kind = ""
		if k := child(node, "kind"); k != nil {
			kind = k.Value
		}
	}
	v := &posture.Verify{Kind: strings.TrimSpace(fmt.Sprint(kind))}
	switch {
	case v.Kind == "":
		c.errorf(p+".kind", "required: the check, e.g. tls.min_version (vouch checks lists them)")
	case !kindRe.MatchString(v.Kind):
		c.errorf(p+".kind", "%q: want a check name such as tls.min_version (vouch checks lists them)", v.Kind)
	}
	if node == nil || node.Kind != yaml.MappingNode {
		return v
	}
	var keys, lists []string
	for j := 0; j+1 < len(node.Content); j += 2 {
		// Parameter names are lower case, as the schema says: MIN_POLICY
		// is an unknown parameter (with min_policy as the hint).
		key := deref(node.Content[j]).Value
		if key == "kind" {
			continue
		}
		if _, dup := v.Params[key]; dup {
			c.errorf(p+"."+key, "parameter %q given twice", key)
			continue
		}
		text, ok := paramText(deref(node.Content[j+1]))
		if !ok {
			c.errorf(p+"."+key, "want a value or a list of values, got a mapping")
			continue
		}
		if v.Params == nil {
			v.Params = map[string]string{}
		}
		v.Params[key] = text
		keys = append(keys, key)
		if deref(node.Content[j+1]).Kind == yaml.SequenceNode {
			lists = append(lists, key)
		}
	}
	if v.Kind == "" || !kindRe.MatchString(v.Kind) {
		return v
	}
	rule, ok := c.reg.rule(v.Kind)
	if !ok {
		kinds := c.reg.kinds()
		if s := suggest(v.Kind, kinds); s != "" {
			c.errorf(p+".kind", "unknown check %q (did you mean %q?)", v.Kind, s)
		} else {
			c.errorf(p+".kind", "unknown check %q (known checks: %s)", v.Kind, strings.Join(kinds, ", "))
		}
		return v
	}
	params := maps.Clone(v.Params)
	var refused []string
	for _, d := range rule.Params {
		if d.Type != posture.ParamList && slices.Contains(lists, d.Name) {
			c.errorf(p+"."+d.Name, "want one value (%s), got a list", d.Want())
			delete(params, d.Name)
			refused = append(refused, d.Name)
		}
	}
	var validate func(string, posture.Value) error
	if c.reg.Validate != nil {
		validate = func(name string, val posture.Value) error { return c.reg.Validate(v.Kind, name, val) }
	}
	vals, errs := posture.ParseParams(rule.Params, params, validate)
	var names []string
	for _, d := range rule.Params {
		names = append(names, d.Name)
	}
	for _, e := range errs {
		switch {
		case e.Param != "" && slices.Contains(refused, e.Param):
		case e.Param == "":
			c.errorf(p+".kind", "%s", e.Msg)
		case e.Msg == posture.MsgUnknownParam:
			known := "it takes no parameters"
			if len(names) > 0 {
				known = "it takes " + strings.Join(names, ", ")
			}
			msg := fmt.Sprintf("unknown parameter of %s", v.Kind)
			if s := suggest(e.Param, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += " (" + known + ")"
			}
			c.errorf(p+"."+e.Param, "%s", msg)
		case !slices.Contains(keys, e.Param):
			// missing and required: reported at the verify mapping.
			c.errorf(p+"."+e.Param, "%s", e.Msg)
		default:
			c.errorf(p+"."+e.Param, "%s", e.Msg)
		}
	}
	if len(errs) > 0 || len(refused) > 0 {
		return v
	}
	for _, d := range rule.Params {
		val, ok := vals[d.Name]
		if d.Type != posture.ParamFile || !ok {
			continue
		}
		if msg := c.fileProblem(val.Text, d.Format); msg != "" {
			c.errorf(p+"."+d.Name, "%s", msg)
		}
	}
	return v
}

// verifyErrors checks the verify of every control in doc, for a file whose
// shape is wrong elsewhere; a verify the shape check already found wrong is
// left to that error.
func verifyErrors(name string, doc *yaml.Node, shapeErrs Errors, reg Registry) Errors {
	named := map[string]bool{}
	for _, e := range shapeErrs {
		named[e.Field] = true
	}
	c := &checker{file: name, doc: doc, lines: indexLines(doc), reg: reg}
	controls := child(doc, "controls")
	if controls == nil || controls.Kind != yaml.SequenceNode {
		return nil
	}
	for i := range controls.Content {
		v := child(item(controls, i), "verify")
		if v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		raw := map[string]any{}
		if k := child(v, "kind"); k != nil && k.Kind == yaml.ScalarNode {
			raw["kind"] = k.Value
		}
		c.verify(i, raw)
	}
	var out Errors
	for _, e := range c.errs {
		head, _, _ := strings.Cut(e.Field, ".verify")
		vp := head + ".verify"
		blocked := false
		for f := range named {
			if f == vp || strings.HasPrefix(f, vp+".") {
				blocked = true
			}
		}
		if !blocked {
			out = append(out, e)
		}
	}
	return out
}

// paramText is the text of a parameter's value: a scalar's text, or a
// list's items joined by commas. A mapping has none.
func paramText(n *yaml.Node) (string, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, true
	case yaml.SequenceNode:
		items := make([]string, 0, len(n.Content))
		for _, it := range n.Content {
			it = deref(it)
			if it.Kind != yaml.ScalarNode {
				return "", false
			}
			items = append(items, it.Value)
		}
		return strings.Join(items, ","), true
	}
	return "", false
}

// fileProblem says what is wrong with a file parameter's path, relative
// to the trust.yaml's directory, or "".
func (c *checker) fileProblem(path, format string) string {
	full := path
	if !filepath.IsAbs(full) {
		full = filepath.Join(filepath.Dir(c.file), path)
	}
	st, err := os.Stat(full)
	switch {
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Sprintf("%s: %v (paths are relative to the trust.yaml)", full, err)
	case st.IsDir():
		return fmt.Sprintf("%s is a directory, want a file", full)
	case st.Size() > maxFileSize:
		return fmt.Sprintf("%s is larger than %d bytes", full, maxFileSize)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return fmt.Sprintf("%s: %v", full, err)
	}
	if f := c.reg.FileFormats[format]; f != nil {
		if err := f(data); err != nil {
			return fmt.Sprintf("%s: not a valid %s: %v", path, format, err)
		}
	}
	return ""
}

func (c *checker) attested(p string, r rawAttested) *posture.Attestation {
	a := &posture.Attestation{By: strings.TrimSpace(r.By), Evidence: strings.TrimSpace(r.Evidence)}
	if a.By == "" {
		c.errorf(p+".by", "required: who vouches for the claim (a role or a name)")
	}
	a.Reviewed = c.date(p+".reviewed", r.Reviewed, "when the claim was last reviewed")
	return a
}

// date parses YYYY-MM-DD as midnight UTC.
func (c *checker) date(path, s, what string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		c.errorf(path, "required: %s, YYYY-MM-DD", what)
		return time.Time{}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		var pe *time.ParseError
		why := ""
		if errors.As(err, &pe) && pe.Message != "" {
			why = " (" + strings.TrimPrefix(pe.Message, ": ") + ")"
		}
		c.errorf(path, "bad date %q: want YYYY-MM-DD%s", s, why)
		return time.Time{}
	}
	return t.UTC()
}

func (c *checker) waivers(raw []rawWaiver, controls []posture.Control, scope posture.Scope) []posture.Waiver {
	ids := make([]string, 0, len(controls))
	for _, ctl := range controls {
		ids = append(ids, ctl.ID)
	}
	known := setOf(ids)
	targets := append(append([]string{}, scope.Web...), scope.Mail...)
	inScope := setOf(targets)
	var out []posture.Waiver
	for i, r := range raw {
		p := fmt.Sprintf("waivers[%d]", i)
		w := posture.Waiver{
			Control:  strings.TrimSpace(r.Control),
			Target:   strings.TrimSpace(r.Target),
			Reason:   strings.TrimSpace(r.Reason),
			Approver: strings.TrimSpace(r.Approver),
		}
		switch {
		case w.Control == "":
			c.errorf(p+".control", "required: the id of the waived control")
		case !known[w.Control]:
			c.errorf(p+".control", "no control has id %q%s", w.Control, didYouMean(w.Control, ids))
		}
		if w.Target != "" && !inScope[w.Target] {
			c.errorf(p+".target", "%q is not in scope.web or scope.mail%s", w.Target, didYouMean(w.Target, targets))
		}
		if w.Reason == "" {
			c.errorf(p+".reason", "required: why the gap is accepted")
		}
		if w.Approver == "" {
			c.errorf(p+".approver", "required: who accepted the gap")
		}
		w.Expires = c.date(p+".expires", r.Expires, "the day the waiver stops applying")
		out = append(out, w)
	}
	return out
}

func trimAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

func nilIfEmpty(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	return ss
}

func setOf(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}
