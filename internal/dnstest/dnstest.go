// Package dnstest runs an in-process authoritative DNS server (miekg/dns)
// on 127.0.0.1 for tests and for the demo deployment. Records are given in
// zone-file form; names not in the zone get NXDOMAIN, names in the zone
// without the asked type get NOERROR with no answers. Names can be made to
// time out (no answer at all) or to SERVFAIL.
//
// DNSSEC, as far as tests need it: when a query sets the DO bit, RRSIG
// records at the name that cover the asked type are added to the answer;
// negative answers carry the SOA of the enclosing zone, if the records
// hold one (for DS, the zone above the name's, as a parent's answer
// would); DSFor makes the DS records a parent publishes for SignedKeys;
// and SetAuthenticated makes the server act as a validating
// resolver that sets AD (and not AA) on replies to queries with DO or AD.
package dnstest

import (
	"crypto"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Server answers from a fixed set of records over UDP and TCP on one port.
type Server struct {
	// Addr is host:port, the same for UDP and TCP.
	Addr string

	mu       sync.RWMutex
	records  map[string][]dns.RR // by lower-case FQDN
	timeout  map[string]bool
	servfail map[string]bool
	queries  int
	ad       bool

	udp, tcp *dns.Server
}

// Start parses zone (zone-file lines; relative names are relative to
// origin) and serves it on 127.0.0.1 on a free port.
func Start(origin, zone string) (*Server, error) {
	s := &Server{records: map[string][]dns.RR{}, timeout: map[string]bool{}, servfail: map[string]bool{}}
	if err := s.Add(origin, zone); err != nil {
		return nil, err
	}
	// Find a port free for both UDP and TCP.
	var pc net.PacketConn
	var ln net.Listener
	var err error
	for i := 0; i < 20; i++ {
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dnstest: no port free for udp and tcp: %w", err)
	}
	s.Addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: ln, Handler: h}
	started := make(chan struct{}, 2)
	s.udp.NotifyStartedFunc = func() { started <- struct{}{} }
	s.tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go s.udp.ActivateAndServe()
	go s.tcp.ActivateAndServe()
	<-started
	<-started
	return s, nil
}

// Add parses more zone-file lines into the server.
func (s *Server) Add(origin, zone string) error {
	zp := dns.NewZoneParser(strings.NewReader(zone), dns.Fqdn(origin), "")
	zp.SetDefaultTTL(300)
	s.mu.Lock()
	defer s.mu.Unlock()
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		name := strings.ToLower(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
	}
	if err := zp.Err(); err != nil {
		return fmt.Errorf("dnstest: zone %s: %w", origin, err)
	}
	return nil
}

// Timeout makes queries for name go unanswered.
func (s *Server) Timeout(name string) {
	s.mu.Lock()
	s.timeout[strings.ToLower(dns.Fqdn(name))] = true
	s.mu.Unlock()
}

// ServFail makes queries for name answer SERVFAIL.
func (s *Server) ServFail(name string) {
	s.mu.Lock()
	s.servfail[strings.ToLower(dns.Fqdn(name))] = true
	s.mu.Unlock()
}

// SetAuthenticated makes replies to queries with DO or AD set carry AD,
// without AA, as a validating resolver's would.
func (s *Server) SetAuthenticated(on bool) {
	s.mu.Lock()
	s.ad = on
	s.mu.Unlock()
}

// Queries returns how many queries the server has received.
func (s *Server) Queries() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queries
}

// SignedKeys returns zone-file lines that make origin look signed: a
// fresh ECDSA P-256 DNSKEY (flags 257) and an RRSIG over the DNSKEY set,
// valid from an hour before now for 30 days. Only the apex is signed;
// that is what DNSSEC observers read.
func SignedKeys(origin string, now time.Time) (string, error) {
	origin = dns.Fqdn(strings.ToLower(origin))
	key := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
		Flags:     257,
		Protocol:  3,
		Algorithm: dns.ECDSAP256SHA256,
	}
	priv, err := key.Generate(256)
	if err != nil {
		return "", fmt.Errorf("dnstest: generate key: %w", err)
	}
	sig := &dns.RRSIG{
		Hdr:        dns.RR_Header{Name: origin, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: 3600},
		Algorithm:  key.Algorithm,
		SignerName: origin,
		KeyTag:     key.KeyTag(),
		Inception:  uint32(now.Add(-time.Hour).Unix()),
		Expiration: uint32(now.Add(30 * 24 * time.Hour).Unix()),
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return "", fmt.Errorf("dnstest: key is not a crypto.Signer")
	}
	if err := sig.Sign(signer, []dns.RR{key}); err != nil {
		return "", fmt.Errorf("dnstest: sign: %w", err)
	}
	return key.String() + "\n" + sig.String() + "\n", nil
}

// DSFor returns zone-file lines with a DS record (digest type SHA-256)
// for each DNSKEY with the SEP flag among keys (zone-file lines, as
// SignedKeys returns them): what the parent zone publishes to vouch for
// them. Add them to the parent's records.
func DSFor(keys string) (string, error) {
	zp := dns.NewZoneParser(strings.NewReader(keys), ".", "")
	var b strings.Builder
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if k, isKey := rr.(*dns.DNSKEY); isKey && k.Flags&dns.SEP != 0 {
			ds := k.ToDS(dns.SHA256)
			if ds == nil {
				return "", fmt.Errorf("dnstest: no DS for the key %d of %s", k.KeyTag(), k.Hdr.Name)
			}
			b.WriteString(ds.String() + "\n")
		}
	}
	if err := zp.Err(); err != nil {
		return "", fmt.Errorf("dnstest: keys: %w", err)
	}
	if b.Len() == 0 {
		return "", fmt.Errorf("dnstest: no DNSKEY with the SEP flag in the keys")
	}
	return b.String(), nil
}

// Close stops the server.
func (s *Server) Close() {
	s.udp.Shutdown()
	s.tcp.Shutdown()
}

func (s *Server) serve(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries++
	to, sf := s.timeout[name], s.servfail[name]
	rrs := s.records[name]
	exists := len(rrs) > 0 || s.hasDescendant(name)
	soa := s.enclosingSOA(name)
	if q.Qtype == dns.TypeDS {
		// DS lives on the parent's side of a zone cut (RFC 4035
		// §3.1.4.1): a negative answer carries the parent's SOA when the
		// server holds the parent zone, else (a server authoritative for
		// the child only) the child's.
		if _, parent, ok := strings.Cut(name, "."); ok && parent != "" {
			if p := s.enclosingSOA(parent); p != nil {
				soa = p
			}
		}
	}
	ad := s.ad
	s.mu.Unlock()
	if to {
		return // no answer: the client times out
	}
	do := false
	if o := r.IsEdns0(); o != nil {
		do = o.Do()
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if ad && (do || r.AuthenticatedData) {
		m.Authoritative, m.RecursionAvailable, m.AuthenticatedData = false, true, true
	}
	switch {
	case sf:
		m.Rcode = dns.RcodeServerFailure
		m.AuthenticatedData = false
	case !exists:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			typ := rr.Header().Rrtype
			switch {
			case typ == q.Qtype || q.Qtype == dns.TypeANY, typ == dns.TypeCNAME:
				m.Answer = append(m.Answer, dns.Copy(rr))
			case typ == dns.TypeRRSIG && do && rr.(*dns.RRSIG).TypeCovered == q.Qtype:
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
	if len(m.Answer) == 0 && soa != nil && !sf {
		m.Ns = append(m.Ns, dns.Copy(soa))
	}
	w.WriteMsg(m)
}

// enclosingSOA returns the SOA record of the closest zone apex at or above
// name, or nil. Caller holds s.mu.
func (s *Server) enclosingSOA(name string) dns.RR {
	for n := name; ; {
		for _, rr := range s.records[n] {
			if rr.Header().Rrtype == dns.TypeSOA {
				return rr
			}
		}
		_, rest, ok := strings.Cut(n, ".")
		if !ok || rest == "" {
			return nil
		}
		n = rest
	}
}

// hasDescendant reports whether some record lives below name (an empty
// non-terminal exists: NOERROR, not NXDOMAIN). Caller holds s.mu.
func (s *Server) hasDescendant(name string) bool {
	for n := range s.records {
		if strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	return false
}
