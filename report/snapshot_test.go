package report

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/reflectfill"
	"github.com/vouchdev/vouch/posture"
)

// probeSnapshot is a snapshot with every field filled, three observations
// of each kind: one whose every part was observed, one whose parts each
// say why they were not, and one not observed at all.
func probeSnapshot() *posture.Snapshot {
	var s posture.Snapshot
	reflectfill.Fill(reflect.ValueOf(&s).Elem(), func(v reflect.Value, depth int) bool {
		switch v.Type() {
		case reflect.TypeOf(time.Time{}):
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 9, 30, depth, 0, time.UTC)))
		case reflect.TypeOf(posture.Tri("")):
			v.SetString(string(posture.Yes))
		default:
			return false
		}
		return true
	})
	for _, k := range posture.Kinds() {
		hs := k.Headers(&s)
		for _, h := range hs {
			h.Missing = nil
		}
		clearMissing(reflect.ValueOf(&s).Elem(), k.Scanner)
	}
	// The second of each kind keeps its parts' reasons; one DKIM key of
	// it found nothing.
	s.DNS[1].DKIM[1].Lookup.Missing = nil
	s.DNS[1].DKIM[1].Lookup.Found = posture.No
	at := time.Date(2026, 11, 23, 9, 31, 0, 0, time.UTC)
	why := &posture.Missing{Reason: posture.ReasonTimeout, Detail: "no answer in 5s"}
	for _, k := range posture.Kinds() {
		s.Merge(posture.Failed(k.Scanner, posture.Target{Kind: posture.TargetWeb, Address: "https://down.example"}, at, why))
	}
	return &s
}

// clearMissing sets every *posture.Missing below the first observation of
// the list of kind id to nil.
func clearMissing(snap reflect.Value, id posture.ScannerID) {
	st := snap.Type()
	for i := 0; i < st.NumField(); i++ {
		if strings.Split(st.Field(i).Tag.Get("json"), ",")[0] == string(id) {
			nilMissing(snap.Field(i).Index(0))
		}
	}
}

func nilMissing(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type() == reflect.TypeOf(&posture.Missing{}) {
			v.Set(reflect.Zero(v.Type()))
		} else if !v.IsNil() {
			nilMissing(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			nilMissing(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				nilMissing(v.Field(i))
			}
		}
	}
}

// WriteSnapshot prints what `vouch probe` has always printed (the golden
// file was written by the printer before it moved here from cmd/vouch).
func TestWriteSnapshot(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSnapshot(&b, probeSnapshot()); err != nil {
		t.Fatal(err)
	}
	golden(t, "snapshot.txt", b.String())
	for _, want := range []string{"TLS s3 (s4) at", "could not observe: timeout: no answer in 5s", "(none: s8)", "dkim s5"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

// A kind without a block of its own is still printed, by its headers.
func TestWriteSnapshotFallback(t *testing.T) {
	saved := snapshotBlocks[posture.ScannerWAF]
	delete(snapshotBlocks, posture.ScannerWAF)
	defer func() { snapshotBlocks[posture.ScannerWAF] = saved }()
	s := posture.Failed(posture.ScannerWAF, posture.Target{Kind: posture.TargetWeb, Address: "https://down.example"},
		time.Date(2026, 11, 23, 9, 31, 0, 0, time.UTC), &posture.Missing{Reason: posture.ReasonRefused})
	s.Merge(posture.Snapshot{WAF: []posture.WAFObservation{{Observation: posture.Observation{
		Target: posture.Target{Kind: posture.TargetWeb, Address: "https://up.example"}, Source: "127.0.0.1:443", ObservedAt: time.Date(2026, 11, 23, 9, 32, 0, 0, time.UTC)}}}})
	var b bytes.Buffer
	if err := WriteSnapshot(&b, &s); err != nil {
		t.Fatal(err)
	}
	want := "WAF https://down.example () at 2026-11-23T09:31:00Z\n  could not observe: refused\nWAF https://up.example (127.0.0.1:443) at 2026-11-23T09:32:00Z\n"
	if b.String() != want {
		t.Errorf("fallback:\n%s\nwant:\n%s", b.String(), want)
	}
}
