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
	if !more {
		return res
	}
	s1 := p.id
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
