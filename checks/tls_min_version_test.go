package checks

import (
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

func tlsObs(protos map[string]posture.Tri) posture.TLSObservation {
	o := posture.TLSObservation{
		Observation: obs(web("https://app.acme.example"), "tls", "192.0.2.10:443", "tls-1"),
		Endpoint:    "app.acme.example:443",
	}
	for _, name := range posture.ProtocolNames {
		if t, ok := protos[name]; ok {
			p := posture.ProtocolSupport{Name: name, Offered: t}
			if t == posture.Unknown {
				p.Missing = miss(posture.ReasonTimeout)
			}
			o.Protocols = append(o.Protocols, p)
		}
	}
	return o
}

// modern: only TLS 1.2 and 1.3.
var modern = map[string]posture.Tri{
	posture.SSLv3: posture.No, posture.TLSv1_0: posture.No, posture.TLSv1_1: posture.No,
	posture.TLSv1_2: posture.Yes, posture.TLSv1_3: posture.Yes,
}

func with(base map[string]posture.Tri, kv ...any) map[string]posture.Tri {
	out := map[string]posture.Tri{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1].(posture.Tri)
	}
	return out
}

func TestTLSMinVersion(t *testing.T) {
	Y, N, U := posture.Yes, posture.No, posture.Unknown
	tests := []struct {
		name   string
		params map[string]string
		o      posture.TLSObservation
		want   row
	}{
		{"modern only", nil, tlsObs(modern), row{posture.Verified, ""}},
		{"only TLS 1.3", nil, tlsObs(with(modern, posture.TLSv1_2, N)), row{posture.Verified, ""}},
		{"TLS 1.0 enabled", nil, tlsObs(with(modern, posture.TLSv1_0, Y)), row{posture.Contradicted, CodeTLS10Enabled}},
		{"TLS 1.1 enabled", nil, tlsObs(with(modern, posture.TLSv1_1, Y)), row{posture.Contradicted, CodeTLS11Enabled}},
		{"SSLv3 is the first offender", nil, tlsObs(with(modern, posture.SSLv3, Y, posture.TLSv1_1, Y)), row{posture.Contradicted, CodeTLSSSL3Enabled}},
		{"old enabled beats an unknown", nil, tlsObs(with(modern, posture.SSLv3, U, posture.TLSv1_1, Y)), row{posture.Contradicted, CodeTLS11Enabled}},
		{"min 1.3 rejects 1.2", map[string]string{"min": "TLSv1.3"}, tlsObs(modern), row{posture.Contradicted, CodeTLS12Enabled}},
		{"min 1.1 accepts 1.1", map[string]string{"min": "TLS1.1"}, tlsObs(with(modern, posture.TLSv1_1, Y)), row{posture.Verified, ""}},
		{"nothing modern", nil, tlsObs(with(modern, posture.TLSv1_2, N, posture.TLSv1_3, N)), row{posture.Contradicted, CodeTLSNoneModern}},
		{"old version unknown", nil, tlsObs(with(modern, posture.TLSv1_0, U)), row{posture.Inconclusive, ""}},
		{"old version not probed", nil, tlsObs(with(modern, posture.SSLv3, nil)), row{posture.Inconclusive, ""}},
		{"modern unknown, none yes", nil, tlsObs(with(modern, posture.TLSv1_2, U, posture.TLSv1_3, N)), row{posture.Inconclusive, ""}},
		{"modern unknown, other yes", nil, tlsObs(with(modern, posture.TLSv1_2, U)), row{posture.Verified, ""}},
		{"nothing probed", nil, tlsObs(nil), row{posture.Inconclusive, ""}},
		{"endpoint unreachable", nil, func() posture.TLSObservation {
			o := tlsObs(nil)
			o.Observation = failed(o.Observation, posture.ReasonRefused)
			return o
		}(), row{posture.Inconclusive, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := runKind(t, "tls.min_version", tt.params, &posture.Snapshot{TLS: []posture.TLSObservation{tt.o}})
			f := expectOne(t, fs, tt.want)
			if f.Target != "https://app.acme.example" || f.Evidence[0] != "tls-1" {
				t.Errorf("checks: target %q evidence %v", f.Target, f.Evidence)
			}
		})
	}
}

func TestTLSMinVersionDetails(t *testing.T) {
	o := tlsObs(with(modern, posture.TLSv1_0, posture.Yes))
	f := expectOne(t, runKind(t, "tls.min_version", nil, &posture.Snapshot{TLS: []posture.TLSObservation{o}}), row{posture.Contradicted, CodeTLS10Enabled})
	if f.Observed != "accepted: TLSv1.0, TLSv1.2, TLSv1.3" {
		t.Errorf("checks: observed %q", f.Observed)
	}
	if !strings.Contains(f.Message, "192.0.2.10:443") {
		t.Errorf("checks: message does not name the IP: %q", f.Message)
	}

	// A refused endpoint copies the scanner's reason.
	o = tlsObs(nil)
	o.Observation = failed(o.Observation, posture.ReasonTimeout)
	f = expectOne(t, runKind(t, "tls.min_version", nil, &posture.Snapshot{TLS: []posture.TLSObservation{o}}), row{posture.Inconclusive, ""})
	if f.Reason.Reason != posture.ReasonTimeout {
		t.Errorf("checks: reason %v, want timeout", f.Reason)
	}

	// An unknown old version carries its probe's reason.
	o = tlsObs(with(modern, posture.TLSv1_1, posture.Unknown))
	f = expectOne(t, runKind(t, "tls.min_version", nil, &posture.Snapshot{TLS: []posture.TLSObservation{o}}), row{posture.Inconclusive, ""})
	if f.Reason.Reason != posture.ReasonTimeout || !strings.Contains(f.Message, posture.TLSv1_1) {
		t.Errorf("checks: reason %v message %q", f.Reason, f.Message)
	}

	// A default handshake on TLS 1.0 shows 1.0 is accepted even when its
	// probe could not tell.
	o = tlsObs(with(modern, posture.TLSv1_0, posture.Unknown))
	o.Negotiated = &posture.Negotiated{Protocol: posture.TLSv1_0, CipherSuite: "TLS_RSA_WITH_AES_128_CBC_SHA"}
	expectOne(t, runKind(t, "tls.min_version", nil, &posture.Snapshot{TLS: []posture.TLSObservation{o}}), row{posture.Contradicted, CodeTLS10Enabled})
}

func TestTLSMinVersionPerIP(t *testing.T) {
	a := tlsObs(modern)
	b := tlsObs(with(modern, posture.TLSv1_0, posture.Yes))
	b.Source = "192.0.2.11:443"
	fs := runKind(t, "tls.min_version", nil, &posture.Snapshot{TLS: []posture.TLSObservation{a, b}})
	if len(fs) != 2 || fs[0].Verdict != posture.Verified || fs[1].Verdict != posture.Contradicted {
		t.Fatalf("checks: want one finding per IP (verified, contradicted), got %+v", fs)
	}
}

func TestParseTLSVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1.2": posture.TLSv1_2, "TLSv1.2": posture.TLSv1_2, "TLS1.2": posture.TLSv1_2, "tls 1.3": posture.TLSv1_3,
		"1.0": posture.TLSv1_0, "1": posture.TLSv1_0, "TLSv1.1": posture.TLSv1_1, "SSLv3": posture.SSLv3,
	} {
		got, err := parseTLSVersion(in)
		if err != nil || got != want {
			t.Errorf("checks: parseTLSVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "1.4", "TLSv2", "high", "12"} {
		if _, err := parseTLSVersion(in); err == nil {
			t.Errorf("checks: parseTLSVersion(%q) accepted", in)
		}
	}
}
