package posture

import (
	"slices"
	"sort"
	"time"
)

// The table of observation kinds: one row per scanner, saying how a
// Snapshot holds that scanner's observations. Everything that treats the
// lists of a Snapshot alike (Merge, Sort, Clone, Filter, Observations,
// AllEvidence, Failed, a check's Needs) goes through it, so that a new
// scanner is its package, its observation type and field here in posture,
// and one row below; TestEveryListIsAKind fails while the row is missing.
var kinds = []ObservationKind{
	kindOf(ScannerTLS, "TLS", func(s *Snapshot) *[]TLSObservation { return &s.TLS },
		func(o *TLSObservation) *Observation { return &o.Observation },
		func(o Observation) TLSObservation {
			return TLSObservation{Observation: o, Endpoint: o.Target.HostPort()}
		}),
	kindOf(ScannerHTTP, "HTTP", func(s *Snapshot) *[]HTTPObservation { return &s.HTTP },
		func(o *HTTPObservation) *Observation { return &o.Observation },
		func(o Observation) HTTPObservation {
			return HTTPObservation{Observation: o, UpgradesToHTTPS: Unknown, SameHostFirst: Unknown}
		}),
	kindOf(ScannerDNS, "DNS", func(s *Snapshot) *[]DNSObservation { return &s.DNS },
		func(o *DNSObservation) *Observation { return &o.Observation },
		func(o Observation) DNSObservation { return DNSObservation{Observation: o, Domain: o.Target.Host()} }),
	kindOf(ScannerWAF, "WAF", func(s *Snapshot) *[]WAFObservation { return &s.WAF },
		func(o *WAFObservation) *Observation { return &o.Observation },
		func(o Observation) WAFObservation {
			return WAFObservation{Observation: o, URL: o.Target.Address, Present: Unknown}
		}),
}

// ObservationKind is one row of the table of observation kinds: the
// scanner that makes them and how to handle their list in a Snapshot.
type ObservationKind struct {
	// Scanner makes the observations of this kind and is their
	// Observation.Scanner.
	Scanner ScannerID
	// Title names the kind for people: "TLS", "DNS".
	Title string

	// Each takes the Snapshot(s) and works on this kind's list only.
	failed  func(*Snapshot, Observation)
	merge   func(dst, src *Snapshot)
	sort    func(*Snapshot, func(*Observation) string)
	clone   func(*Snapshot)
	filter  func(*Snapshot, func(Target) bool)
	headers func(*Snapshot, func(*Observation))
	each    func(*Snapshot, func(any, *Observation) error) error
	count   func(*Snapshot) int
}

// kindOf makes the row of the observations of type T, held in the list
// that field returns; header gives an observation's header, failed makes
// an observation of T that holds only a header.
func kindOf[T any](id ScannerID, title string, field func(*Snapshot) *[]T, header func(*T) *Observation, failed func(Observation) T) ObservationKind {
	return ObservationKind{
		Scanner: id,
		Title:   title,
		failed: func(s *Snapshot, o Observation) {
			l := field(s)
			*l = append(*l, failed(o))
		},
		merge: func(dst, src *Snapshot) {
			l := field(dst)
			*l = append(*l, *field(src)...)
		},
		sort: func(s *Snapshot, key func(*Observation) string) {
			l := *field(s)
			sort.SliceStable(l, func(i, j int) bool { return key(header(&l[i])) < key(header(&l[j])) })
		},
		clone: func(s *Snapshot) {
			l := field(s)
			*l = slices.Clone(*l)
		},
		filter: func(s *Snapshot, keep func(Target) bool) {
			l := field(s)
			var out []T
			for i := range *l {
				if keep(header(&(*l)[i]).Target) {
					out = append(out, (*l)[i])
				}
			}
			*l = out
		},
		headers: func(s *Snapshot, f func(*Observation)) {
			l := *field(s)
			for i := range l {
				f(header(&l[i]))
			}
		},
		each: func(s *Snapshot, f func(any, *Observation) error) error {
			l := *field(s)
			for i := range l {
				if err := f(&l[i], header(&l[i])); err != nil {
					return err
				}
			}
			return nil
		},
		count: func(s *Snapshot) int { return len(*field(s)) },
	}
}

// Kinds returns the table of observation kinds, in the order of the
// Snapshot's lists (tls, http, dns, waf).
func Kinds() []ObservationKind { return slices.Clone(kinds) }

// KindOf returns the row of the kind id makes, if there is one.
func KindOf(id ScannerID) (ObservationKind, bool) {
	for _, k := range kinds {
		if k.Scanner == id {
			return k, true
		}
	}
	return ObservationKind{}, false
}

// Headers returns the header of every observation of this kind in s, in
// order: pointers into s, so that a change through one changes s.
func (k ObservationKind) Headers(s *Snapshot) []*Observation {
	var out []*Observation
	k.headers(s, func(o *Observation) { out = append(out, o) })
	return out
}

// Each calls f with every observation of this kind in s, in order: the
// observation itself (a pointer to its TLSObservation, HTTPObservation …,
// for encoding) and its header; it stops at f's first error and returns
// it.
func (k ObservationKind) Each(s *Snapshot, f func(obs any, hdr *Observation) error) error {
	return k.each(s, f)
}

// Field is the JSON name of this kind's list in a Snapshot: "tls", "http".
func (k ObservationKind) Field() string { return string(k.Scanner) }

// Len returns how many observations of this kind s holds.
func (k ObservationKind) Len(s *Snapshot) int { return k.count(s) }

// Failed returns a snapshot fragment holding one observation of t by the
// scanner id that says it could not observe, and why: what a scanner that
// panicked, or did not run, leaves behind. An unknown scanner gives an
// empty fragment.
func Failed(id ScannerID, t Target, at time.Time, why *Missing) Snapshot {
	var s Snapshot
	if k, ok := KindOf(id); ok {
		k.failed(&s, Observation{Target: t, Scanner: string(id), ObservedAt: at, Missing: why})
	}
	return s
}
