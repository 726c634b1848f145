package posture

import (
	"strings"
	"time"
)

// Protocol version names as vouch prints them everywhere.
const (
	SSLv3   = "SSLv3"
	TLSv1_0 = "TLSv1.0"
	TLSv1_1 = "TLSv1.1"
	TLSv1_2 = "TLSv1.2"
	TLSv1_3 = "TLSv1.3"
)

// ProtocolNames lists the protocol versions vouch probes, oldest first.
var ProtocolNames = []string{SSLv3, TLSv1_0, TLSv1_1, TLSv1_2, TLSv1_3}

// ProtocolRank orders protocol names (SSLv3 = 0 ... TLSv1.3 = 4); it returns
// -1 for an unknown name.
func ProtocolRank(name string) int {
	for i, n := range ProtocolNames {
		if n == name {
			return i
		}
	}
	return -1
}

// TLSObservation is what the TLS scanner saw at one endpoint (one IP:port).
type TLSObservation struct {
	Observation
	// Endpoint is host:port as declared; Source (in Observation) is the
	// IP:port connected to.
	Endpoint   string             `json:"endpoint"`
	ServerName string             `json:"server_name,omitempty"`
	Protocols  []ProtocolSupport  `json:"protocols,omitempty"`
	Suites     []CipherSuiteProbe `json:"cipher_suites,omitempty"`
	// Negotiated is the version and suite of a default full handshake.
	Negotiated  *Negotiated  `json:"negotiated,omitempty"`
	Certificate *Certificate `json:"certificate,omitempty"`
	// Groups are the key-exchange groups the endpoint accepted, per
	// protocol (TLS 1.2 ECDHE curves, TLS 1.3 key shares including the
	// post-quantum hybrid X25519MLKEM768), by IANA name.
	Groups []GroupProbe `json:"groups,omitempty"`
	// DHBits is the size in bits of the smallest finite-field DH prime the
	// endpoint used with a DHE suite; 0 when no DHE suite was accepted.
	DHBits int `json:"dh_bits,omitempty"`
	// SecureRenegotiation is Yes when the server answered the
	// renegotiation_info extension (RFC 5746) on TLS 1.2 or older.
	SecureRenegotiation Tri `json:"secure_renegotiation,omitempty"`
	// FallbackSCSV is Yes when the server refused a downgraded hello that
	// carried TLS_FALLBACK_SCSV (RFC 7507) with inappropriate_fallback, No
	// when it accepted it; Unknown when only one protocol is offered.
	FallbackSCSV Tri `json:"fallback_scsv,omitempty"`
	// ALPN is the application protocol the server selected when offered
	// h2 and http/1.1 in one hello ("h2" means HTTP/2); empty when it
	// selected none.
	ALPN []string `json:"alpn,omitempty"`
	// STARTTLS names the plaintext protocol upgraded before the handshake
	// ("smtp" for an MX host on port 25); empty for direct TLS.
	STARTTLS string `json:"starttls,omitempty"`
	// MXOf is the mail domain whose MX record named this endpoint's host,
	// for STARTTLS endpoints of mail targets.
	MXOf string `json:"mx_of,omitempty"`
	// Probes is the number of connections the scan opened to this endpoint.
	Probes int `json:"probes"`
}

// GroupProbe lists the key-exchange groups accepted for one protocol, in
// the server's preference order when ServerOrder is Yes.
type GroupProbe struct {
	Protocol    string   `json:"protocol"`
	Accepted    []string `json:"accepted"`
	ServerOrder Tri      `json:"server_order,omitempty"`
	Probes      int      `json:"probes,omitempty"`
	Missing     *Missing `json:"missing,omitempty"`
}

// ProtocolSupport says whether the endpoint accepts one protocol version.
type ProtocolSupport struct {
	Name    string   `json:"name"` // SSLv3 ... TLSv1.3
	Offered Tri      `json:"offered"`
	Missing *Missing `json:"missing,omitempty"` // why Offered is Unknown
}

// CipherSuiteProbe lists the suites the endpoint accepted for one protocol,
// by IANA name, in the server's preference order when it enforces one
// (ServerOrder Yes); otherwise in the order the client offered them.
// ServerOrder is Unknown when fewer than two suites were accepted or the
// server followed neither order.
type CipherSuiteProbe struct {
	Protocol    string   `json:"protocol"`
	Accepted    []string `json:"accepted"`
	ServerOrder Tri      `json:"server_order,omitempty"`
	// Probes is the number of connections this enumeration opened,
	// counting the version probe whose answer began it.
	Probes int `json:"probes,omitempty"`
	// Missing says why the enumeration stopped before the server refused
	// (a timeout, a reset): Accepted is then incomplete.
	Missing *Missing `json:"missing,omitempty"`
}

// Negotiated is the outcome of a default handshake.
type Negotiated struct {
	Protocol    string `json:"protocol"`
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn,omitempty"`
}

// Certificate holds facts about the chain the endpoint served.
type Certificate struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	SerialNumber       string    `json:"serial_number,omitempty"`
	DNSNames           []string  `json:"dns_names,omitempty"`
	IPAddresses        []string  `json:"ip_addresses,omitempty"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	KeyType            string    `json:"key_type"`            // RSA, ECDSA, Ed25519
	KeyBits            int       `json:"key_bits"`            // 2048, 256, ...
	SignatureAlgorithm string    `json:"signature_algorithm"` // SHA256-RSA, ECDSA-SHA256, ...
	ChainLength        int       `json:"chain_length"`        // certificates served
	// Trusted is Yes when the chain validates to a root in the system pool
	// or the --ca-file; ValidationError says why not.
	Trusted         Tri    `json:"trusted"`
	HostnameMatch   Tri    `json:"hostname_match"`
	ValidationError string `json:"validation_error,omitempty"`
	// ChainEvidence is the ID of the Evidence holding the chain as PEM.
	ChainEvidence string `json:"chain_evidence,omitempty"`
	// ChainComplete is No when the served chain lacks an intermediate
	// needed to reach a trusted root (validation succeeded only with
	// intermediates the server did not send, or failed for that reason).
	ChainComplete Tri `json:"chain_complete,omitempty"`
	// ChainOrdered is No when the served certificates are not each signed
	// by the next one (leaf first), as RFC 8446 §4.4.2 asks.
	ChainOrdered Tri `json:"chain_ordered,omitempty"`
	// OCSPStapled is Yes when the server stapled an OCSP response.
	OCSPStapled Tri `json:"ocsp_stapled,omitempty"`
	// SCTs counts the signed certificate timestamps seen, embedded in the
	// certificate, in the TLS extension or in the stapled OCSP response.
	SCTs int `json:"scts"`
}

// ForwardSecret reports whether a cipher suite (by IANA name) gives forward
// secrecy: every TLS 1.3 suite, and the (EC)DHE key exchanges of older ones.
func ForwardSecret(suite string) bool {
	switch {
	case !strings.HasPrefix(suite, "TLS_"):
		return false
	case strings.HasPrefix(suite, "TLS_AES_"), strings.HasPrefix(suite, "TLS_CHACHA20_"),
		strings.HasPrefix(suite, "TLS_SM4_"), suite == "TLS_SHA256_SHA256", suite == "TLS_SHA384_SHA384":
		return true // TLS 1.3 (RFC 8446, RFC 9150): key exchange is always ephemeral
	case strings.HasPrefix(suite, "TLS_ECDHE_"), strings.HasPrefix(suite, "TLS_DHE_"),
		strings.HasPrefix(suite, "TLS_PSK_DHE_"): // RFC 6655's PSK with DHE
		return true
	}
	return false
}
