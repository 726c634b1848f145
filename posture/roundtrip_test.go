package posture

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/vouchdev/vouch/internal/reflectfill"
)

// fill sets every field of v (recursively) to a non-zero value, so that a
// field added later without a JSON tag that survives the round trip fails
// the test below. Verdict and Severity fields get valid values.
func fill(v reflect.Value) {
	reflectfill.Fill(v, func(v reflect.Value, depth int) bool {
		switch v.Type() {
		case reflect.TypeOf(time.Time{}):
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 9, 30, depth, 0, time.UTC)))
		case reflect.TypeOf(Verdict("")):
			v.SetString(string(Contradicted))
		case reflect.TypeOf(Severity("")):
			v.SetString(string(SeverityHigh))
		default:
			return false
		}
		return true
	})
}

func TestJSONRoundTrip(t *testing.T) {
	for _, x := range []any{&Snapshot{}, &Report{}, &Declaration{}} {
		t.Run(reflect.TypeOf(x).Elem().Name(), func(t *testing.T) {
			fill(reflect.ValueOf(x).Elem())
			b, err := json.Marshal(x)
			if err != nil {
				t.Fatal(err)
			}
			y := reflect.New(reflect.TypeOf(x).Elem()).Interface()
			if err := json.Unmarshal(b, y); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(x, y) {
				b2, _ := json.Marshal(y)
				t.Fatalf("round trip lost data:\n before %s\n after  %s", b, b2)
			}
		})
	}
}

func TestUnknownVerdictRejected(t *testing.T) {
	var f Finding
	if err := json.Unmarshal([]byte(`{"verdict":"passed"}`), &f); err == nil {
		t.Fatal("want error for unknown verdict")
	}
}

func TestCombine(t *testing.T) {
	cases := []struct {
		in   []Verdict
		want Verdict
	}{
		{nil, NotApplicable},
		{[]Verdict{Verified, Verified}, Verified},
		{[]Verdict{Verified, Inconclusive}, Inconclusive},
		{[]Verdict{Inconclusive, Contradicted, Verified}, Contradicted},
		{[]Verdict{Waived, Verified}, Waived},
		{[]Verdict{Attested}, Attested},
	}
	for _, c := range cases {
		if got := Combine(c.in...); got != c.want {
			t.Errorf("Combine(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestWaiverApplies(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	w := Waiver{Control: "hsts", Target: "https://legacy.example", Expires: now.Add(24 * time.Hour)}
	if !w.Applies("hsts", "https://legacy.example", now) {
		t.Error("waiver should apply before expiry")
	}
	if w.Applies("hsts", "https://app.example", now) {
		t.Error("waiver applies only to its target")
	}
	if w.Applies("tls", "https://legacy.example", now) {
		t.Error("waiver applies only to its control")
	}
	if w.Applies("hsts", "https://legacy.example", now.Add(48*time.Hour)) {
		t.Error("expired waiver must not apply")
	}
}

func TestTarget(t *testing.T) {
	w := Target{Kind: TargetWeb, Address: "https://127.0.0.1:8443"}
	if w.Host() != "127.0.0.1" || w.Port() != 8443 || w.HostPort() != "127.0.0.1:8443" {
		t.Errorf("got %s %d %s", w.Host(), w.Port(), w.HostPort())
	}
	w = Target{Kind: TargetWeb, Address: "https://[::1]/"}
	if w.HostPort() != "[::1]:443" {
		t.Errorf("got %s", w.HostPort())
	}
	m := Target{Kind: TargetMail, Address: "Example.COM."}
	if m.Host() != "example.com" {
		t.Errorf("got %s", m.Host())
	}
}
