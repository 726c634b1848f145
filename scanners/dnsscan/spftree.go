package dnsscan

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// Bounds of one SPF tree walk: a hostile zone must not make the scan ask
// without end. The receivers' limit is 10 DNS-querying terms; the walk
// goes on past it (to show how far over a record is) up to these bounds.
const (
	spfTreeMaxRecords = 30
	spfTreeMaxDepth   = 10
)

// spfTree walks the SPF record of domain (already found: record) and
// every record it includes or redirects to, through sess, and counts what
// RFC 7208 §4.6.4 limits. rootLookup is the evidence ID of the root's TXT
// lookup. It also returns the evidence IDs of the lookups it made.
func spfTree(ctx context.Context, sess *session, domain, record, rootLookup string) (*posture.SPFTree, []string) {
	w := &treeWalk{sess: sess, tree: &posture.SPFTree{}, onPath: map[string]bool{}}
	// The walk goes depth first, one question after another, as the
	// tree and its evidence are read; the prefetch asks the same
	// questions as soon as each is known to come, a level at once, so
	// that the walk finds them answered or on their way: the tree takes
	// as many round trips as it is deep, not as many as it asks.
	p := &spfPrefetch{sess: sess, records: 1}
	netlimit.Parallel(0,
		func() { p.record(ctx, domain, record, nil, 0) },
		func() { w.visit(ctx, domain, record, rootLookup, -1, "", 0) })
	// A receiver asks A for an IPv4 client and AAAA for an IPv6 one, and
	// a sender (a spoofer too) picks the family: the count that decides
	// is the larger.
	w.tree.VoidLookups = max(w.void4, w.void6)
	return w.tree, w.ids
}

type treeWalk struct {
	sess   *session
	tree   *posture.SPFTree
	onPath map[string]bool
	ids    []string // evidence IDs of the lookups made, in order
	// void4 and void6 count void lookups as an IPv4 and an IPv6 client's
	// evaluation would make them.
	void4, void6 int
}

// lookup asks through the session and remembers the evidence ID.
func (w *treeWalk) lookup(ctx context.Context, name string, qtype uint16) posture.Lookup {
	lk := w.sess.lookup(ctx, name, qtype)
	w.ids = append(w.ids, lk.Evidence)
	return lk
}

func (w *treeWalk) fail(msg string) { w.tree.Errors = append(w.tree.Errors, msg) }

func (w *treeWalk) missing(m *posture.Missing) {
	if w.tree.Missing == nil {
		w.tree.Missing = m
	}
}

// visit adds the record of domain and walks its terms.
func (w *treeWalk) visit(ctx context.Context, domain, record, lookupID string, parent int, via string, depth int) {
	t := w.tree
	idx := len(t.Records)
	t.Records = append(t.Records, posture.SPFTreeRecord{Domain: domain, Parent: parent, Via: via, Record: record, Lookup: lookupID})
	rec, err := ParseSPF(record)
	if err != nil {
		t.Records[idx].Error = err.Error()
		t.SyntaxErrors = append(t.SyntaxErrors, domain+": "+err.Error())
		return
	}
	key := spfKey(domain)
	w.onPath[key] = true
	defer delete(w.onPath, key)

	var children []func()
	for _, wt := range walkTerms(domain, rec) {
		term, tt, target := wt.term, wt.tt, wt.target
		if tt.DNS && !tt.Ignored {
			t.DNSTerms++
			t.Records[idx].DNSTerms++
		}
		if term.Name == "ptr" && !term.Modifier {
			t.UsesPTR = true
		}
		if wt.asks {
			switch {
			case term.Name == "include" || term.Name == "redirect":
				viaName := term.Name
				children = append(children, func() { w.follow(ctx, target, idx, viaName, depth+1) })
			case term.Name == "exists":
				// exists asks A whatever the client's family.
				lk := w.lookup(ctx, target, dns.TypeA)
				if tt.Void = w.void(lk); tt.Void {
					w.void4++
					w.void6++
				}
			case term.Name == "a":
				// An IPv4 client's evaluation asks A, an IPv6 one's AAAA:
				// the term is void for a family whose lookup is.
				v4 := w.void(w.lookup(ctx, target, dns.TypeA))
				v6 := w.void(w.lookup(ctx, target, dns.TypeAAAA))
				tt.Void = v4 || v6
				if v4 {
					w.void4++
				}
				if v6 {
					w.void6++
				}
			case term.Name == "mx":
				lk := w.lookup(ctx, target, dns.TypeMX)
				if tt.Void = w.void(lk); tt.Void {
					w.void4++
					w.void6++
				}
				if len(lk.Values) > spfMaxMX {
					w.fail(fmt.Sprintf("%s: mx:%s has %d hosts, more than %d", domain, target, len(lk.Values), spfMaxMX))
				}
			}
		}
		t.Records[idx].Terms = append(t.Records[idx].Terms, tt)
	}
	// Follow includes and the redirect after the record's own terms are
	// listed, so that Records stays root first and children in order.
	for _, c := range children {
		c()
	}
}

// void reports whether lk answered NXDOMAIN or no data; a failed lookup
// is not void but makes the counts lower bounds.
func (w *treeWalk) void(lk posture.Lookup) bool {
	if lk.Missing != nil {
		w.missing(lk.Missing)
		return false
	}
	return lk.Found == posture.No
}

// follow looks up the SPF record of target and visits it.
func (w *treeWalk) follow(ctx context.Context, target string, parent int, via string, depth int) {
	t := w.tree
	from := t.Records[parent].Domain
	if !validSPFDomain(target) {
		w.fail(fmt.Sprintf("%s: %s:%s is not a valid domain", from, via, target))
		return
	}
	if w.onPath[strings.ToLower(target)] {
		w.fail(fmt.Sprintf("%s: %s:%s loops back", from, via, target))
		return
	}
	if depth > spfTreeMaxDepth || len(t.Records) >= spfTreeMaxRecords {
		t.Truncated = true
		return
	}
	lk := w.lookup(ctx, target, dns.TypeTXT)
	node := posture.SPFTreeRecord{Domain: target, Parent: parent, Via: via, Lookup: lk.Evidence}
	if lk.Missing != nil {
		node.Missing = lk.Missing
		w.missing(lk.Missing)
		t.Records = append(t.Records, node)
		return
	}
	recs := spfRecords(lk.Values)
	if len(recs) != 1 {
		node.Error = fmt.Sprintf("%d SPF records at %s", len(recs), target)
		if len(recs) > 1 {
			node.Record = strings.Join(recs, " | ")
		}
		w.fail(fmt.Sprintf("%s: %s:%s: %s", from, via, target, node.Error))
		t.Records = append(t.Records, node)
		return
	}
	w.visit(ctx, target, recs[0], lk.Evidence, parent, via, depth)
}

// spfPrefetch asks the questions the walk of an SPF tree will ask, ahead
// of it and at once: a record's terms' lookups and its includes' and
// redirect's TXT lookups together, then, as each of those records comes
// in, its own, through the session (which asks each question once: the
// walk then waits for the answer on its way or reads it). It reads
// records as the walk does (walkTerms) and skips what the walk skips:
// ignored terms, macros, invalid domains, loops, records deeper than
// spfTreeMaxDepth.
//
// The walk stops following at spfTreeMaxRecords records in its own,
// depth-first order, which the prefetch cannot know before the records
// ahead are in: it stops at the same count in the order answers come.
// Below the bound (every tree but a hostile or broken one) both follow
// the same records and the prefetch asks nothing the walk does not; a
// tree that reaches it may have some of its last records asked and not
// walked (at most spfTreeMaxRecords-1 TXT lookups and their terms'),
// which stay out of the tree, its counts and the evidence.
type spfPrefetch struct {
	sess *session

	mu      sync.Mutex
	records int // records the walk will list, as far as known
}

// take counts one more record to follow, if the bound allows.
func (p *spfPrefetch) take() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.records >= spfTreeMaxRecords {
		return false
	}
	p.records++
	return true
}

// record asks what the walk will ask for record, the SPF record of
// domain at depth, below the domains on path; and goes on down.
func (p *spfPrefetch) record(ctx context.Context, domain, record string, path []string, depth int) {
	rec, err := ParseSPF(record)
	if err != nil {
		return
	}
	path = append(path[:len(path):len(path)], spfKey(domain))
	// Records first: their answers lead to more questions.
	var follows, terms []func()
	for _, wt := range walkTerms(domain, rec) {
		if !wt.asks {
			continue
		}
		target := wt.target
		switch wt.term.Name {
		case "include", "redirect":
			if !validSPFDomain(target) || slices.Contains(path, strings.ToLower(target)) || depth+1 > spfTreeMaxDepth || !p.take() {
				continue
			}
			follows = append(follows, func() { p.follow(ctx, target, path, depth+1) })
		default:
			for _, qt := range spfTermQueries[wt.term.Name] {
				terms = append(terms, func() { p.sess.lookup(ctx, target, qt) })
			}
		}
	}
	netlimit.Parallel(0, append(follows, terms...)...)
}

// follow asks for the record of target, as the walk's follow does, and
// goes on with it.
func (p *spfPrefetch) follow(ctx context.Context, target string, path []string, depth int) {
	lk := p.sess.lookup(ctx, target, dns.TypeTXT)
	if lk.Missing != nil {
		return
	}
	if recs := spfRecords(lk.Values); len(recs) == 1 {
		p.record(ctx, target, recs[0], path, depth)
	}
}

// walkTerm is one term of a record as the walk reads it.
type walkTerm struct {
	term SPFTerm
	// tt is the term as the tree lists it, Void not yet known.
	tt posture.SPFTreeTerm
	// asks says whether the walk asks about target for the term: not
	// when the term asks no DNS, is ignored or has a macro (whose
	// expansion needs a client).
	asks   bool
	target string
}

// walkTerms reads the terms of rec, the SPF record of domain, as the walk
// does: which are ignored (terms after "all", §5.1; redirect when "all"
// is present, §6.1) and what each asks about. The walk and its prefetch
// read records through it alike.
func walkTerms(domain string, rec *SPFRecord) []walkTerm {
	hasAll := false
	for _, term := range rec.Terms {
		if term.Name == "all" && !term.Modifier {
			hasAll = true
		}
	}
	reachable := true // terms after "all" are never evaluated (§5.1)
	out := make([]walkTerm, 0, len(rec.Terms))
	for _, term := range rec.Terms {
		tt := posture.SPFTreeTerm{Qualifier: term.Qualifier, Name: term.Name, Modifier: term.Modifier, DNS: term.QueriesDNS(), Value: termValue(term)}
		tt.Macro = strings.Contains(term.Domain, "%")
		if term.Modifier && term.Name == "redirect" && hasAll {
			tt.Ignored = true // §6.1: redirect is ignored when all is present
		} else if !term.Modifier && !reachable {
			tt.Ignored = true
		}
		wt := walkTerm{term: term, tt: tt}
		if !tt.Ignored && tt.DNS && !tt.Macro {
			target := term.Domain
			if target == "" {
				target = domain
			}
			wt.asks, wt.target = true, strings.TrimSuffix(target, ".")
		}
		if term.Name == "all" && !term.Modifier {
			reachable = false
		}
		out = append(out, wt)
	}
	return out
}

// spfTermQueries are the types the walk asks for the target of a term
// that asks DNS without following a record (include and redirect do;
// ptr asks nothing: its lookups need a client's address).
var spfTermQueries = map[string][]uint16{
	"exists": {dns.TypeA},
	"a":      {dns.TypeA, dns.TypeAAAA},
	"mx":     {dns.TypeMX},
}

// spfKey is how the walk names a domain on its path.
func spfKey(domain string) string { return strings.ToLower(strings.TrimSuffix(domain, ".")) }

// spfRecords returns the TXT values that are SPF records.
func spfRecords(values []string) []string {
	var recs []string
	for _, v := range values {
		if isSPFRecord(v) {
			recs = append(recs, v)
		}
	}
	return recs
}

// termValue is the argument of a term as written, without its name.
func termValue(t SPFTerm) string {
	text := t.Text
	if !t.Modifier {
		text = strings.TrimLeft(text, "+-~?")
	}
	if len(text) < len(t.Name) {
		return ""
	}
	v := text[len(t.Name):]
	if t.Modifier {
		return strings.TrimPrefix(v, "=")
	}
	return strings.TrimPrefix(v, ":")
}
