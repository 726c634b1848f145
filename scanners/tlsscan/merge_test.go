package tlsscan

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// A server with an order of its own over two families is enumerated by
// one chain per family and merged: whatever the interleaving, the result
// is its order exactly, and families in blocks cost one merge hello.
func TestByFamilyMerge(t *testing.T) {
	// Candidates: 1-6 of family 0, 0x101-0x104 of family 1 (finite field).
	candidates := []uint16{1, 2, 3, 4, 5, 6, 0x101, 0x102, 0x103, 0x104}
	for _, tc := range []struct {
		name   string
		order  []uint16 // the server's, over what it accepts
		merges int      // merge hellos
	}{
		{"blocks", []uint16{3, 1, 5, 0x102, 0x101}, 1},
		{"finite field first", []uint16{0x103, 0x101, 2, 4}, 1},
		{"interleaved", []uint16{1, 0x101, 2, 0x102, 3}, -1},
		{"one family", []uint16{4, 2, 6}, 0},
		{"one item", []uint16{5}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rank := map[uint16]int{}
			for i, id := range tc.order {
				rank[id] = i + 1
			}
			var sent atomic.Int32
			send := func(_ context.Context, offer []uint16) pick {
				sent.Add(1)
				best := uint16(0)
				for _, id := range offer {
					if rank[id] > 0 && (best == 0 || rank[id] < rank[best]) {
						best = id
					}
				}
				if best == 0 {
					return pick{outcome: rejected, note: "alert handshake_failure", probes: 1}
				}
				return pick{outcome: accepted, id: best, named: true, probes: 1}
			}
			en := enumerator{addr: "test", candidates: candidates, chunks: 2, name: groupName, what: "group ",
				family: groupFamily, send: send}
			res := en.enumerate(context.Background())
			if !slices.Equal(res.accepted, tc.order) || res.missing != nil {
				t.Fatalf("accepted %v (missing %v), want %v", res.accepted, res.missing, tc.order)
			}
			if len(tc.order) > 1 && res.order != posture.Yes {
				t.Errorf("order %q, want yes", res.order)
			}
			if int(sent.Load()) != res.probes {
				t.Errorf("sent %d hellos, probes says %d", sent.Load(), res.probes)
			}
			merges := 0
			for _, st := range res.steps {
				if st.check {
					merges++
				}
			}
			merges-- // the hint
			if tc.merges >= 0 && merges != tc.merges {
				t.Errorf("%d merge hellos, want %d", merges, tc.merges)
			}
		})
	}
}
