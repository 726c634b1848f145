// Package dnstest runs an in-process authoritative DNS server (miekg/dns)
// on 127.0.0.1 for tests and for the demo deployment. Records are given in
// zone-file form; names not in the zone get NXDOMAIN, names in the zone
// without the asked type get NOERROR with no answers. Names can be made to
// time out (no answer at all) or to SERVFAIL.
package dnstest

import (
	"fmt"
	"net"
	"strings"
	"sync"

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

// Queries returns how many queries the server has received.
func (s *Server) Queries() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queries
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
	s.mu.Unlock()
	if to {
		return // no answer: the client times out
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	switch {
	case sf:
		m.Rcode = dns.RcodeServerFailure
	case !exists:
		m.Rcode = dns.RcodeNameError
	default:
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY {
				m.Answer = append(m.Answer, dns.Copy(rr))
			} else if rr.Header().Rrtype == dns.TypeCNAME {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
	}
	w.WriteMsg(m)
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
