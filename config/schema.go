package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// The JSON Schema of trust.yaml's shape, which the loader validates
// against before it reads values. Its verify allows any parameter: the
// loader checks those against the registry of checks. Editors read
// schema/trust.schema.json, generated from this one with a branch per
// verify kind by go generate ./internal/derive.
//
//go:embed trust.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of trust.yaml.
func Schema() []byte { return bytes.Clone(schemaJSON) }

// loadSchema parses the embedded schema once. It is data, not a
// dependency: every caller sees the same immutable value.
var loadSchema = sync.OnceValues(func() (*jsonSchema, error) {
	return parseSchema(schemaJSON)
})

// jsonSchema is the subset of JSON Schema 2020-12 that trust.schema.json
// uses. parseSchema refuses any other keyword, so nothing in the schema is
// silently ignored by the validator below.
type jsonSchema struct {
	Schema      string                 `json:"$schema"`
	Ref         string                 `json:"$ref"`
	Defs        map[string]*jsonSchema `json:"$defs"`
	Title       string                 `json:"title"`
	Description string                 `json:"description"`
	Default     any                    `json:"default"`

	Type                 typeSet                `json:"type"`
	Properties           map[string]*jsonSchema `json:"properties"`
	AdditionalProperties *boolOrSchema          `json:"additionalProperties"`
	Required             []string               `json:"required"`
	Items                *jsonSchema            `json:"items"`
	MinItems             *int                   `json:"minItems"`
	Enum                 []json.RawMessage      `json:"enum"`
	Const                json.RawMessage        `json:"const"`
	Pattern              string                 `json:"pattern"`
	MinLength            *int                   `json:"minLength"`
	OneOf                []*jsonSchema          `json:"oneOf"`

	pattern *regexp.Regexp
}

// typeSet is "type": a name or a list of names.
type typeSet []string

func (t *typeSet) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*t = typeSet{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("type: want a name or a list of names: %w", err)
	}
	*t = many
	return nil
}

// accepts reports whether a value of JSON type kind satisfies t.
func (t typeSet) accepts(kind string) bool {
	if len(t) == 0 {
		return true
	}
	for _, x := range t {
		if x == kind || (x == "number" && kind == "integer") {
			return true
		}
	}
	return false
}

// boolOrSchema is additionalProperties: false, true or a schema.
type boolOrSchema struct {
	Allowed bool
	Schema  *jsonSchema
}

func (b *boolOrSchema) UnmarshalJSON(data []byte) error {
	if err := json.Unmarshal(data, &b.Allowed); err == nil {
		return nil
	}
	b.Allowed = true
	return strictJSON(data, &b.Schema)
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func parseSchema(data []byte) (*jsonSchema, error) {
	var s jsonSchema
	if err := strictJSON(data, &s); err != nil {
		return nil, fmt.Errorf("config: trust.schema.json: %w", err)
	}
	var compile func(*jsonSchema) error
	compile = func(x *jsonSchema) error {
		if x == nil {
			return nil
		}
		if x.Ref != "" {
			name, ok := strings.CutPrefix(x.Ref, "#/$defs/")
			if !ok || s.Defs[name] == nil {
				return fmt.Errorf("config: trust.schema.json: unresolvable $ref %q", x.Ref)
			}
			annotations := jsonSchema{Ref: x.Ref, Description: x.Description, Title: x.Title, Default: x.Default}
			if !reflect.DeepEqual(*x, annotations) {
				return fmt.Errorf("config: trust.schema.json: $ref %q has sibling keywords other than annotations", x.Ref)
			}
		}
		if x.Pattern != "" {
			re, err := regexp.Compile(x.Pattern)
			if err != nil {
				return fmt.Errorf("config: trust.schema.json: pattern %q: %w", x.Pattern, err)
			}
			x.pattern = re
		}
		subs := []*jsonSchema{x.Items}
		subs = append(subs, x.OneOf...)
		for _, k := range sortedKeys(x.Properties) {
			subs = append(subs, x.Properties[k])
		}
		for _, k := range sortedKeys(x.Defs) {
			subs = append(subs, x.Defs[k])
		}
		if x.AdditionalProperties != nil {
			subs = append(subs, x.AdditionalProperties.Schema)
		}
		for _, sub := range subs {
			if err := compile(sub); err != nil {
				return err
			}
		}
		return nil
	}
	if err := compile(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nodeValidator checks a YAML tree against the schema, with the line of
// every problem. In shape mode it checks only the shape of the tree (types,
// unknown and duplicate keys); the loader checks values itself afterwards,
// on the values environment overrides may have changed, with messages
// written for people. In full mode it also checks required, enum, const,
// pattern, minLength and minItems: the tests use that to prove the schema
// editors see agrees with the loader.
type nodeValidator struct {
	root *jsonSchema
	file string
	full bool
	errs Errors
}

func (v *nodeValidator) errorf(line int, path, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

// deref follows YAML aliases (*name) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// jsonType names the JSON type a YAML node decodes to. Timestamps count as
// strings: dates are written unquoted (2026-10-01) and YAML 1.2, which
// editors speak, has no timestamp type.
func jsonType(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "object"
	case yaml.SequenceNode:
		return "array"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int":
			return "integer"
		case "!!float":
			return "number"
		case "!!bool":
			return "boolean"
		case "!!null":
			return "null"
		}
		return "string"
	}
	return "unknown"
}

// typeWords says a JSON type the way a YAML author thinks of it.
var typeWords = map[string]string{
	"object":  "a mapping (key: value)",
	"array":   "a list",
	"string":  "a string",
	"integer": "an integer",
	"number":  "a number",
	"boolean": "true or false",
	"null":    "nothing",
	"unknown": "an unsupported YAML node",
}

func describeTypes(t typeSet) string {
	words := make([]string, len(t))
	for i, x := range t {
		words[i] = typeWords[x]
	}
	return orList(words)
}

func orList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func (v *nodeValidator) resolve(s *jsonSchema) *jsonSchema {
	if s.Ref == "" {
		return s
	}
	return v.root.Defs[strings.TrimPrefix(s.Ref, "#/$defs/")]
}

// validate checks node n at path against s. at is the line problems with
// n itself are reported on: the line of its key, for a value in a mapping
// (a block list starts on the line after its key).
func (v *nodeValidator) validate(s *jsonSchema, n *yaml.Node, path string, at int) {
	n = deref(n)
	if s == nil || n == nil {
		return
	}
	if s.Ref != "" {
		// parseSchema allows only annotations beside a $ref.
		v.validate(v.resolve(s), n, path, at)
		return
	}
	kind := jsonType(n)
	if !s.Type.accepts(kind) {
		got := typeWords[kind]
		if kind == "null" {
			got = "nothing (an empty value)"
		}
		hint := ""
		if s.Type.accepts("string") && n.Kind == yaml.ScalarNode && kind != "null" {
			hint = fmt.Sprintf(" (quote it: %q)", n.Value)
		}
		v.errorf(at, path, "want %s, got %s%s", describeTypes(s.Type), got, hint)
		return
	}
	if len(s.OneOf) > 0 {
		v.oneOf(s, n, path, at)
	}
	switch n.Kind {
	case yaml.MappingNode:
		if s.Properties != nil || s.AdditionalProperties != nil || len(s.Required) > 0 {
			v.object(s, n, path, at)
		}
	case yaml.SequenceNode:
		if v.full && s.MinItems != nil && len(n.Content) < *s.MinItems {
			v.errorf(at, path, "want at least %d item(s), got %d", *s.MinItems, len(n.Content))
		}
		if s.Items != nil {
			for i, item := range n.Content {
				v.validate(s.Items, item, fmt.Sprintf("%s[%d]", path, i), deref(item).Line)
			}
		}
	case yaml.ScalarNode:
		if v.full {
			v.scalar(s, n, path, at)
		}
	}
}

// oneOf validates n against the alternatives. When the node's type picks
// exactly one alternative (a plain string or a mapping), that one's errors
// are reported as they are; otherwise exactly one must match.
func (v *nodeValidator) oneOf(s *jsonSchema, n *yaml.Node, path string, at int) {
	kind := jsonType(n)
	var byType []*jsonSchema
	for _, alt := range s.OneOf {
		if v.resolve(alt).Type.accepts(kind) {
			byType = append(byType, alt)
		}
	}
	if len(byType) == 0 {
		var want typeSet
		for _, alt := range s.OneOf {
			want = append(want, v.resolve(alt).Type...)
		}
		v.errorf(at, path, "want %s, got %s", describeTypes(want), typeWords[kind])
		return
	}
	if len(byType) == 1 {
		v.validate(byType[0], n, path, at)
		return
	}
	if !v.full {
		// Alternatives of one type differ in values (which keys are
		// present): the loader checks those with its own messages.
		return
	}
	matched := 0
	for _, alt := range byType {
		sub := &nodeValidator{root: v.root, file: v.file, full: v.full}
		sub.validate(alt, n, path, at)
		if len(sub.errs) == 0 {
			matched++
		}
	}
	if matched != 1 {
		var names []string
		for _, alt := range byType {
			names = append(names, strings.Join(v.resolve(alt).Required, "+"))
		}
		v.errorf(at, path, "want exactly one of %s, got %d", orList(names), matched)
	}
}

func (v *nodeValidator) object(s *jsonSchema, n *yaml.Node, path string, at int) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode || jsonType(k) == "null" {
			v.errorf(k.Line, path, "a key must be a plain name, got %s", typeWords[jsonType(k)])
			continue
		}
		name := k.Value
		child := joinPath(path, name)
		if name == "<<" {
			v.errorf(k.Line, child, "merge keys (<<) are not supported: write the keys out")
			continue
		}
		if first, dup := seen[name]; dup {
			v.errorf(k.Line, child, "duplicate key %q (first at line %d)", name, first)
			continue
		}
		seen[name] = k.Line
		if p, ok := s.Properties[name]; ok {
			v.validate(p, val, child, k.Line)
			continue
		}
		ap := s.AdditionalProperties
		switch {
		case ap == nil || (ap.Allowed && ap.Schema == nil):
			// any value
		case !ap.Allowed:
			v.errs = append(v.errs, &Error{File: v.file, Line: k.Line, Field: child, Msg: unknownKeyMsg(name, sortedKeys(s.Properties))})
		default:
			v.validate(ap.Schema, val, child, k.Line)
		}
	}
	if v.full {
		for _, r := range s.Required {
			if _, ok := seen[r]; !ok {
				v.errorf(at, joinPath(path, r), "required")
			}
		}
	}
}

func unknownKeyMsg(name string, known []string) string {
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("unknown key %q (did you mean %q?)", name, s)
	}
	return fmt.Sprintf("unknown key %q (want one of: %s)", name, strings.Join(known, ", "))
}

func (v *nodeValidator) scalar(s *jsonSchema, n *yaml.Node, path string, at int) {
	if s.MinLength != nil && len([]rune(n.Value)) < *s.MinLength {
		v.errorf(at, path, "must not be empty")
	}
	if s.pattern != nil && !s.pattern.MatchString(n.Value) {
		v.errorf(at, path, "%q does not match %s", n.Value, s.Pattern)
	}
	if s.Const != nil && !scalarEquals(n, s.Const) {
		v.errorf(at, path, "want %s, got %s", s.Const, n.Value)
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e json.RawMessage) bool { return scalarEquals(n, e) }) {
		var want []string
		for _, e := range s.Enum {
			want = append(want, string(e))
		}
		v.errorf(at, path, "%q is not one of %s", n.Value, strings.Join(want, ", "))
	}
}

// scalarEquals compares a YAML scalar with a JSON value by JSON type and value.
func scalarEquals(n *yaml.Node, j json.RawMessage) bool {
	var x any
	if json.Unmarshal(j, &x) != nil {
		return false
	}
	switch x := x.(type) {
	case string:
		return jsonType(n) == "string" && n.Value == x
	case bool:
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		return jsonType(n) == "boolean" && err == nil && b == x
	case float64:
		t := jsonType(n)
		if t != "integer" && t != "number" {
			return false
		}
		var f big.Float
		if _, ok := f.SetString(strings.ReplaceAll(n.Value, "_", "")); !ok {
			return false
		}
		return f.Cmp(big.NewFloat(x)) == 0
	case nil:
		return jsonType(n) == "null"
	}
	return false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns the candidate closest to s in edit distance, if it is
// close enough to be a likely typo, or "".
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(1, min(len(s), len(best))/3)
	if bestD < 0 || bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Suggest returns the candidate closest to s, when one is close enough to
// be a likely typo, or "": the "did you mean" of vouch's errors.
func Suggest(s string, candidates []string) string { return suggest(s, candidates) }
