package main

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/report"
)

// historyKeep is how many earlier reports the site reads to say since when
// a control has held and to write its Atom feed.
const historyKeep = 30

// loadHistory reads the reports of earlier scans kept in dir/history,
// oldest first, skipping any that do not parse or are not older than now.
func loadHistory(dir string, current *posture.Report) []*posture.Report {
	files, _ := filepath.Glob(filepath.Join(dir, "history", "*.json"))
	var out []*posture.Report
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		r, err := report.ReadReport(fh)
		fh.Close()
		if err != nil || r.ScanID == current.ScanID || !r.ScanStarted.Before(current.ScanStarted) {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ScanStarted.Before(out[j].ScanStarted) })
	if len(out) > historyKeep {
		out = out[len(out)-historyKeep:]
	}
	return out
}

// keepHistory stores the report under dir/history/<scan-id>.json.
func keepHistory(dir string, reportJSON []byte, scanID string) error {
	h := filepath.Join(dir, "history")
	if err := os.MkdirAll(h, 0o755); err != nil {
		return err
	}
	return report.WriteFileAtomic(filepath.Join(h, scanID+".json"), reportJSON, 0o644)
}
