package posture

// ScannerID names a scanner and the kind of observation it makes: the
// value of Observation.Scanner, the key of a scan plan, and what a check
// declares it needs.
type ScannerID string

const (
	ScannerTLS  ScannerID = "tls"
	ScannerHTTP ScannerID = "http"
	ScannerDNS  ScannerID = "dns"
	ScannerWAF  ScannerID = "waf"
)
