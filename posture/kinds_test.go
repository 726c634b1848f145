package posture

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var observationType = reflect.TypeOf(Observation{})

// observationLists returns the fields of Snapshot that hold observations:
// slices of a struct that embeds Observation.
func observationLists(t *testing.T) []reflect.StructField {
	var out []reflect.StructField
	st := reflect.TypeOf(Snapshot{})
	for i := 0; i < st.NumField(); i++ {
		f := st.Field(i)
		if f.Type.Kind() != reflect.Slice || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		if e, ok := f.Type.Elem().FieldByName("Observation"); ok && e.Anonymous && e.Type == observationType {
			out = append(out, f)
		}
	}
	if len(out) < 4 {
		t.Fatalf("found %d observation lists in Snapshot; the test lost them", len(out))
	}
	return out
}

// Every list of observations in a Snapshot has its row in the table, and
// the row is the list's: the one a new scanner forgets to register fails
// here, and Merge, Sort, Filter and Failed would otherwise drop it.
func TestEveryListIsAKind(t *testing.T) {
	lists := observationLists(t)
	if len(lists) != len(Kinds()) {
		t.Errorf("%d observation lists in Snapshot, %d rows in the table of kinds", len(lists), len(Kinds()))
	}
	seen := map[ScannerID]bool{}
	for i, f := range lists {
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		k, ok := KindOf(ScannerID(tag))
		if !ok {
			t.Errorf("Snapshot.%s (json %q) has no row in the table of kinds", f.Name, tag)
			continue
		}
		if seen[k.Scanner] {
			t.Errorf("two lists for scanner %s", k.Scanner)
		}
		seen[k.Scanner] = true
		if Kinds()[i].Scanner != k.Scanner {
			t.Errorf("row %d is %s; the table is in the order of the Snapshot's lists (%s)", i, Kinds()[i].Scanner, f.Name)
		}
		if k.Title == "" {
			t.Errorf("%s has no title", k.Scanner)
		}

		// The row works on its list and no other.
		var s Snapshot
		reflect.ValueOf(&s).Elem().FieldByIndex(f.Index).Set(reflect.MakeSlice(f.Type, 3, 3))
		for _, other := range Kinds() {
			want := 0
			if other.Scanner == k.Scanner {
				want = 3
			}
			if n := other.Len(&s); n != want {
				t.Errorf("Snapshot.%s holds 3: row %s counts %d", f.Name, other.Scanner, n)
			}
		}

		// Failed fills the list's header and the fields a check reads
		// before it looks at Missing.
		tg := Target{Kind: TargetWeb, Address: "https://a.example:8443/"}
		why := &Missing{Reason: ReasonNotScanned, Detail: "off"}
		fs := Failed(k.Scanner, tg, time.Unix(5, 0), why)
		l := reflect.ValueOf(fs).FieldByIndex(f.Index)
		if l.Len() != 1 || len(fs.Observations()) != 1 {
			t.Fatalf("Failed(%s) = %+v", k.Scanner, fs)
		}
		if h := fs.Observations()[0]; h.Target != tg || h.Scanner != tag || !h.ObservedAt.Equal(time.Unix(5, 0)) || h.Missing != why {
			t.Errorf("Failed(%s) header %+v", k.Scanner, h)
		}
	}
	if s := Failed("nope", Target{}, time.Time{}, nil); len(s.Observations()) != 0 {
		t.Errorf("Failed of an unknown scanner = %+v", s)
	}
	// What Failed set besides the header, as scanners.Failed did.
	tg := Target{Kind: TargetWeb, Address: "https://a.example:8443/"}
	if o := Failed(ScannerTLS, tg, time.Time{}, nil).TLS[0]; o.Endpoint != "a.example:8443" {
		t.Errorf("failed TLS endpoint %q", o.Endpoint)
	}
	if o := Failed(ScannerHTTP, tg, time.Time{}, nil).HTTP[0]; o.UpgradesToHTTPS != Unknown || o.SameHostFirst != Unknown {
		t.Errorf("failed HTTP %+v", o)
	}
	if o := Failed(ScannerDNS, Target{Kind: TargetMail, Address: "Mail.Example."}, time.Time{}, nil).DNS[0]; o.Domain != "mail.example" {
		t.Errorf("failed DNS domain %q", o.Domain)
	}
	if o := Failed(ScannerWAF, tg, time.Time{}, nil).WAF[0]; o.URL != tg.Address || o.Present != Unknown {
		t.Errorf("failed WAF %+v", o)
	}
}

// Merge, Sort, Clone, Filter, Observations and AllEvidence reach every
// list, and the copies leave the original as it was.
func TestSnapshotLists(t *testing.T) {
	var a, b Snapshot
	fill(reflectValue(&a))
	fill(reflectValue(&b))
	lists := observationLists(t)
	// Give b's observations other targets and sources, in reverse order.
	n := 0
	for _, k := range Kinds() {
		hs := k.Headers(&b)
		for i, h := range hs {
			h.Target = Target{Kind: TargetWeb, Address: "https://b.example/" + string(k.Scanner)}
			h.Source = string(rune('z' - i))
			h.Evidence = []Evidence{{ID: string(k.Scanner) + "/" + h.Source}}
			n++
		}
	}
	total := len(a.Observations()) + len(b.Observations())
	if len(a.Observations()) != 2*len(lists) || n != 2*len(lists) {
		t.Fatalf("filled snapshots hold %d and %d observations; want 2 per list", len(a.Observations()), n)
	}
	ev := len(a.AllEvidence()) + len(b.AllEvidence())

	m := *a.Clone()
	m.Merge(b)
	if len(m.Observations()) != total || len(m.AllEvidence()) != ev {
		t.Fatalf("merged: %d observations, %d evidence; want %d, %d", len(m.Observations()), len(m.AllEvidence()), total, ev)
	}
	before := m.Observations()
	sorted := m.Clone()
	sorted.Sort()
	if !reflect.DeepEqual(m.Observations(), before) {
		t.Error("sorting a clone changed the original")
	}
	for _, k := range Kinds() {
		hs := k.Headers(sorted)
		keys := make([]string, len(hs))
		for i, h := range hs {
			keys[i] = h.Target.String() + "\x00" + h.Source
		}
		if !slices.IsSorted(keys) || len(hs) != 4 {
			t.Errorf("%s after Sort: %q", k.Scanner, keys)
		}
	}

	onlyB := m.Filter(func(tg Target) bool { return strings.HasPrefix(tg.Address, "https://b.example/") })
	if got := onlyB.Observations(); len(got) != len(b.Observations()) {
		t.Errorf("filtered: %d observations, want %d", len(got), len(b.Observations()))
	}
	for _, k := range Kinds() {
		if k.Len(onlyB) != 2 {
			t.Errorf("%s after Filter: %d, want 2", k.Scanner, k.Len(onlyB))
		}
	}
	if len(m.Observations()) != total {
		t.Error("Filter changed the original")
	}
}

func reflectValue(s *Snapshot) reflect.Value { return reflect.ValueOf(s).Elem() }
