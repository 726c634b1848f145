package tlsscan

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// Options configure a Scanner.
type Options struct {
	// Dialer opens every connection; nil means a zero net.Dialer. It is
	// given IP addresses only: names are looked up through Resolver.
	Dialer *net.Dialer
	// Resolver looks up the addresses of hosts and the MX hosts of mail
	// domains: the scan's one resolver, shared with the other scanners.
	// nil means the Dialer's Resolver, or net.DefaultResolver.
	Resolver posture.Resolver
	// RootCAs verify certificate chains; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds each connection (and the name lookup); 0 means 5 s.
	Timeout time.Duration
	// Now is the clock for observation times and certificate validity;
	// nil means time.Now.
	Now func() time.Time
	// STARTTLS, when set, makes the scanner accept mail targets and
	// observe STARTTLS on their MX hosts (starttls.go).
	STARTTLS *STARTTLSOptions
	// Limiter is the scan's per-host connection budget (--per-host):
	// every connection the scanner opens holds a slot of its host from
	// dial to Close, so the probes that run at once never exceed it. nil
	// means no limit beyond the scanner's own parallelism.
	Limiter *netlimit.Limiter
}

// Scanner observes the TLS endpoints of web targets.
type Scanner struct {
	dialer *net.Dialer
	// dialTCP opens every connection (the Dialer's); connect holds a
	// slot of the Limiter for each.
	dialTCP  netlimit.DialFunc
	limiter  *netlimit.Limiter
	resolver posture.Resolver
	roots    *x509.CertPool
	timeout  time.Duration
	now      func() time.Time
	// systemRoots loads the system roots once (roots.go).
	systemRoots func() *x509.CertPool
	// starttls is Options.STARTTLS: nil leaves mail targets alone.
	starttls *STARTTLSOptions
	// perHost is the Limiter's budget (netlimit.DefaultPerHost without
	// one): how many chunks enumerate at once follows from it.
	perHost int
}

// maxAddresses bounds how many addresses of one name are observed.
const maxAddresses = 16

// parallelAddresses bounds how many addresses of one name are observed
// at once.
const parallelAddresses = 4

// New returns a Scanner.
func New(o Options) *Scanner {
	s := &Scanner{dialer: o.Dialer, roots: o.RootCAs, timeout: o.Timeout, now: o.Now}
	if s.dialer == nil {
		s.dialer = &net.Dialer{}
	}
	s.dialTCP, s.limiter = s.dialer.DialContext, o.Limiter
	s.perHost = netlimit.DefaultPerHost
	if o.Limiter != nil {
		s.perHost = o.Limiter.PerHost()
	}
	switch {
	case o.Resolver != nil:
		s.resolver = o.Resolver
	case s.dialer.Resolver != nil:
		s.resolver = s.dialer.Resolver
	default:
		s.resolver = net.DefaultResolver
	}
	if s.timeout <= 0 {
		s.timeout = 5 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.systemRoots = sync.OnceValue(loadSystemRoots)
	s.starttls = o.STARTTLS
	return s
}

// Name returns "tls".
func (s *Scanner) Name() string { return "tls" }

// Accepts reports whether k is a web target: those have TLS endpoints.
func (s *Scanner) Accepts(k posture.TargetKind) bool {
	return k == posture.TargetWeb || (k == posture.TargetMail && s.starttls != nil)
}

// Scan observes the TLS endpoint of t at every address its host resolves
// to, one TLSObservation per IP:port. When the host does not resolve, it
// returns one observation whose Missing says why.
func (s *Scanner) Scan(ctx context.Context, t posture.Target) posture.Snapshot {
	if t.Kind == posture.TargetMail && s.starttls != nil {
		return s.scanMail(ctx, t)
	}
	host := t.Host()
	port := strconv.Itoa(t.Port())
	serverName := host
	if _, err := netip.ParseAddr(host); err == nil {
		serverName = ""
	}
	if s.roots == nil {
		// Loading the system roots takes milliseconds (roots.go): start
		// it now so that it overlaps the probes instead of following them.
		go s.systemRoots()
	}
	var snap posture.Snapshot
	ips, left, missing := s.resolve(ctx, host)
	if missing != nil {
		snap.TLS = []posture.TLSObservation{{
			Observation: posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC(), Missing: missing},
			Endpoint:    t.HostPort(),
			ServerName:  serverName,
		}}
		return snap
	}
	// Each address is a host of its own, with a budget of its own.
	obsv := make([]posture.TLSObservation, len(ips))
	tasks := make([]func(), len(ips))
	for i, ip := range ips {
		tasks[i] = func() { obsv[i] = s.observe(ctx, t, net.JoinHostPort(ip, port), serverName) }
	}
	netlimit.Parallel(parallelAddresses, tasks...)
	snap.TLS = append(snap.TLS, obsv...)
	if len(left) > 0 {
		o := &snap.TLS[0]
		o.Evidence = append(o.Evidence, posture.Evidence{
			ID:    "tls/" + o.Source + "/addresses",
			Kind:  posture.EvidenceText,
			Label: "Addresses not observed",
			Data:  fmt.Sprintf("%s resolved to %d more addresses than the %d observed", host, len(left), maxAddresses),
		})
	}
	for _, ip := range left {
		o := s.notObserved(t, net.JoinHostPort(ip, port), len(ips))
		o.ServerName = serverName
		snap.TLS = append(snap.TLS, o)
	}
	return snap
}

// notObserved is the observation of an address left out by a limit: the
// claim covers every address, so one not looked at is not a pass.
func (s *Scanner) notObserved(t posture.Target, addr string, limit int) posture.TLSObservation {
	return posture.TLSObservation{
		Observation: posture.Observation{Target: t, Scanner: s.Name(), Source: addr, ObservedAt: s.now().UTC(),
			Missing: &posture.Missing{Reason: posture.ReasonNotScanned, Detail: fmt.Sprintf("tlsscan: %s not observed: at most %d addresses of a host are", addr, limit)}},
		Endpoint: t.HostPort(),
	}
}

// resolve returns the addresses of host (an IP literal is its own
// address), at most maxAddresses of them, and those left out.
func (s *Scanner) resolve(ctx context.Context, host string) ([]string, []string, *posture.Missing) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []string{a.String()}, nil, nil
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	addrs, err := s.resolver.LookupIPAddr(rctx, host)
	if err != nil {
		return nil, nil, posture.MissingFor(ctx, fmt.Errorf("tlsscan: resolve %s: %w", host, err))
	}
	var ips []string
	seen := map[string]bool{}
	for _, a := range addrs {
		ip := a.String()
		if !seen[ip] {
			seen[ip] = true
			ips = append(ips, ip)
		}
	}
	if len(ips) == 0 {
		return nil, nil, &posture.Missing{Reason: posture.ReasonNXDomain, Detail: "tlsscan: " + host + " has no addresses"}
	}
	if len(ips) > maxAddresses {
		return ips[:maxAddresses:maxAddresses], ips[maxAddresses:], nil
	}
	return ips, nil, nil
}

// probeOrder is the order of the version probes in the evidence's
// reading and in the choice of the reason an endpoint that never answers
// is given: the likeliest versions first.
var probeOrder = []uint16{versionTLS12, versionTLS13, versionTLS11, versionTLS10, versionSSL30}

// Priorities of the per-host budget's slots (netlimit.WithPriority): the
// TLS 1.2 suites (and curves), the longest chains of dependent hellos on
// most servers, first; then the other enumerations and the full handshake
// (an ECDSA endpoint's curves wait for it); the downgrade hello, which
// nothing waits for, last. Other scanners' connections to the host queue
// at priorityFirst (netlimit.WithPriority in httpscan and dnsscan): they
// are short chains of their own.
const (
	priorityFirst  = netlimit.PriorityShort
	prioritySecond = 1
)

// observe probes one IP:port.
//
// What does not depend on an earlier answer runs at the same time, every
// connection holding a slot of the host's budget (Options.Limiter): the
// five version probes, the full handshake, TLS 1.3's group enumeration
// and, beside the TLS 1.2 probe, the hint of its suite enumeration
// (removal.go) start together; each accepted version's suite enumeration
// starts as soon as its probe answers, and TLS 1.2's curves as soon as its
// probe chose an ECDHE_RSA suite, or an ECDHE_ECDSA one and the handshake
// named the certificate's curve (otherwise once its suites are known);
// the TLS_FALLBACK_SCSV hello as soon as every version probe has answered. On a network the scan then
// costs the longest of these chains in round trips, not their sum.
func (s *Scanner) observe(ctx context.Context, t posture.Target, addr, serverName string) posture.TLSObservation {
	obs := posture.TLSObservation{
		Observation: posture.Observation{Target: t, Scanner: s.Name(), Source: addr, ObservedAt: s.now().UTC()},
		Endpoint:    t.HostPort(),
		ServerName:  serverName,
	}
	var (
		mu      sync.Mutex
		results = map[uint16]probeResult{}
		enums   = map[uint16]suiteEnumeration{}
		spare   int // connections of a speculative hint whose version was not accepted
		hs      handshakeResult
		g12     *groupsRun
		g13     *groupEnumeration
		fb      fallbackRun
	)
	// The handshake is called off when no version probe got an answer:
	// it would only wait as long again (crypto/tls, then zcrypto).
	hsCtx, cancelHS := context.WithCancel(ctx)
	defer cancelHS()
	hsDone := make(chan struct{})
	var probes sync.WaitGroup
	probes.Add(len(probeOrder))
	tasks := []func(){
		func() {
			defer close(hsDone)
			hs = s.fullHandshake(netlimit.WithPriority(hsCtx, prioritySecond), addr, serverName, func() bool {
				probes.Wait()
				mu.Lock()
				defer mu.Unlock()
				for _, v := range acceptedVersions(results) {
					if v <= versionTLS12 {
						return true
					}
				}
				return false
			})
		},
		func() {
			// TLS 1.3's groups go beside the version probes: servers with
			// an order of their own (OpenSSL's, Go's) answer them one at
			// a time within a family (removal.go), a long chain. Kept only when TLS 1.3
			// is accepted; otherwise its hellos were refused and count as
			// spare.
			g := s.enumerateGroups13(netlimit.WithPriority(ctx, prioritySecond), addr, serverName)
			probes.Wait()
			mu.Lock()
			if results[versionTLS13].outcome == accepted {
				g13 = &g
			} else {
				spare += g.probes
			}
			mu.Unlock()
		},
		func() {
			probes.Wait()
			mu.Lock()
			ok := answered(results)
			versions := acceptedVersions(results)
			mu.Unlock()
			if !ok {
				cancelHS()
				return
			}
			if ctx.Err() == nil {
				fb.tri, fb.out, fb.probes = s.fallbackSCSV(ctx, addr, serverName, versions)
			}
		},
	}
	for _, v := range probeOrder {
		tasks = append(tasks, func() {
			ctx := netlimit.WithPriority(ctx, prioritySecond)
			if v == versionTLS12 {
				ctx = netlimit.WithPriority(ctx, priorityFirst)
			}
			var once sync.Once
			done := func() { once.Do(probes.Done) }
			defer done()
			spec := specFor(v, serverName)
			var r probeResult
			var hint *pick
			if suiteChunks(v, s.perHost) > 1 && v == versionTLS12 {
				// The hint goes beside the probe rather than after it:
				// almost every endpoint speaks TLS 1.2, and the round
				// trip it saves is on the scan's longest chain.
				rev := slices.Clone(spec.suites)
				slices.Reverse(rev)
				hintSpec := spec
				hintSpec.suites = rev
				netlimit.Parallel(0,
					func() { r = s.probe(ctx, addr, spec) },
					func() { h := pickOf(s.probe(ctx, addr, hintSpec), chosenSuite); hint = &h })
			} else {
				r = s.probe(ctx, addr, spec)
			}
			mu.Lock()
			results[v] = r
			if hint != nil && (r.outcome != accepted || ctx.Err() != nil) {
				spare += hint.probes // no enumeration will count it
			}
			mu.Unlock()
			done()
			if r.outcome != accepted || ctx.Err() != nil {
				return
			}
			enumerate := func() {
				e := s.enumerateSuites(ctx, addr, serverName, r, hint)
				mu.Lock()
				enums[v] = e
				mu.Unlock()
			}
			switch v {
			case versionTLS13:
				enumerate()
			case versionTLS12:
				if id := r.hello.suite; strings.HasPrefix(suiteName(id), "TLS_ECDHE_RSA_") {
					// The curve of an ECDHE_RSA suite does not depend on
					// which one: the suite the probe chose is enough to
					// ask for curves, beside the suites.
					netlimit.Parallel(0, enumerate, func() {
						g12 = &groupsRun{v: v, ecdhe: []uint16{id}}
						g12.g = s.enumerateGroups12(ctx, addr, serverName, v, g12.ecdhe, 0)
					})
					return
				}
				var early *groupsRun
				id := r.hello.suite
				netlimit.Parallel(0, enumerate, func() {
					if !strings.HasPrefix(suiteName(id), "TLS_ECDHE_ECDSA_") {
						return
					}
					// An ECDHE_ECDSA suite needs the certificate's curve
					// in every offer: known from the handshake, long
					// before the suites are.
					<-hsDone
					if pin := leafCurve(hs.chain); pin != 0 && ctx.Err() == nil {
						early = &groupsRun{v: v, ecdhe: []uint16{id}}
						early.g = s.enumerateGroups12(ctx, addr, serverName, v, early.ecdhe, pin)
					}
				})
				mu.Lock()
				e := enums[v]
				mu.Unlock()
				switch {
				case early != nil && (early.g.missing == nil || len(rsaSigned(ecdheSuites(e))) == 0):
					// Complete, or no ECDHE_RSA suite to do better with.
					g12 = early
				case len(ecdheSuites(e)) > 0 && ctx.Err() == nil:
					// The pin hid curves, and ECDHE_RSA suites need none.
					if early != nil {
						mu.Lock()
						spare += early.g.probes
						mu.Unlock()
					}
					<-hsDone
					g12 = s.groupsFor(ctx, addr, serverName, v, e, leafCurve(hs.chain))
				case early != nil:
					g12 = early
				}
			default:
				enumerate()
			}
		})
	}
	netlimit.Parallel(0, tasks...)

	for _, r := range results {
		if r.connected {
			obs.Probes++
		}
	}
	obs.Probes += spare + hs.probes
	ok := answered(results)
	refusalsByInternalError(results)
	for _, name := range posture.ProtocolNames {
		r := results[versionByName(name)]
		ps := posture.ProtocolSupport{Name: name, Offered: posture.Unknown, Missing: r.missing}
		switch r.outcome {
		case accepted:
			ps.Offered = posture.Yes
		case rejected:
			ps.Offered = posture.No
		}
		obs.Protocols = append(obs.Protocols, ps)
	}
	obs.Evidence = append(obs.Evidence, posture.Evidence{
		ID:    "tls/" + addr + "/probes",
		Kind:  posture.EvidenceTLSHandshake,
		Label: "Protocol version probes (one ClientHello each)",
		Data:  probesJSON(results),
	})
	if !ok {
		// Neither hello got through (refused, unreachable, silent): the
		// endpoint is not there.
		for _, v := range probeOrder {
			if m := results[v].missing; m != nil {
				c := *m
				obs.Missing = &c
				break
			}
		}
		return obs
	}

	var recs []suitesRecord
	for _, name := range posture.ProtocolNames {
		e, ok := enums[versionByName(name)]
		if !ok {
			continue
		}
		obs.Probes += e.probes - 1 // the version probe is counted already
		p := e.record()
		obs.Suites = append(obs.Suites, p)
		recs = append(recs, suitesRecord{Protocol: p.Protocol, Accepted: p.Accepted, ServerOrder: p.ServerOrder, Steps: e.steps})
		if e.dhBits > 0 && (obs.DHBits == 0 || e.dhBits < obs.DHBits) {
			obs.DHBits = e.dhBits
		}
	}
	if len(recs) > 0 {
		b, _ := json.MarshalIndent(recs, "", "  ")
		obs.Evidence = append(obs.Evidence, posture.Evidence{
			ID:    "tls/" + addr + "/cipher_suites",
			Kind:  posture.EvidenceTLSHandshake,
			Label: "Cipher suite enumeration (one ClientHello per step, chosen suite removed each time)",
			Data:  string(b),
		})
	}
	if g12 == nil && ctx.Err() == nil {
		// No ECDHE suite under TLS 1.2: the newest older version that
		// has some.
		for _, v := range []uint16{versionTLS11, versionTLS10, versionSSL30} {
			if e, ok := enums[v]; ok && len(ecdheSuites(e)) > 0 {
				g12 = s.groupsFor(ctx, addr, serverName, v, e, leafCurve(hs.chain))
				break
			}
		}
	}
	s.observeExtras(&obs, addr, results, g12, g13, fb)
	if hs.library != "" {
		obs.Negotiated = &posture.Negotiated{
			Protocol:    versionName(hs.version),
			CipherSuite: suiteName(hs.suite),
			ALPN:        hs.alpn,
		}
		obs.ALPN = []string{}
		if hs.alpn != "" {
			obs.ALPN = append(obs.ALPN, hs.alpn)
		}
		obs.Evidence = append(obs.Evidence, posture.Evidence{
			ID:    "tls/" + addr + "/handshake",
			Kind:  posture.EvidenceTLSHandshake,
			Label: "Full handshake (" + hs.library + ")",
			Data:  hs.summaryJSON(serverName),
		})
	} else {
		obs.Evidence = append(obs.Evidence, posture.Evidence{
			ID:    "tls/" + addr + "/handshake",
			Kind:  posture.EvidenceText,
			Label: "Full handshake failed",
			Data:  failureText(hs),
		})
	}
	if len(hs.chain) > 0 {
		chainID := "tls/" + addr + "/chain"
		obs.Evidence = append(obs.Evidence, posture.Evidence{
			ID:    chainID,
			Kind:  posture.EvidencePEM,
			Label: "Certificate chain as served",
			Data:  chainPEM(hs.chain),
		})
		host, _, _ := net.SplitHostPort(addr)
		cert, err := certificateFacts(hs.chain, verifyName(serverName, host), s.rootPool(), s.now())
		if err != nil {
			obs.Evidence = append(obs.Evidence, posture.Evidence{
				ID:    "tls/" + addr + "/certificate",
				Kind:  posture.EvidenceText,
				Label: "Certificate not read",
				Data:  err.Error(),
			})
		} else {
			cert.ChainEvidence = chainID
			cert.OCSPStapled = posture.Unknown
			if hs.library != "" {
				cert.OCSPStapled = posture.TriOf(len(hs.ocsp) > 0)
			}
			cert.SCTs += len(hs.scts) + ocspSCTs(hs.ocsp)
			obs.Certificate = cert
		}
		if len(hs.ocsp) > 0 {
			obs.Evidence = append(obs.Evidence, posture.Evidence{
				ID:    "tls/" + addr + "/ocsp",
				Kind:  posture.EvidenceText,
				Label: "Stapled OCSP response (base64 DER)",
				Data:  base64.StdEncoding.EncodeToString(hs.ocsp),
			})
		}
	}
	return obs
}

// answered reports whether some version probe got a reply from the
// server: a hello, a refusal, or a reply that is not TLS.
func answered(results map[uint16]probeResult) bool {
	for _, r := range results {
		if r.outcome != failed || r.missing.Reason == posture.ReasonProtocolError ||
			r.missing.Reason == posture.ReasonTooLarge || r.missing.Reason == posture.ReasonHandshakeFailed {
			return true
		}
	}
	return false
}

// acceptedVersions returns the versions accepted, newest first.
func acceptedVersions(results map[uint16]probeResult) []uint16 {
	var out []uint16
	for _, v := range []uint16{versionTLS13, versionTLS12, versionTLS11, versionTLS10, versionSSL30} {
		if results[v].outcome == accepted {
			out = append(out, v)
		}
	}
	return out
}

func versionByName(name string) uint16 {
	for _, v := range probeOrder {
		if versionName(v) == name {
			return v
		}
	}
	return 0
}

// failureText explains why no full handshake completed.
func failureText(hs handshakeResult) string {
	s := "No full handshake completed, so no negotiated parameters were observed"
	if len(hs.chain) == 0 {
		s += " and no certificate was received"
	}
	s += ".\n"
	for _, a := range hs.attempts {
		s += a.Library + ": " + a.Error + "\n"
	}
	return s
}

// probeRecord is one probe in the probes evidence.
type probeRecord struct {
	Protocol      string           `json:"protocol"`
	Offered       posture.Tri      `json:"offered"`
	ServerVersion string           `json:"server_version,omitempty"`
	CipherSuite   string           `json:"cipher_suite,omitempty"`
	Group         string           `json:"group,omitempty"`
	HelloRetry    bool             `json:"hello_retry_request,omitempty"`
	Downgrade     string           `json:"downgrade_sentinel,omitempty"`
	Alert         string           `json:"alert,omitempty"`
	Note          string           `json:"note,omitempty"`
	Missing       *posture.Missing `json:"missing,omitempty"`
}

func probesJSON(results map[uint16]probeResult) string {
	var recs []probeRecord
	for _, name := range posture.ProtocolNames {
		r := results[versionByName(name)]
		rec := probeRecord{Protocol: name, Offered: posture.Unknown, Note: r.note, Missing: r.missing}
		switch r.outcome {
		case accepted:
			rec.Offered = posture.Yes
		case rejected:
			rec.Offered = posture.No
		}
		if h := r.hello; h != nil {
			rec.ServerVersion = versionName(h.version)
			rec.CipherSuite = suiteName(h.suite)
			if h.group != 0 {
				rec.Group = groupName(h.group)
			}
			rec.HelloRetry = h.retry
			rec.Downgrade = h.downgrade
		}
		if r.alert != nil {
			rec.Alert = r.alert.String()
		}
		recs = append(recs, rec)
	}
	b, _ := json.MarshalIndent(recs, "", "  ")
	return string(b)
}

// alertInternalError is the internal_error alert (RFC 8446 §6.2).
const alertInternalError = 80

// refusalsByInternalError reads an internal_error alert as a refusal of
// the version probed when the same endpoint accepted another version: the
// server speaks TLS and answers hellos, but cannot complete this one.
// OpenSSL 3 at security level 1 and above answers TLS 1.0 and 1.1 hellos
// this way ("no suitable signature algorithm"); sslscan and testssl count
// those versions as not offered too. Alone, an internal_error still means
// could not tell.
func refusalsByInternalError(results map[uint16]probeResult) {
	someAccepted := false
	for _, r := range results {
		someAccepted = someAccepted || r.outcome == accepted
	}
	if !someAccepted {
		return
	}
	for v, r := range results {
		if r.outcome == failed && r.alert != nil && r.alert.description == alertInternalError {
			r.outcome, r.missing = rejected, nil
			r.note = "alert internal_error, taken as a refusal: the endpoint accepted another version"
			results[v] = r
		}
	}
}
