package tlsscan

// # STARTTLS on the MX hosts of mail targets
//
// Mail between servers travels over SMTP on port 25, in the clear unless
// the receiving server offers STARTTLS (RFC 3207): the client sends EHLO,
// the server lists its extensions in a multi-line 250 reply (RFC 5321
// §4.1.1.1), and when STARTTLS is among them the client sends STARTTLS, the
// server answers 220, and the TLS handshake starts on the same connection.
//
// For a mail target, the scanner looks up the domain's MX records (RFC
// 5321 §5.1: without MX records the domain itself is the mail host; a
// "null MX" of "." says the domain takes no mail, RFC 7505), and observes
// each MX host's addresses (at most STARTTLSOptions.MaxMX hosts and
// MaxAddresses addresses each):
//
//  1. One SMTP session reads the greeting, sends EHLO and STARTTLS and
//     records the smtpTranscript. A server that does not list STARTTLS, or
//     answers STARTTLS with anything but 220, does not offer it: the
//     observation then has every protocol refused and says why.
//  2. Otherwise the endpoint is observed like a web endpoint (the same
//     version probes, suite enumeration and full handshake), each
//     connection the probes open first taken through EHLO/STARTTLS (a
//     preamble carried in the context, see dial); no listener is opened.
//     If the SMTP part of a connection fails (a server that limits
//     connections answers 421), that probe could not tell, and a refusal
//     seen by another may not be one, so every "refused" of that
//     observation becomes "could not tell".
//
// A hostile server must not hang or exhaust the scanner: every SMTP line
// is read with a bound (smtpMaxLine bytes; RFC 5321 §4.5.3.1.5 allows 512),
// a reply has at most smtpMaxLines lines, the transcript kept as evidence
// at most transcriptMax bytes, one MX address at most preambleMaxConns
// connections, and every connection has a deadline: three timeouts for the
// first session (greeting delays), the probe's own for every later one,
// SMTP part included.

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vouchdev/vouch/posture"
)

// STARTTLSOptions turn on the STARTTLS scan of mail targets' MX hosts.
type STARTTLSOptions struct {
	// Port is the SMTP port; 0 means 25. Tests set another.
	Port int
	// HELO is the name sent with EHLO; empty means "vouch.invalid".
	HELO string
	// MaxMX bounds the MX hosts observed per domain (0: 10); MaxAddresses
	// the addresses observed per MX host (0: 4).
	MaxMX, MaxAddresses int
}

const (
	smtpMaxLine  = 1024 // bytes per reply line, CRLF included
	smtpMaxLines = 64   // lines per reply
	// preambleMaxConns bounds the connections opened to one MX address.
	preambleMaxConns = 512
	transcriptMax    = 16 << 10
)

func (o STARTTLSOptions) port() string { return strconv.Itoa(cmp.Or(o.Port, 25)) }
func (o STARTTLSOptions) helo() string { return cmp.Or(o.HELO, "vouch.invalid") }

// scanMail observes STARTTLS on the MX hosts of a mail target.
func (s *Scanner) scanMail(ctx context.Context, t posture.Target) posture.Snapshot {
	o := *s.starttls
	domain := t.Host()
	var snap posture.Snapshot
	hosts, note, missing := s.lookupMX(ctx, domain)
	if missing != nil {
		snap.TLS = []posture.TLSObservation{{
			Observation: posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC(), Missing: missing},
			Endpoint:    net.JoinHostPort(domain, o.port()),
			STARTTLS:    "smtp",
			MXOf:        domain,
		}}
		return snap
	}
	if max := cmp.Or(o.MaxMX, 10); len(hosts) > max {
		note += fmt.Sprintf("; %d more MX hosts not observed (at most %d are)", len(hosts)-max, max)
		hosts = hosts[:max]
	}
	// The MX answer goes with the domain's first observation.
	mxNote := &posture.Evidence{ID: "tls/mx/" + domain, Kind: posture.EvidenceText, Label: "MX hosts of " + domain, Data: note}
	add := func(obs posture.TLSObservation) {
		if mxNote != nil {
			obs.Evidence = append(obs.Evidence, *mxNote)
			mxNote = nil
		}
		snap.TLS = append(snap.TLS, obs)
	}
	for _, host := range hosts {
		endpoint := net.JoinHostPort(host, o.port())
		ips, left, missing := s.resolve(ctx, host)
		if missing != nil {
			add(posture.TLSObservation{
				Observation: posture.Observation{Target: t, Scanner: s.Name(), ObservedAt: s.now().UTC(), Missing: missing},
				Endpoint:    endpoint, ServerName: host, STARTTLS: "smtp", MXOf: domain,
			})
			continue
		}
		if max := cmp.Or(o.MaxAddresses, 4); len(ips) > max {
			left = append(slices.Clone(ips[max:]), left...)
			ips = ips[:max]
		}
		for j, ip := range ips {
			obs := s.observeSTARTTLS(ctx, t, net.JoinHostPort(ip, o.port()), host)
			obs.Endpoint, obs.ServerName, obs.STARTTLS, obs.MXOf = endpoint, host, "smtp", domain
			scopeEvidence(&obs, host)
			if j == 0 && len(left) > 0 {
				obs.Evidence = append(obs.Evidence, posture.Evidence{
					ID: "tls/" + obs.Source + "/addresses", Kind: posture.EvidenceText, Label: "Addresses not observed",
					Data: fmt.Sprintf("%s resolved to %d more addresses than the %d observed", host, len(left), len(ips)),
				})
			}
			add(obs)
		}
		// The addresses left out are not passes: each is an observation
		// that says it was not made.
		for _, ip := range left {
			obs := s.notObserved(t, net.JoinHostPort(ip, o.port()), len(ips))
			obs.Endpoint, obs.ServerName, obs.STARTTLS, obs.MXOf = endpoint, host, "smtp", domain
			add(obs)
		}
	}
	return snap
}

// scopeEvidence puts the MX host name into the evidence IDs of an
// observation ("tls/HOST/IP:PORT/..."): two MX hosts may share an address,
// and evidence IDs are unique within a snapshot.
func scopeEvidence(o *posture.TLSObservation, host string) {
	from, to := "tls/"+o.Source+"/", "tls/"+host+"/"+o.Source+"/"
	for i := range o.Evidence {
		if strings.HasPrefix(o.Evidence[i].ID, from) {
			o.Evidence[i].ID = to + strings.TrimPrefix(o.Evidence[i].ID, from)
		}
	}
	if c := o.Certificate; c != nil && strings.HasPrefix(c.ChainEvidence, from) {
		c.ChainEvidence = to + strings.TrimPrefix(c.ChainEvidence, from)
	}
}

// lookupMX returns the MX hosts of domain in order of preference (then
// name), a note for the evidence, or why they could not be learnt. No MX
// records means the domain itself (RFC 5321 §5.1); a null MX (RFC 7505)
// means none.
func (s *Scanner) lookupMX(ctx context.Context, domain string) ([]string, string, *posture.Missing) {
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	mxs, err := s.resolver.LookupMX(rctx, domain)
	var de *net.DNSError
	if err != nil && errors.As(err, &de) && de.IsNotFound {
		return []string{domain}, domain + " has no MX records; its own address is the mail host (RFC 5321 §5.1)", nil
	}
	if err != nil && len(mxs) == 0 {
		return nil, "", posture.MissingFor(ctx, fmt.Errorf("tlsscan: MX of %s: %w", domain, err))
	}
	slices.SortStableFunc(mxs, func(a, b *net.MX) int {
		return cmp.Or(cmp.Compare(a.Pref, b.Pref), cmp.Compare(strings.ToLower(a.Host), strings.ToLower(b.Host)))
	})
	var hosts []string
	var parts []string
	for _, mx := range mxs {
		h := strings.TrimSuffix(strings.ToLower(mx.Host), ".")
		parts = append(parts, fmt.Sprintf("%d %s", mx.Pref, cmp.Or(h, ".")))
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts, "MX " + domain + ": " + strings.Join(parts, ", "), nil
}

// observeSTARTTLS observes one MX address: an SMTP session to see whether
// STARTTLS is offered, then the TLS probes, each after its own EHLO/STARTTLS.
func (s *Scanner) observeSTARTTLS(ctx context.Context, t posture.Target, addr, host string) posture.TLSObservation {
	obs := posture.TLSObservation{
		Observation: posture.Observation{Target: t, Scanner: s.Name(), Source: addr, ObservedAt: s.now().UTC()},
	}
	tr := &smtpTranscript{}
	offered, why, missing := s.smtpCheck(ctx, addr, tr)
	obs.Probes = 1
	obs.Evidence = append(obs.Evidence, posture.Evidence{
		ID: "tls/" + addr + "/smtp", Kind: posture.EvidenceText, Label: "SMTP session up to STARTTLS", Data: tr.String(),
	})
	switch {
	case missing != nil:
		obs.Missing = missing
		return obs
	case !offered:
		for _, name := range posture.ProtocolNames {
			obs.Protocols = append(obs.Protocols, posture.ProtocolSupport{Name: name, Offered: posture.No})
		}
		obs.Evidence[0].Label = "SMTP session: STARTTLS not offered (" + why + ")"
		return obs
	}

	// Every connection the probes open speaks SMTP up to STARTTLS first
	// (see dial): the probes then see the MX host's TLS as a web
	// endpoint's, with no listener of ours in between.
	pre := &smtpPreamble{s: s, addr: addr}
	probed := s.observe(context.WithValue(ctx, preambleKey{}, pre), t, addr, host)
	probed.Source = addr
	probed.Probes++ // the SMTP session above
	probed.Evidence = append(obs.Evidence, probed.Evidence...)
	if conns, fails, first := pre.result(); fails > 0 {
		m := posture.Missing{Reason: first.Reason, Detail: fmt.Sprintf("SMTP before TLS failed on %d of %d connections (%s), so refusals may not be the server's", fails, conns, first.Detail)}
		doubtRefusals(&probed, m)
	}
	return probed
}

// doubt turns every refusal in o into could-not-tell and marks every
// enumeration incomplete: some connections never reached TLS.
func doubtRefusals(o *posture.TLSObservation, m posture.Missing) {
	for i := range o.Protocols {
		if o.Protocols[i].Offered == posture.No {
			mm := m
			o.Protocols[i].Offered, o.Protocols[i].Missing = posture.Unknown, &mm
		}
	}
	for i := range o.Suites {
		if o.Suites[i].Missing == nil {
			mm := m
			o.Suites[i].Missing = &mm
		}
	}
	for i := range o.Groups {
		if o.Groups[i].Missing == nil {
			mm := m
			o.Groups[i].Missing = &mm
		}
	}
	if o.FallbackSCSV == posture.Yes {
		o.FallbackSCSV = posture.Unknown
	}
	if o.Observed() && o.Negotiated == nil && o.Certificate == nil && !offersAny(o) {
		mm := m
		o.Missing = &mm
	}
}

func offersAny(o *posture.TLSObservation) bool {
	for _, p := range o.Protocols {
		if p.Offered == posture.Yes {
			return true
		}
	}
	return false
}

// smtpTranscript records an SMTP session for the evidence, bounded.
type smtpTranscript struct{ b strings.Builder }

func (t *smtpTranscript) add(dir, line string) {
	if t.b.Len() > transcriptMax {
		return
	}
	line = strings.ToValidUTF8(strings.TrimRight(line, "\r\n"), "?")
	line = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, line)
	t.b.WriteString(dir + line + "\n")
	if t.b.Len() > transcriptMax {
		t.b.WriteString("[smtpTranscript truncated]\n")
	}
}

func (t *smtpTranscript) String() string {
	if t == nil {
		return ""
	}
	return t.b.String()
}

// errSMTP is a reply or line that breaks the SMTP grammar, or a refusal.
var errSMTP = posture.WithReason(posture.ReasonProtocolError, errors.New("smtp"))

// smtpReply is one reply: its code and its lines' text.
type smtpReply struct {
	code  int
	lines []string
}

// readSMTPReply reads one (multi-line) reply: lines "ddd-text" ending with
// "ddd text" or "ddd" (RFC 5321 §4.2.1), each within smtpMaxLine bytes.
func readSMTPReply(r *bufio.Reader, tr *smtpTranscript) (smtpReply, error) {
	var rep smtpReply
	for n := 0; ; n++ {
		if n >= smtpMaxLines {
			return rep, fmt.Errorf("%w: reply longer than %d lines", errSMTPTooLarge, smtpMaxLines)
		}
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			tr.add("S: ", string(line[:min(len(line), 200)])+"…")
			return rep, fmt.Errorf("%w: reply line longer than %d bytes", errSMTPTooLarge, smtpMaxLine)
		}
		if err != nil {
			if len(line) > 0 {
				tr.add("S: ", string(line))
			}
			return rep, err
		}
		tr.add("S: ", string(line))
		s := strings.TrimRight(string(line), "\r\n")
		if len(s) < 3 {
			return rep, fmt.Errorf("%w: reply line %q", errSMTP, s)
		}
		code, err := strconv.Atoi(s[:3])
		if err != nil || code < 200 || code > 599 || (rep.code != 0 && code != rep.code) {
			return rep, fmt.Errorf("%w: reply line %q", errSMTP, s)
		}
		rep.code = code
		sep, text := byte(' '), ""
		if len(s) > 3 {
			sep, text = s[3], s[4:]
		}
		if sep != ' ' && sep != '-' {
			return rep, fmt.Errorf("%w: reply line %q", errSMTP, s)
		}
		rep.lines = append(rep.lines, text)
		if sep == ' ' {
			return rep, nil
		}
	}
}

// errSMTPTooLarge is a reply beyond the limits.
var errSMTPTooLarge = posture.WithReason(posture.ReasonTooLarge, errors.New("smtp: too large"))

// startTLS speaks SMTP on conn up to the start of TLS: greeting, EHLO,
// STARTTLS. It returns offered false and why when the server does not
// offer STARTTLS, and an error when the session fails.
func startTLS(conn net.Conn, helo string, tr *smtpTranscript) (offered bool, why string, err error) {
	r := bufio.NewReaderSize(conn, smtpMaxLine)
	send := func(cmd string) error {
		tr.add("C: ", cmd)
		_, err := io.WriteString(conn, cmd+"\r\n")
		return err
	}
	greet, err := readSMTPReply(r, tr)
	if err != nil {
		return false, "", fmt.Errorf("tlsscan: greeting: %w", err)
	}
	if greet.code != 220 {
		return false, "", fmt.Errorf("%w: greeting %d %s", errSMTP, greet.code, strings.Join(greet.lines, " "))
	}
	if err := send("EHLO " + helo); err != nil {
		return false, "", err
	}
	ehlo, err := readSMTPReply(r, tr)
	if err != nil {
		return false, "", fmt.Errorf("tlsscan: EHLO: %w", err)
	}
	switch {
	case ehlo.code >= 400 && ehlo.code < 500:
		return false, "", fmt.Errorf("%w: EHLO answered %d %s (temporary)", errSMTP, ehlo.code, strings.Join(ehlo.lines, " "))
	case ehlo.code == 500 || ehlo.code == 502:
		// EHLO not recognised or not implemented (RFC 5321 §4.2.4): no
		// ESMTP, so no STARTTLS extension for any client.
		return false, fmt.Sprintf("EHLO answered %d", ehlo.code), nil
	case ehlo.code != 250:
		// Any other refusal (550, 554 "access denied") turns away this
		// client, not STARTTLS: what another sender gets is unknown.
		return false, "", fmt.Errorf("%w: EHLO answered %d %s", errSMTP, ehlo.code, strings.Join(ehlo.lines, " "))
	}
	has := false
	for _, l := range ehlo.lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
			has = true
		}
	}
	if !has {
		return false, "not listed in the EHLO reply", nil
	}
	if err := send("STARTTLS"); err != nil {
		return false, "", err
	}
	rep, err := readSMTPReply(r, tr)
	if err != nil {
		return false, "", fmt.Errorf("tlsscan: STARTTLS: %w", err)
	}
	switch {
	case rep.code >= 400 && rep.code < 500:
		return false, "", fmt.Errorf("%w: STARTTLS answered %d %s (temporary)", errSMTP, rep.code, strings.Join(rep.lines, " "))
	case rep.code != 220:
		return false, fmt.Sprintf("STARTTLS answered %d %s", rep.code, strings.Join(rep.lines, " ")), nil
	}
	// Whatever the server sent after 220 is discarded, as RFC 3207 §5
	// asks of a client (it would be injected plaintext).
	if n := r.Buffered(); n > 0 {
		tr.add("", fmt.Sprintf("[%d bytes after 220 discarded]", n))
	}
	return true, "", nil
}

// smtpCheck runs one SMTP session up to STARTTLS and closes it. It allows
// three timeouts: the first session from an unknown client is where
// servers pause before the greeting (Postfix postscreen waits 6 s by
// default; RFC 5321 §4.5.3.2 lets a client wait minutes), and later ones
// from the same client are usually let straight through.
func (s *Scanner) smtpCheck(ctx context.Context, addr string, tr *smtpTranscript) (bool, string, *posture.Missing) {
	conn, cctx, cancel, err := s.connectPlain(ctx, addr, 3*s.timeout)
	defer cancel()
	if err != nil {
		return false, "", posture.MissingFor(ctx, fmt.Errorf("tlsscan: dial %s: %w", addr, err))
	}
	defer conn.Close()
	stop := watch(cctx, conn)
	defer stop()
	offered, why, err := startTLS(conn, s.starttls.helo(), tr)
	if err != nil {
		return false, "", posture.MissingFor(cctx, fmt.Errorf("tlsscan: %s: %w", addr, err))
	}
	return offered, why, nil
}

// smtpPreamble takes each connection the probes open to an MX address
// through EHLO and STARTTLS before they start TLS on it, and counts the
// connections whose SMTP part failed.
type smtpPreamble struct {
	s    *Scanner
	addr string

	mu    sync.Mutex
	conns int
	fails int
	first *posture.Missing
}

// start speaks SMTP on conn up to STARTTLS, within the connection's
// deadline (the probe's). An error means the connection is unusable.
func (p *smtpPreamble) start(ctx context.Context, conn net.Conn) error {
	p.mu.Lock()
	p.conns++
	over := p.conns > preambleMaxConns
	p.mu.Unlock()
	if over {
		return p.fail(&posture.Missing{Reason: posture.ReasonError, Detail: fmt.Sprintf("more than %d connections", preambleMaxConns)})
	}
	offered, why, err := startTLS(conn, p.s.starttls.helo(), &smtpTranscript{})
	switch {
	case err != nil:
		return p.fail(posture.MissingFor(ctx, fmt.Errorf("tlsscan: %s: %w", p.addr, err)))
	case !offered:
		return p.fail(&posture.Missing{Reason: posture.ReasonProtocolError, Detail: "STARTTLS refused: " + why})
	}
	return nil
}

func (p *smtpPreamble) fail(m *posture.Missing) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fails++
	if p.first == nil {
		p.first = m
	}
	return m
}

// result returns how many connections went through the preamble, how
// many failed, and the first failure.
func (p *smtpPreamble) result() (conns, fails int, first posture.Missing) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.first != nil {
		first = *p.first
	}
	return p.conns, p.fails, first
}
