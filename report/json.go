package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vouchdev/vouch/posture"
)

// maxReportSize bounds what ReadReport reads.
const maxReportSize = 256 << 20

// marshalIndent is how every JSON file of this package is written: two
// spaces, a final newline. encoding/json sorts map keys, so output is
// stable.
func marshalIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func writeJSON(w io.Writer, r *posture.Report) error {
	b, err := marshalIndent(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ReadReport reads a report written by the json format. It refuses unknown
// fields, a schema_version other than posture.SchemaVersion, unknown
// verdicts and severities, and trailing data.
func ReadReport(rd io.Reader) (*posture.Report, error) {
	data, err := io.ReadAll(io.LimitReader(rd, maxReportSize+1))
	if err != nil {
		return nil, fmt.Errorf("report: read report: %w", err)
	}
	if len(data) > maxReportSize {
		return nil, fmt.Errorf("report: read report: larger than %d bytes", maxReportSize)
	}
	// Look at the version first, so that a report of another version is
	// refused for what it is rather than for a field this one lacks. This
	// also refuses anything after the one JSON value.
	var head struct {
		SchemaVersion *string `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("report: read report: %w", err)
	}
	switch {
	case head.SchemaVersion == nil:
		return nil, fmt.Errorf("report: read report: no schema_version")
	case *head.SchemaVersion != posture.SchemaVersion:
		return nil, fmt.Errorf("report: read report: unknown schema_version %q (want %q)", *head.SchemaVersion, posture.SchemaVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r posture.Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("report: read report: %w", err)
	}
	if err := checkEnums(&r); err != nil {
		return nil, fmt.Errorf("report: read report: %w", err)
	}
	return &r, nil
}

// checkEnums rejects severities posture does not define, and verdicts used
// as summary keys (posture checks verdict values itself when decoding).
func checkEnums(r *posture.Report) error {
	for v := range r.Summary {
		if !v.Valid() {
			return fmt.Errorf("summary: unknown verdict %q", v)
		}
	}
	bad := func(s posture.Severity, where string) error {
		if s != "" && s.Rank() < 0 {
			return fmt.Errorf("%s: unknown severity %q", where, s)
		}
		return nil
	}
	for _, c := range r.Controls {
		if err := errors.Join(bad(c.Severity, "control "+c.Control.ID), bad(c.Control.Severity, "control "+c.Control.ID)); err != nil {
			return err
		}
		for _, f := range c.Findings {
			if err := bad(f.Severity, "control "+c.Control.ID+" finding"); err != nil {
				return err
			}
		}
	}
	for _, x := range r.Rules {
		if err := bad(x.Severity, "rule "+x.ID); err != nil {
			return err
		}
	}
	return nil
}
