package dnsscan

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/internal/dnstest"
	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// delayServer answers every question after a delay, from a dnstest.Server
// behind it, and measures what a resolver far away would see: the most
// questions in flight at once, and the rounds. A question's round is one
// more than the highest round among the replies sent before it arrived: a
// scan whose every question waited for the one before takes as many
// rounds as it asks questions; one that asks all it can at once takes as
// many as its longest chain of questions that wait for an answer.
type delayServer struct {
	addr    string
	backend string
	delay   time.Duration

	mu        sync.Mutex
	inFlight  int
	peak      int
	sentRound int // the highest round among the replies sent
	questions int
}

func startDelayServer(t *testing.T, backend string, delay time.Duration) *delayServer {
	t.Helper()
	d := &delayServer{backend: backend, delay: delay}
	d.addr = handlerServer(t, d.serve)
	return d
}

func (d *delayServer) serve(w dns.ResponseWriter, r *dns.Msg) {
	d.mu.Lock()
	d.inFlight++
	d.peak = max(d.peak, d.inFlight)
	d.questions++
	round := d.sentRound + 1
	d.mu.Unlock()

	time.Sleep(d.delay)
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second, UDPSize: dns.MaxMsgSize}
	reply, _, err := c.Exchange(r, d.backend)
	if err != nil {
		reply = new(dns.Msg)
		reply.SetRcode(r, dns.RcodeServerFailure)
	}

	d.mu.Lock()
	d.inFlight--
	d.sentRound = max(d.sentRound, round)
	d.mu.Unlock()
	w.WriteMsg(reply)
}

// measure returns the rounds, the peak in flight and the questions
// since the last reset, and resets them.
func (d *delayServer) measure() (rounds, peak, questions int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	rounds, peak, questions = d.sentRound, d.peak, d.questions
	d.sentRound, d.peak, d.questions = 0, 0, 0
	return rounds, peak, questions
}

// wideZone: wide.test's SPF record includes three domains, each including
// two more whose records ask an A/AAAA and an MX lookup; DMARC with an
// external report destination, MTA-STS with a policy, TLS-RPT, a declared
// DKIM selector; a loop (c1 includes wide.test) and an include after
// "all" (never asked). The longest chain of questions that each wait for
// an answer is four long: the SPF root, an include, an include, and that
// record's a/mx/exists lookups. MTA-STS (TXT, then A/AAAA, then HTTPS)
// and DMARC (record, then report authorisation) are shorter.
const wideZone = `
wide.test.              TXT "v=spf1 include:a.wide.test include:b.wide.test include:c.wide.test mx -all"
wide.test.              MX  10 mx.wide.test.
a.wide.test.            TXT "v=spf1 include:a1.wide.test include:a2.wide.test -all"
b.wide.test.            TXT "v=spf1 include:b1.wide.test include:b2.wide.test ~all"
c.wide.test.            TXT "v=spf1 include:c1.wide.test redirect=c2.wide.test"
a1.wide.test.           TXT "v=spf1 a:h.a1.wide.test -all"
a2.wide.test.           TXT "v=spf1 mx:a2.wide.test -all"
b1.wide.test.           TXT "v=spf1 ip4:192.0.2.1 -all"
b2.wide.test.           TXT "v=spf1 exists:e.b2.wide.test -all include:never.wide.test"
c1.wide.test.           TXT "v=spf1 include:wide.test -all"
c2.wide.test.           TXT "v=spf1 a -all"
h.a1.wide.test.         A   192.0.2.10
c2.wide.test.           AAAA 2001:db8::1
_dmarc.wide.test.       TXT "v=DMARC1; p=reject; rua=mailto:d@reports.test,mailto:e@wide.test"
wide.test._report._dmarc.reports.test. TXT "v=DMARC1"
_mta-sts.wide.test.     TXT "v=STSv1; id=20261203"
mta-sts.wide.test.      A   127.0.0.1
_smtp._tls.wide.test.   TXT "v=TLSRPTv1; rua=mailto:tls@wide.test"
wide.test.              CAA 0 issue "ca.test"
s1._domainkey.wide.test. TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
`

// wideDepth is the longest chain of questions in wideZone that each wait
// for the one before.
const wideDepth = 4

type wideScan struct {
	obs                     posture.DNSObservation
	rounds, peak, questions int
	elapsed                 time.Duration
}

func TestScanParallelRounds(t *testing.T) {
	back, err := dnstest.Start("test", wideZone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Close)
	const delay = 40 * time.Millisecond
	ds := startDelayServer(t, back.Addr, delay)
	srv, ca := policyServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("version: STSv1\nmode: enforce\nmx: mx.wide.test\nmax_age: 86400\n"))
	}, "wide.test")

	// run scans wide.test with at most inFlight questions in flight in
	// the Scan (0: parallelLookups), the Limiter lim and the declared
	// mail senders.
	run := func(t *testing.T, inFlight int, lim *netlimit.Limiter, senders ...string) wideScan {
		t.Helper()
		var dials []string
		o := Options{Resolver: NewResolver(ds.addr, 5*time.Second), DKIMSelectors: []string{"s1"}, Now: func() time.Time { return fixedNow },
			DialContext: toServer(srv, &dials), RootCAs: ca.Pool(), PolicyTimeout: 5 * time.Second, UserAgent: "vouch/test", Limiter: lim, MailSenders: senders}
		sc := New(o)
		if inFlight > 0 {
			sc.inFlight = inFlight
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ds.measure()
		start := time.Now()
		snap := sc.Scan(ctx, posture.Target{Kind: posture.TargetMail, Address: "wide.test"})
		w := wideScan{obs: snap.DNS[0], elapsed: time.Since(start)}
		w.rounds, w.peak, w.questions = ds.measure()
		checkEvidence(t, w.obs)
		return w
	}

	got := run(t, 0, nil)
	t.Logf("default: %d questions, %d rounds of %s, at most %d in flight, %s", got.questions, got.rounds, delay, got.peak, got.elapsed)
	o := got.obs
	if o.Missing != nil || o.SPF == nil || o.SPF.Tree == nil || len(o.SPF.Tree.Records) != 10 || o.MTASTS == nil || o.MTASTS.Policy == nil ||
		o.MTASTS.Policy.Found != posture.Yes || o.DMARC == nil || len(o.DMARC.ReportDestinations) != 2 {
		js, _ := json.MarshalIndent(o, "", " ")
		t.Fatalf("dnsscan: wide.test not observed as the zone says:\n%s", js)
	}
	var recs []string
	for _, r := range o.SPF.Tree.Records {
		recs = append(recs, r.Domain+"/"+r.Via)
	}
	if want := "wide.test/ a.wide.test/include a1.wide.test/include a2.wide.test/include b.wide.test/include b1.wide.test/include b2.wide.test/include c.wide.test/include c1.wide.test/include c2.wide.test/redirect"; strings.Join(recs, " ") != want {
		t.Errorf("dnsscan: tree records %q, want %q", strings.Join(recs, " "), want)
	}
	// Nothing is asked that the evidence does not show (the zone has no
	// CNAME and no reply is truncated: one question, one piece of
	// evidence): not the include after "all", not the loop.
	dnsEvidence := 0
	for _, e := range o.Evidence {
		if e.Kind == posture.EvidenceDNS {
			dnsEvidence++
		}
	}
	if got.questions != dnsEvidence {
		t.Errorf("dnsscan: %d questions asked, %d in the evidence", got.questions, dnsEvidence)
	}
	// The bound holds across the Scan, and the scan fills it; the rounds
	// are those of a schedule that keeps every slot busy while there is
	// a question to ask, not one per question.
	// (16 first questions held 40 ms each fill the 8 slots; the lower
	// limit leaves room for a loaded machine.)
	if got.peak > parallelLookups || got.peak < parallelLookups/2 {
		t.Errorf("dnsscan: at most %d questions in flight, want %d (the bound, filled)", got.peak, parallelLookups)
	}
	if limit := (got.questions+parallelLookups-1)/parallelLookups + wideDepth - 1; got.rounds > limit {
		t.Errorf("dnsscan: %d rounds for %d questions %d at once, want at most %d", got.rounds, got.questions, parallelLookups, limit)
	}

	js := func(o posture.DNSObservation) string {
		b, err := json.MarshalIndent(o, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	want := js(o)

	// Unbounded (more slots than questions): as many rounds as the
	// longest chain (one more allowed: a question sent over 40 ms late
	// on a loaded machine counts in the next round).
	wide := run(t, 100, nil)
	t.Logf("unbounded: %d questions, %d rounds, at most %d in flight, %s", wide.questions, wide.rounds, wide.peak, wide.elapsed)
	if wide.rounds < wideDepth || wide.rounds > wideDepth+1 || wide.questions != got.questions {
		t.Errorf("dnsscan: unbounded: %d rounds, %d questions; want %d and %d", wide.rounds, wide.questions, wideDepth, got.questions)
	}

	// One at a time through the scan's Limiter (the resolver's host
	// slots): every question waits for the one before, and the
	// observation, tree, evidence and its order included, is the same.
	seq := run(t, 0, netlimit.New(1))
	t.Logf("sequential: %d questions, %d rounds, at most %d in flight, %s", seq.questions, seq.rounds, seq.peak, seq.elapsed)
	if seq.peak != 1 || seq.rounds != seq.questions || seq.questions != got.questions {
		t.Errorf("dnsscan: with a Limiter of 1: %d in flight, %d rounds, %d questions; want 1, %d, %d", seq.peak, seq.rounds, seq.questions, got.questions, got.questions)
	}
	for name, other := range map[string]wideScan{"unbounded": wide, "sequential": seq} {
		if g := js(other.obs); g != want {
			t.Errorf("dnsscan: the %s scan's observation differs:\n%s\nwant\n%s", name, g, want)
		}
	}

	// Declared senders: check_host runs alongside and reads the replies
	// the tree has, so it adds questions and rounds only where it asks
	// what the tree does not: here nothing (each evaluation ends before
	// the root's mx term). Asking the resolver on its own, the three
	// took 29 more questions and 8 more rounds. Its results do not
	// depend on the bound either.
	senders := []string{"192.0.2.1", "198.51.100.9", "2001:db8::1"}
	withSenders := run(t, 0, nil, senders...)
	t.Logf("senders: %d questions, %d rounds, at most %d in flight, %s", withSenders.questions, withSenders.rounds, withSenders.peak, withSenders.elapsed)
	if limit := (got.questions+parallelLookups-1)/parallelLookups + wideDepth - 1; withSenders.questions != got.questions || withSenders.rounds > limit {
		t.Errorf("dnsscan: with senders, %d questions in %d rounds; want %d in at most %d", withSenders.questions, withSenders.rounds, got.questions, limit)
	}
	if c := withSenders.obs.SPF.Checks; len(c) != 3 || c[0].Result != "pass" || c[1].Result != "permerror" || c[2].Result != "permerror" {
		t.Errorf("dnsscan: check_host results %+v, want pass, permerror (11 DNS terms), permerror (3 void lookups)", c)
	}
	seqSenders := run(t, 0, netlimit.New(1), senders...)
	if g, w := js(seqSenders.obs), js(withSenders.obs); g != w {
		t.Errorf("dnsscan: with senders, the sequential scan's observation differs:\n%s\nwant\n%s", g, w)
	}
}

// TestSPFPrefetchAtTheBound: a tree past spfTreeMaxRecords, which the
// walk cuts in its depth-first order, while the prefetch meets records
// in the order answers come: the tree is the walk's, and what the
// prefetch asks beyond it stays bounded and out of the evidence.
func TestSPFPrefetchAtTheBound(t *testing.T) {
	zone := "big.test. TXT \"v=spf1 include:w1.big.test include:w2.big.test include:w3.big.test include:w4.big.test -all\"\n"
	for i := 1; i <= 4; i++ {
		rec := "v=spf1"
		for j := 1; j <= 10; j++ {
			rec += fmt.Sprintf(" include:l%d.w%d.big.test", j, i)
			zone += fmt.Sprintf("l%d.w%d.big.test. TXT \"v=spf1 a -all\"\n", j, i)
		}
		zone += fmt.Sprintf("w%d.big.test. TXT \"%s -all\"\n", i, rec)
	}
	srv, err := dnstest.Start("test", zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	res := NewResolver(srv.Addr, time.Second)
	var trees []string
	for _, bound := range []int{1, parallelLookups, 100} {
		before := srv.Queries()
		sc := New(Options{Resolver: res, Now: func() time.Time { return fixedNow }})
		sc.inFlight = bound
		snap := sc.Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "big.test"})
		o := snap.DNS[0]
		checkEvidence(t, o)
		tr := o.SPF.Tree
		if tr == nil || len(tr.Records) != spfTreeMaxRecords || !tr.Truncated {
			t.Fatalf("dnsscan: bound %d: tree %+v, want %d records, truncated", bound, tr, spfTreeMaxRecords)
		}
		b, _ := json.Marshal(o)
		trees = append(trees, string(b))
		dnsEvidence := 0
		for _, e := range o.Evidence {
			if e.Kind == posture.EvidenceDNS {
				dnsEvidence++
			}
		}
		// At most spfTreeMaxRecords-1 records asked and not walked,
		// with their a term's A and AAAA.
		extra := srv.Queries() - before - dnsEvidence
		t.Logf("bound %d: %d questions in the evidence, %d more asked", bound, dnsEvidence, extra)
		if extra < 0 || extra > 3*(spfTreeMaxRecords-1) {
			t.Errorf("dnsscan: bound %d: %d questions beyond the evidence", bound, extra)
		}
	}
	for i := 1; i < len(trees); i++ {
		if trees[i] != trees[0] {
			t.Errorf("dnsscan: the observations differ with the bound:\n%s\n%s", trees[0], trees[i])
		}
	}
}

// panicResolver panics when asked about one name.
type panicResolver struct {
	Resolver
	name string
}

func (r panicResolver) Exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	if strings.EqualFold(dns.Fqdn(name), dns.Fqdn(r.name)) {
		panic("resolver bug")
	}
	return r.Resolver.Exchange(ctx, name, qtype)
}

// A panic while asking a question the walk and the prefetch share
// reaches the caller of Scan (the runner recovers it) instead of leaving
// the other asker waiting.
func TestScanPanicIsNotAHang(t *testing.T) {
	back, err := dnstest.Start("test", wideZone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Close)
	for _, name := range []string{"a.wide.test", "_mta-sts.wide.test"} {
		sc := New(Options{Resolver: panicResolver{Resolver: NewResolver(back.Addr, time.Second), name: name}, Now: func() time.Time { return fixedNow }})
		done := make(chan any, 1)
		go func() {
			defer func() { done <- recover() }()
			sc.Scan(context.Background(), posture.Target{Kind: posture.TargetMail, Address: "wide.test"})
		}()
		select {
		case p := <-done:
			if p != "resolver bug" {
				t.Errorf("dnsscan: %s: Scan recovered %v, want the resolver's panic", name, p)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("dnsscan: %s: Scan hangs after a panic", name)
		}
	}
}
