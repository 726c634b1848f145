package site

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
)

// maxLogo caps Options.Logo.
const maxLogo = 1 << 20

// logoTypes maps a logo file extension to the content type
// http.DetectContentType must report for it ("" for svg, checked as XML).
var logoTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".webp": "image/webp", ".gif": "image/gif", ".svg": "",
}

// logoFile checks the logo bytes against the extension of the declared
// logo path and returns the name the site stores them under. ok is false
// when there is no logo to publish.
func logoFile(declared string, data []byte) (name string, ok bool, err error) {
	if len(data) == 0 {
		return "", false, nil
	}
	if _, valid := logoPath(declared); !valid {
		return "", false, nil
	}
	ext := strings.ToLower(path.Ext(declared))
	want, known := logoTypes[ext]
	if !known {
		return "", false, fmt.Errorf("site: logo %q: unsupported extension %q", declared, ext)
	}
	if len(data) > maxLogo {
		return "", false, fmt.Errorf("site: logo %q: %d bytes, more than %d", declared, len(data), maxLogo)
	}
	if ext == ".svg" {
		if err := checkSVG(data); err != nil {
			return "", false, fmt.Errorf("site: logo %q: %w", declared, err)
		}
	} else if got := http.DetectContentType(data); got != want {
		return "", false, fmt.Errorf("site: logo %q: content is %s, not %s", declared, got, want)
	}
	return "logo" + ext, true, nil
}

// checkSVG accepts well-formed XML with an <svg> root and nothing active:
// no script element, no on* event attributes, no http or javascript links.
func checkSVG(data []byte) error {
	low := bytes.ToLower(data)
	if bytes.Contains(low, []byte("<script")) {
		return errors.New("svg contains <script")
	}
	if bytes.Contains(low, []byte("javascript:")) {
		return errors.New("svg contains javascript:")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	root := true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("svg is not XML: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root && se.Name.Local != "svg" {
			return fmt.Errorf("root element is <%s>, not <svg>", se.Name.Local)
		}
		root = false
		if strings.EqualFold(se.Name.Local, "script") {
			return errors.New("svg contains <script")
		}
		for _, a := range se.Attr {
			n := strings.ToLower(a.Name.Local)
			if strings.HasPrefix(n, "on") {
				return fmt.Errorf("svg has event attribute %s=", a.Name.Local)
			}
			v := strings.ToLower(strings.TrimSpace(a.Value))
			if n == "href" && (strings.HasPrefix(v, "http") || strings.HasPrefix(v, "javascript:")) {
				return fmt.Errorf("svg has external href %q", a.Value)
			}
		}
	}
	if root {
		return errors.New("svg has no root element")
	}
	return nil
}
