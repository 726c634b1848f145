package site

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vouchdev/vouch/posture"
)

// Options tunes Build.
type Options struct {
	// BaseURL is the https:// URL the site is published at, used for
	// canonical links (the page's and security.txt's). Optional.
	BaseURL string
	// Now is the page generation time; security.txt expires 180 days
	// after it. Zero means the current time.
	Now time.Time
	// History holds the reports of earlier scans, oldest first, each
	// scanned before the next and before the report being built. From it
	// the page shows since when each verified control has been verified
	// without a break, and feed.xml announces what changed from one scan
	// to the next. Optional.
	History []*posture.Report
	// Logo holds the bytes of the file Organization.Logo names (the
	// caller reads it; at most 1 MiB). When set and the name ends in
	// .png, .svg, .jpg, .jpeg, .webp or .gif, Build checks the bytes are
	// that kind of image (an SVG must be plain XML without scripts, event
	// attributes or external links), writes them as logo.<ext> and the
	// page shows them. Without it the page shows no logo.
	Logo []byte
}

// securityTxtLifetime is how long a generated security.txt stays valid
// (RFC 9116 section 2.5.5 recommends less than a year).
const securityTxtLifetime = 180 * 24 * time.Hour

// controlsSchema names the format of controls.json.
const controlsSchema = "vouch-controls/v1"

//go:embed style.css
var baseCSS []byte

// controlsSchemaJSON is the JSON Schema (draft 2020-12) of controls.json,
// published beside it as controls.schema.json.
//
//go:embed controls.schema.json
var controlsSchemaJSON []byte

// Build renders the trust center for r into dir: index.html, style.css,
// controls.json, feed.xml and, when the organisation has a mailto: or
// https: security contact, .well-known/security.txt.
//
// It writes everything into a temporary directory beside dir and swaps it
// in only when it is complete: the old site is renamed to dir.old-<time>,
// the new one to dir, and the old one removed. A failure before the swap
// leaves the old site as it was; a failure during it puts the old site
// back.
func Build(dir string, r *posture.Report, o Options) error {
	return build(dir, r, o, osOps())
}

// ops are the file operations of Build; tests replace one to make it fail.
type ops struct {
	writeFile func(name string, data []byte) error
	rename    func(from, to string) error
}

func osOps() ops { return ops{writeFile: writeSynced, rename: os.Rename} }

// file is one output file, by its slash-separated path inside the site.
type file struct {
	Path string
	Data []byte
}

func build(dir string, r *posture.Report, o Options, op ops) error {
	if r == nil {
		return errors.New("site: no report")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	files, err := render(r, o)
	if err != nil {
		return err
	}

	dir = filepath.Clean(dir)
	parent, name := filepath.Dir(dir), filepath.Base(dir)
	if name == "." || name == ".." || name == string(filepath.Separator) {
		return fmt.Errorf("site: %q is not a usable site directory", dir)
	}
	existing := false
	switch fi, err := os.Lstat(dir); {
	case err == nil && !fi.IsDir():
		return fmt.Errorf("site: %s exists and is not a directory", dir)
	case err == nil:
		existing = true
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("site: %w", err)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("site: %w", err)
	}

	tmp, err := os.MkdirTemp(parent, "."+name+".new-")
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	swapped := false
	defer func() {
		if !swapped {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("site: %w", err)
		}
		if err := op.writeFile(p, f.Data); err != nil {
			return fmt.Errorf("site: write %s: %w", f.Path, err)
		}
	}

	if !existing {
		if err := op.rename(tmp, dir); err != nil {
			return fmt.Errorf("site: %w", err)
		}
		swapped = true
		return nil
	}
	old, err := oldName(dir, o.Now)
	if err != nil {
		return err
	}
	if err := op.rename(dir, old); err != nil {
		return fmt.Errorf("site: move old site aside: %w", err)
	}
	if err := op.rename(tmp, dir); err != nil {
		if rerr := op.rename(old, dir); rerr != nil {
			return fmt.Errorf("site: put new site in place: %w; the old site is left at %s: %v", err, old, rerr)
		}
		return fmt.Errorf("site: put new site in place: %w", err)
	}
	swapped = true
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("site: new site in place, but removing the old one at %s failed: %w", old, err)
	}
	return nil
}

// oldName picks dir.old-<time>, with a counter if that is taken.
func oldName(dir string, now time.Time) (string, error) {
	base := dir + ".old-" + now.UTC().Format("20060102T150405Z")
	name := base
	for n := 2; n <= 100; n++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
		name = base + "-" + strconv.Itoa(n)
	}
	return "", fmt.Errorf("site: no free name beside %s for the old site (remove the %s.old-* directories)", dir, filepath.Base(dir))
}

// writeSynced writes a file and flushes it to disk, so that the rename
// that publishes it never publishes an empty file after a crash.
func writeSynced(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// render makes every file of the site in memory, in a fixed order.
func render(r *posture.Report, o Options) ([]file, error) {
	base, err := checkBaseURL(o.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkHistory(o.History, r); err != nil {
		return nil, err
	}
	es := entries(r)
	since := verifiedSince(o.History, r)
	for i := range es {
		es[i].VerifiedSince = since[es[i].ID]
	}
	sectxt, hasSectxt := securityTxt(r.Organization.SecurityContact, o.Now, base)

	logo, hasLogo, err := logoFile(r.Organization.Logo, o.Logo)
	if err != nil {
		return nil, err
	}
	p := newPage(r, es, base, o.Now, hasSectxt)
	p.Org.Logo = ""
	if hasLogo {
		p.Org.Logo = logo
	}
	var index bytes.Buffer
	if err := indexPage(p).Render(context.Background(), &index); err != nil {
		return nil, fmt.Errorf("site: render index.html: %w", err)
	}
	controls, err := controlsJSON(r, es, o.Now)
	if err != nil {
		return nil, err
	}
	files := []file{
		{"index.html", breakLines(index.Bytes())},
		{"style.css", styleCSS(r.Organization.Color)},
		{"controls.json", controls},
		{"controls.schema.json", controlsSchemaJSON},
	}
	if hasLogo {
		files = append(files, file{logo, o.Logo})
	}
	if hasSectxt {
		files = append(files, file{".well-known/security.txt", sectxt})
	}
	feed, err := feedXML(o.History, r, base)
	if err != nil {
		return nil, err
	}
	return append(files, file{"feed.xml", feed}), nil
}

// styleCSS is the embedded stylesheet followed by the brand colour, which
// lives here rather than in a style attribute so that a Content-Security-
// Policy without 'unsafe-inline' keeps it.
func styleCSS(color string) []byte {
	out := append([]byte(nil), baseCSS...)
	return append(out, "\n:root { --brand: "+brandColor(color)+"; }\n"...)
}

// securityTxt makes .well-known/security.txt (RFC 9116) when contact is a
// mailto: or https: URI. Its fields are the Contact (2.5.3), Expires
// (2.5.5), and Canonical (2.5.2) when the base URL is known.
func securityTxt(contact string, now time.Time, base string) ([]byte, bool) {
	if _, ok := parseSafeURL(contact, "mailto", "https"); !ok {
		return nil, false
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Contact: %s\n", contact)
	fmt.Fprintf(&b, "Expires: %s\n", now.UTC().Add(securityTxtLifetime).Truncate(time.Second).Format(time.RFC3339))
	if base != "" {
		fmt.Fprintf(&b, "Canonical: %s/.well-known/security.txt\n", base)
	}
	return b.Bytes(), true
}

// publicControl is one control in controls.json.
type publicControl struct {
	ID           string    `json:"id"`
	Section      string    `json:"section"`
	Statement    string    `json:"statement"`
	Status       status    `json:"status"`
	LastVerified time.Time `json:"last_verified,omitzero"`
	// VerifiedSince is the scan time from which on every scan verified
	// the control, when earlier scans did.
	VerifiedSince time.Time `json:"verified_since,omitzero"`
	Check         string    `json:"check,omitempty"`
	AttestedBy    string    `json:"attested_by,omitempty"`
	Reviewed      string    `json:"reviewed,omitempty"` // YYYY-MM-DD as declared
}

type controlsDoc struct {
	SchemaRef    string          `json:"$schema"`
	Schema       string          `json:"schema"`
	Organization string          `json:"organization"`
	Tool         posture.Tool    `json:"tool"`
	ScanID       string          `json:"scan_id"`
	ScannedAt    time.Time       `json:"scanned_at,omitzero"`
	GeneratedAt  time.Time       `json:"generated_at"`
	Summary      map[status]int  `json:"summary"`
	Controls     []publicControl `json:"controls"`
}

// controlsJSON makes controls.json from the same entries as the page, so
// that the two can never disagree. encoding/json escapes <, > and &, so
// no declared text appears in it as markup.
func controlsJSON(r *posture.Report, es []entry, now time.Time) ([]byte, error) {
	doc := controlsDoc{
		SchemaRef:    "controls.schema.json",
		Schema:       controlsSchema,
		Organization: r.Organization.Name,
		Tool:         r.Tool,
		ScanID:       r.ScanID,
		ScannedAt:    scanTime(r).UTC(),
		GeneratedAt:  now.UTC().Truncate(time.Second),
		Summary:      map[status]int{},
		Controls:     []publicControl{},
	}
	for _, s := range statuses {
		doc.Summary[s] = 0
	}
	for _, e := range es {
		doc.Summary[e.Status]++
		pc := publicControl{ID: e.ID, Section: e.Section, Statement: e.Statement, Status: e.Status, Check: e.Check, AttestedBy: e.AttestedBy}
		if !e.VerifiedAt.IsZero() {
			pc.LastVerified = e.VerifiedAt.UTC()
		}
		if !e.VerifiedSince.IsZero() {
			pc.VerifiedSince = e.VerifiedSince.UTC()
		}
		if !e.Reviewed.IsZero() {
			pc.Reviewed = dateStamp(e.Reviewed).Text
		}
		doc.Controls = append(doc.Controls, pc)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("site: controls.json: %w", err)
	}
	return append(out, '\n'), nil
}

// lineTags are the tags after which breakLines starts a new line.
var lineTags = map[string]bool{
	"!doctype": true, "html": true, "meta": true, "/title": true, "link": true, "/head": true, "body": true,
	"/header": true, "/main": true, "/footer": true, "/section": true, "/nav": true, "/h1": true, "/h2": true,
	"/ul": true, "/li": true, "/dl": true, "/div": true, "/p": true, "/body": true, "/html": true,
}

// breakLines puts a newline after the block-level tags of templ's output,
// which comes as one line, so that view-source and golden diffs read line
// by line. It only ever adds a newline between a tag's '>' and the next
// '<', where HTML ignores it. Declared text is escaped, so every '<' in the
// output opens a tag written by the template, and every '>' after it
// closes that tag (templ escapes '>' in attribute values too).
func breakLines(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/16)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			return append(out, b...)
		}
		j := bytes.IndexByte(b[i:], '>')
		if j < 0 {
			return append(out, b...)
		}
		tag := b[i+1 : i+j]
		if k := bytes.IndexAny(tag, " \t\n"); k >= 0 {
			tag = tag[:k]
		}
		out = append(out, b[:i+j+1]...)
		b = b[i+j+1:]
		if lineTags[strings.ToLower(string(tag))] && (len(b) == 0 || b[0] != '\n') {
			out = append(out, '\n')
		}
	}
	return out
}
