package main

import "strings"

// fullScanResult is the full `vouch scan` row at one RTT.
type fullScanResult struct{}

func renderFullScan(lr *latencyResults, o options) string {
	var b strings.Builder
	return b.String()
}
