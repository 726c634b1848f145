package tlsscan

import (
	"context"
	"slices"

	"github.com/vouchdev/vouch/posture"
	"github.com/vouchdev/vouch/scanners/netlimit"
)

// Enumeration by removal, in parallel chunks.
//
// Suites and groups are enumerated the same way: a hello offers a list,
// the server names the one it picks, and the same hello goes again
// without it until the server refuses. Each answer depends on the one
// before, so one list costs a round trip per accepted item. To shorten
// that chain on a real network the candidates left after the first
// answer are dealt, in turn, into chunks that are enumerated at the same
// time (their hellos hold slots of the per-host budget like any other):
// n accepted items in k chunks cost n+k hellos instead of n+1, in about
// n/k rounds instead of n.
//
// Chunks rank only their own items, so they serve servers that follow
// the client's order: the union sorted in the candidates' order is then
// what one chain finds. Beside the first answer (the whole list) goes one
// hint, the whole list reversed: a server that follows the client picks
// the other end, one with an order of its own picks the same again. The
// hint then stands for the order test (the accepted items offered in
// reverse) whenever it says the same thing, so it costs no hello of its
// own; a server with its own order is enumerated by one chain, as before.
// For such servers the sequential chain is the price of an exact order:
// ranking chunks against each other would cost a hello per item again.
// Except where the candidates fall into families that servers rank apart
// (TLS 1.3's elliptic and finite-field groups, enumerator.family): one
// chain per family runs at once, each in the server's order, and merge
// interleaves them, one hello per family when they come in blocks.

// pick is the answer to one hello of an enumeration.
type pick struct {
	outcome outcome
	// id is what the server chose, when accepted and named.
	id    uint16
	named bool
	note  string // why it was refused
	// missing says why nothing could be told (outcome failed).
	missing *posture.Missing
	probes  int // connections this answer took
	r       probeResult
}

// pickOf reads a probe's answer; chosen names the item of an accepted one.
func pickOf(r probeResult, chosen func(probeResult) (uint16, bool)) pick {
	p := pick{outcome: r.outcome, note: r.note, missing: r.missing, r: r}
	if r.connected {
		p.probes = 1
	}
	if r.outcome == accepted {
		p.id, p.named = chosen(r)
	}
	return p
}

// removalStep is one hello of an enumeration, for the evidence.
type removalStep struct {
	offered int
	p       pick
	// check is set on the order test and the merge, which enumerate
	// nothing new.
	check bool
}

// enumerator is one list to enumerate.
type enumerator struct {
	addr       string
	candidates []uint16
	// chunks is how many chains enumerate the candidates left after the
	// first answer; 1 is the plain sequential enumeration.
	chunks int
	// pin, when not 0, stays in every offer (last) and ends the
	// enumeration when picked (enumerateGroups12); it forces one chunk.
	pin uint16
	// what prefixes an item's name in messages ("" or "group ").
	what string
	name func(uint16) string
	// send offers a list and reads the answer; it is called from several
	// goroutines at once.
	send func(ctx context.Context, offer []uint16) pick
	// first, when set, is the answer to the whole candidate list, sent
	// already (the version probe).
	first *pick
	// family, when set, sorts the candidates into families (TLS 1.3
	// groups: finite-field or elliptic): a server with an order of its
	// own is then enumerated by one chain per family at once, and the
	// chains merged (merge), rather than by one chain of them all.
	family func(uint16) int
	// hint, when set beside first, is the answer to the reversed list,
	// sent already at the same time as first. With one chunk it is still
	// recorded (its connection was made) but settles nothing.
	hint *pick
}

// removalResult is what an enumeration found.
type removalResult struct {
	accepted []uint16
	order    posture.Tri
	probes   int
	steps    []removalStep
	missing  *posture.Missing
}

// chain is one chunk's enumeration.
type chain struct {
	accepted []uint16
	steps    []removalStep
	probes   int
	missing  *posture.Missing
}

// take records p, the answer to offer, in c. It returns whether the
// enumeration goes on, and the index of the chosen item in offer.
func (en *enumerator) take(c *chain, offer []uint16, p pick) (int, bool) {
	c.probes += p.probes
	c.steps = append(c.steps, removalStep{offered: len(offer), p: p})
	switch p.outcome {
	case failed:
		c.missing = p.missing
		return -1, false
	case rejected:
		return -1, false
	}
	i := -1
	if p.named {
		i = slices.Index(offer, p.id)
	}
	if i < 0 {
		detail := "tlsscan: " + en.addr + " named no " + en.what + "it was offered"
		if p.named {
			detail = "tlsscan: " + en.addr + " chose " + en.what + en.name(p.id) + ", which was not offered"
		}
		c.missing = &posture.Missing{Reason: posture.ReasonProtocolError, Detail: detail}
		return -1, false
	}
	c.accepted = append(c.accepted, p.id)
	return i, p.id != en.pin || en.pin == 0
}

// run enumerates offer until the server refuses, offer is empty, or the
// pin is picked.
func (en *enumerator) run(ctx context.Context, offer []uint16) chain {
	var c chain
	remaining := slices.Clone(offer)
	for range len(offer) {
		if ctx.Err() != nil {
			c.missing = posture.MissingFor(ctx, ctx.Err())
			break
		}
		i, more := en.take(&c, remaining, en.send(ctx, remaining))
		if !more {
			break
		}
		remaining = slices.Delete(remaining, i, i+1)
		if len(remaining) == 0 {
			break
		}
	}
	return c
}

// deal splits ids into k chunks, one item to each in turn, so that the
// commonest items (first in the lists) spread over all of them; empty
// chunks are left out.
func deal(ids []uint16, k int) [][]uint16 {
	if k < 1 {
		k = 1
	}
	out := make([][]uint16, k)
	for i, id := range ids {
		out[i%k] = append(out[i%k], id)
	}
	return slices.DeleteFunc(out, func(c []uint16) bool { return len(c) == 0 })
}

// enumerate runs the enumeration: the first answer and, when it uses
// chunks, the hint beside it; then one chain or the chunks at once; then
// the order test when the hint did not settle it.
func (en *enumerator) enumerate(ctx context.Context) removalResult {
	res := removalResult{order: posture.Unknown}
	k := en.chunks
	if en.pin != 0 || len(en.candidates) < 3 {
		k = 1
	}
	var head chain
	var p, hint pick
	rev := slices.Clone(en.candidates)
	slices.Reverse(rev)
	switch {
	case k == 1 && en.first != nil:
		p = *en.first
	case k == 1:
		p = en.send(ctx, en.candidates)
	case en.first != nil && en.hint != nil:
		p, hint = *en.first, *en.hint
	case en.first != nil:
		p = *en.first
		if p.outcome == accepted {
			hint = en.send(ctx, rev)
		}
	default:
		netlimit.Parallel(0,
			func() { hint = en.send(ctx, rev) },
			func() { p = en.send(ctx, en.candidates) })
	}
	i, more := en.take(&head, en.candidates, p)
	res.probes, res.steps, res.missing, res.accepted = head.probes, head.steps, head.missing, head.accepted
	res.probes += hint.probes
	if k == 1 && en.hint != nil {
		res.probes += en.hint.probes
		res.steps = append(res.steps, removalStep{offered: len(rev), p: *en.hint, check: true})
	}
	if !more {
		if k > 1 && (en.hint != nil || hint.probes > 0) {
			res.steps = append(res.steps, removalStep{offered: len(rev), p: hint, check: true})
		}
		return res
	}
	s1 := p.id
	own := false // the hint showed an order of the server's own
	if k > 1 {
		res.steps = append(res.steps, removalStep{offered: len(rev), p: hint, check: true})
		switch {
		case hint.outcome == failed:
			// The hint is only a shortcut: without its answer, one
			// chain still finds every suite and the order.
			k = 1
		case hint.outcome == rejected || !hint.named || hint.id == s1:
			// The same first pick from the reversed list: an order of
			// the server's own (or a single suite). Chunks would rank
			// only themselves: one chain finds the order.
			k = 1
			own = hint.named && hint.id == s1
		}
	}
	rest := slices.Delete(slices.Clone(en.candidates), i, i+1)
	if len(rest) == 0 {
		return res
	}
	if ctx.Err() != nil {
		res.missing = posture.MissingFor(ctx, ctx.Err())
		return res
	}
	if own && en.family != nil {
		if fams := families(rest, en.family); len(fams) > 1 {
			return en.byFamily(ctx, res, s1, fams)
		}
	}
	chunks := deal(rest, k)
	chains := make([]chain, len(chunks))
	tasks := make([]func(), len(chunks))
	for j, c := range chunks {
		tasks[j] = func() { chains[j] = en.run(ctx, c) }
	}
	netlimit.Parallel(0, tasks...)
	for _, c := range chains {
		res.probes += c.probes
		res.steps = append(res.steps, c.steps...)
		if res.missing == nil {
			res.missing = c.missing
		}
		res.accepted = append(res.accepted, c.accepted...)
	}
	if len(chunks) > 1 {
		// The client's order: what one chain finds when the server
		// follows it.
		pos := func(id uint16) int { return slices.Index(en.candidates, id) }
		slices.SortStableFunc(res.accepted[1:], func(a, b uint16) int { return pos(a) - pos(b) })
	}
	if len(res.accepted) < 2 || res.missing != nil {
		return res
	}
	last := res.accepted[len(res.accepted)-1]
	switch {
	case hint.named && hint.id == s1:
		res.order = posture.Yes
		return res
	case hint.named && hint.id == last:
		res.order = posture.No
		return res
	}

	rev = slices.Clone(res.accepted)
	slices.Reverse(rev)
	p = en.send(ctx, rev)
	res.probes += p.probes
	res.steps = append(res.steps, removalStep{offered: len(rev), p: p, check: true})
	if p.outcome == accepted && p.named {
		switch p.id {
		case res.accepted[0]:
			res.order = posture.Yes
		case rev[0]:
			res.order = posture.No
		}
	}
	return res
}

// families sorts ids by family, families in the order they first appear.
func families(ids []uint16, family func(uint16) int) [][]uint16 {
	var out [][]uint16
	index := map[int]int{}
	for _, id := range ids {
		f := family(id)
		j, ok := index[f]
		if !ok {
			j = len(out)
			index[f] = j
			out = append(out, nil)
		}
		out[j] = append(out[j], id)
	}
	return out
}

// byFamily continues res, whose first answer was top from a server with
// an order of its own, with one chain per family at once; each chain
// finds its family in the server's order, and merge interleaves them.
func (en *enumerator) byFamily(ctx context.Context, res removalResult, top uint16, fams [][]uint16) removalResult {
	chains := make([]chain, len(fams))
	tasks := make([]func(), len(fams))
	for j, f := range fams {
		tasks[j] = func() { chains[j] = en.run(ctx, f) }
	}
	netlimit.Parallel(0, tasks...)
	lists := make([][]uint16, len(fams))
	for j, c := range chains {
		res.probes += c.probes
		res.steps = append(res.steps, c.steps...)
		if res.missing == nil {
			res.missing = c.missing
		}
		lists[j] = c.accepted
		if en.family(fams[j][0]) == en.family(top) {
			lists[j] = append([]uint16{top}, lists[j]...)
		}
	}
	if !slices.ContainsFunc(fams, func(f []uint16) bool { return en.family(f[0]) == en.family(top) }) {
		lists = append(lists, []uint16{top})
	}
	if res.missing != nil {
		for _, l := range lists {
			res.accepted = append(res.accepted, l...)
		}
		res.accepted = slices.DeleteFunc(res.accepted, func(id uint16) bool { return id == top })
		res.accepted = append([]uint16{top}, res.accepted...)
		return res
	}
	merged, steps, probes, missing := en.merge(ctx, lists, top)
	res.probes += probes
	res.steps = append(res.steps, steps...)
	res.accepted = merged
	if missing != nil {
		res.missing = missing
		return res
	}
	if len(merged) > 1 {
		res.order = posture.Yes
	}
	return res
}

// merge interleaves lists, each in the server's order, into the server's
// order over them all; top, the head of one of them, is known to be its
// first pick of all. Each hello offers the last item of the list whose
// head is the current first pick beside the heads of the others: when
// the server picks that last item, the whole list comes before every
// other (it is its list's last, they are their lists' first); otherwise
// the head alone is taken, and the heads of all are offered to find the
// next first pick. Lists that follow one another, as a server's
// elliptic-curve and finite-field groups do, cost one hello per list.
// When a hello fails, the lists are returned one after another with the
// reason: the set is right, the order beyond top is not known.
func (en *enumerator) merge(ctx context.Context, lists [][]uint16, top uint16) (out []uint16, steps []removalStep, probes int, missing *posture.Missing) {
	lists = slices.DeleteFunc(slices.Clone(lists), func(l []uint16) bool { return len(l) == 0 })
	x := slices.IndexFunc(lists, func(l []uint16) bool { return l[0] == top })
	ask := func(offer []uint16) (uint16, bool) {
		p := en.send(ctx, offer)
		probes += p.probes
		steps = append(steps, removalStep{offered: len(offer), p: p, check: true})
		if p.outcome != accepted || !p.named || !slices.Contains(offer, p.id) {
			missing = p.missing
			if missing == nil {
				missing = &posture.Missing{Reason: posture.ReasonProtocolError,
					Detail: "tlsscan: " + en.addr + " did not pick one of the " + en.what + "items it accepted before, so their order is not known"}
			}
			return 0, false
		}
		return p.id, true
	}
	fail := func() ([]uint16, []removalStep, int, *posture.Missing) {
		for _, l := range lists {
			out = append(out, l...)
		}
		return out, steps, probes, missing
	}
	for len(lists) > 1 {
		if x < 0 {
			var heads []uint16
			for _, l := range lists {
				heads = append(heads, l[0])
			}
			id, ok := ask(heads)
			if !ok {
				return fail()
			}
			x = slices.IndexFunc(lists, func(l []uint16) bool { return l[0] == id })
		}
		l := lists[x]
		if len(l) == 1 {
			out = append(out, l[0])
			lists = slices.Delete(lists, x, x+1)
			x = -1
			continue
		}
		offer := []uint16{l[len(l)-1]}
		for j, o := range lists {
			if j != x {
				offer = append(offer, o[0])
			}
		}
		id, ok := ask(offer)
		if !ok {
			return fail()
		}
		if id == l[len(l)-1] {
			out = append(out, l...)
			lists = slices.Delete(lists, x, x+1)
		} else {
			out = append(out, l[0])
			lists[x] = l[1:]
		}
		x = -1
	}
	for _, l := range lists {
		out = append(out, l...)
	}
	return out, steps, probes, nil
}
