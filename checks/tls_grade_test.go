package checks

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vouchdev/vouch/posture"
)

// gradeObs is an endpoint that earns A+ with HSTS: TLS 1.2 and 1.3 only,
// ECDHE+AEAD suites in the server's order, an ECDSA P-256 certificate
// signed with SHA-256, secure renegotiation and fallback SCSV.
func gradeObs(mut func(o *posture.TLSObservation)) posture.TLSObservation {
	o := certObs(func(c *posture.Certificate) { c.ChainComplete = posture.Yes })
	o.ServerName = "app.acme.example"
	o.Suites = []posture.CipherSuiteProbe{
		suites(posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
		suites(posture.TLSv1_3, "TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"),
	}
	o.SecureRenegotiation = posture.Yes
	o.FallbackSCSV = posture.Yes
	if mut != nil {
		mut(&o)
	}
	return o
}

var yearHSTS = HSTSFacts{Observed: posture.Yes, HSTS: &posture.HSTS{Raw: "max-age=31536000", Valid: true, MaxAge: 31536000}}

func addSuites(o *posture.TLSObservation, proto string, names ...string) {
	for i := range o.Suites {
		if o.Suites[i].Protocol == proto {
			o.Suites[i].Accepted = append(o.Suites[i].Accepted, names...)
			return
		}
	}
	o.Suites = append(o.Suites, suites(proto, names...))
}

func setProto(o *posture.TLSObservation, name string, t posture.Tri) {
	for i := range o.Protocols {
		if o.Protocols[i].Name == name {
			o.Protocols[i].Offered = t
			o.Protocols[i].Missing = nil
			if t == posture.Unknown {
				o.Protocols[i].Missing = miss(posture.ReasonTimeout)
			}
		}
	}
}

func TestGradeTLS(t *testing.T) {
	Y, N, U := posture.Yes, posture.No, posture.Unknown
	noHSTS := HSTSFacts{Observed: Y}
	tests := []struct {
		name        string
		o           posture.TLSObservation
		hsts        HSTSFacts
		best, worst string
		capped      []string // rule IDs that must be among the capping rules
	}{
		{"A+", gradeObs(nil), yearHSTS, "A+", "A+", nil},
		{"no HSTS", gradeObs(nil), noHSTS, "A", "A", []string{"aplus.hsts"}},
		{"short HSTS", gradeObs(nil), HSTSFacts{Observed: Y, HSTS: &posture.HSTS{Valid: true, MaxAge: 86400}}, "A", "A", []string{"aplus.hsts"}},
		{"HSTS not observed", gradeObs(nil), HSTSFacts{Observed: U}, "A+", "A", nil},
		{"RSA 2048 still A+", gradeObs(func(o *posture.TLSObservation) { o.Certificate.KeyType, o.Certificate.KeyBits = "RSA", 2048 }), yearHSTS, "A+", "A+", nil},
		{"no secure renegotiation", gradeObs(func(o *posture.TLSObservation) { o.SecureRenegotiation = N }), yearHSTS, "A-", "A-", []string{"warning.no_secure_renegotiation"}},
		{"renegotiation unknown", gradeObs(func(o *posture.TLSObservation) { o.SecureRenegotiation = "" }), yearHSTS, "A+", "A-", nil},
		{"TLS 1.3 only needs no renegotiation", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_2, N)
			o.Suites = o.Suites[1:]
			o.SecureRenegotiation = ""
		}), yearHSTS, "A+", "A+", nil},
		{"fallback SCSV ignored", gradeObs(func(o *posture.TLSObservation) { o.FallbackSCSV = N }), yearHSTS, "A", "A", []string{"aplus.fallback_scsv"}},
		{"TLS 1.0", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_0, Y)
			addSuites(o, posture.TLSv1_0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
		}), yearHSTS, "B", "B", []string{"protocol.tls10_tls11"}},
		{"SSLv3 with CBC", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.SSLv3, Y)
			addSuites(o, posture.SSLv3, "TLS_RSA_WITH_AES_128_CBC_SHA")
		}), yearHSTS, "C", "C", []string{"protocol.ssl3_poodle", "protocol.ssl3"}},
		{"SSLv3 only", func() posture.TLSObservation {
			o := gradeObs(nil)
			for _, p := range posture.ProtocolNames {
				setProto(&o, p, N)
			}
			setProto(&o, posture.SSLv3, Y)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.SSLv3, "TLS_RSA_WITH_RC4_128_SHA")}
			return o
		}(), yearHSTS, "F", "F", []string{"protocol.ssl3_only"}},
		{"RC4 with TLS 1.2", gradeObs(func(o *posture.TLSObservation) { addSuites(o, posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA") }), yearHSTS, "C", "C", []string{"cipher.rc4_modern", "cipher.rc4"}},
		{"3DES last in server order", gradeObs(func(o *posture.TLSObservation) {
			addSuites(o, posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA")
		}), yearHSTS, "A+", "A+", nil},
		{"3DES in client order", gradeObs(func(o *posture.TLSObservation) {
			addSuites(o, posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA")
			o.Suites[0].ServerOrder = N
		}), yearHSTS, "C", "C", []string{"cipher.64bit_modern"}},
		// 3DES last, but the order probe could not tell the server's
		// order (a timeout): not a gap, not a pass.
		{"3DES last, order unknown", gradeObs(func(o *posture.TLSObservation) {
			addSuites(o, posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA")
			o.Suites[0].ServerOrder = U
		}), yearHSTS, "A+", "C", nil},
		{"3DES first, order unknown", gradeObs(func(o *posture.TLSObservation) {
			o.Suites[0].Accepted = append([]string{"TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"}, o.Suites[0].Accepted...)
			o.Suites[0].ServerOrder = U
		}), yearHSTS, "C", "C", []string{"cipher.64bit_modern"}},
		{"static RSA only, no TLS 1.3", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_3, N)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_2, "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256")}
		}), yearHSTS, "B", "B", []string{"kx.no_forward_secrecy"}},
		{"static RSA preferred, no TLS 1.3", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_3, N)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_2, "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")}
		}), yearHSTS, "B", "B", []string{"kx.no_forward_secrecy"}},
		{"static RSA picked first, order unknown, no TLS 1.3", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_3, N)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_2, "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")}
			o.Suites[0].ServerOrder = U
		}), yearHSTS, "A+", "B", nil},
		{"TLS 1.0 only, ECDHE: forward secret", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_3, N)
			setProto(o, posture.TLSv1_2, N)
			setProto(o, posture.TLSv1_0, Y)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")}
		}), yearHSTS, "C", "C", []string{"protocol.no_tls12", "protocol.tls10_tls11", "cipher.no_aead"}},
		{"CBC only, no TLS 1.3", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_3, N)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256")}
		}), yearHSTS, "B", "B", []string{"cipher.no_aead"}},
		{"DH 1024", gradeObs(func(o *posture.TLSObservation) {
			addSuites(o, posture.TLSv1_2, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
			o.DHBits = 1024
		}), yearHSTS, "B", "B", []string{"kx.dh_below_2048"}},
		{"DHE size unknown", gradeObs(func(o *posture.TLSObservation) { addSuites(o, posture.TLSv1_2, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256") }), yearHSTS, "A+", "F", nil},
		{"RSA 1024", gradeObs(func(o *posture.TLSObservation) { o.Certificate.KeyType, o.Certificate.KeyBits = "RSA", 1024 }), yearHSTS, "B", "B", []string{"key.below_2048"}},
		{"RSA 512", gradeObs(func(o *posture.TLSObservation) { o.Certificate.KeyType, o.Certificate.KeyBits = "RSA", 512 }), yearHSTS, "F", "F", []string{"key.below_1024", "key.below_2048"}},
		{"MD5 signature", gradeObs(func(o *posture.TLSObservation) { o.Certificate.SignatureAlgorithm = "MD5-RSA" }), yearHSTS, "F", "F", []string{"signature.md5"}},
		{"SHA-1 signature", gradeObs(func(o *posture.TLSObservation) { o.Certificate.SignatureAlgorithm = "SHA1-RSA" }), yearHSTS, "A", "A", []string{"aplus.sha2_signature"}},
		// x509 names an algorithm it does not know by its number: SHA-1
		// or MD5 may be behind it, so neither A+ nor "not F" is known.
		{"unrecognised signature", gradeObs(func(o *posture.TLSObservation) { o.Certificate.SignatureAlgorithm = "0" }), yearHSTS, "A+", "F", nil},
		// The guide averages the best and worst cipher: one NULL suite
		// beside AES-256 halves the cipher score (100+0)/2.
		{"NULL suite lowers the score", gradeObs(func(o *posture.TLSObservation) { addSuites(o, posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_NULL_SHA") }), yearHSTS, "B", "B", []string{"score"}},
		{"NULL only: score 0", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_3, N)
			o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_2, "TLS_ECDHE_ECDSA_WITH_NULL_SHA")}
		}), yearHSTS, "F", "F", []string{"score"}},
		{"anonymous suite: score 0", gradeObs(func(o *posture.TLSObservation) { addSuites(o, posture.TLSv1_2, "TLS_DH_anon_WITH_AES_128_GCM_SHA256") }), yearHSTS, "F", "F", []string{"score"}},
		{"chain incomplete", gradeObs(func(o *posture.TLSObservation) { o.Certificate.ChainComplete = N }), yearHSTS, "B", "B", []string{"chain.incomplete"}},
		{"untrusted", gradeObs(func(o *posture.TLSObservation) { o.Certificate.Trusted = N }), yearHSTS, "T", "T", []string{"trust.untrusted"}},
		{"expired", gradeObs(func(o *posture.TLSObservation) { o.Certificate.NotAfter = t0.AddDate(0, 0, -1) }), yearHSTS, "T", "T", []string{"trust.validity"}},
		{"name mismatch", gradeObs(func(o *posture.TLSObservation) { o.Certificate.HostnameMatch = N }), yearHSTS, "M", "M", []string{"trust.name_mismatch"}},
		{"TLS 1.3 suites not enumerated", gradeObs(func(o *posture.TLSObservation) { o.Suites = o.Suites[:1] }), yearHSTS, "A+", "F", nil},
		{"TLS 1.3 suites empty", gradeObs(func(o *posture.TLSObservation) { o.Suites[1].Accepted = []string{} }), yearHSTS, "A+", "F", nil},
		{"unknowns cannot lift a known cap", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_1, Y)
			o.Suites = o.Suites[:1]
		}), yearHSTS, "B", "F", []string{"protocol.tls10_tls11"}},
		{"STARTTLS stops at A", gradeObs(func(o *posture.TLSObservation) { o.STARTTLS, o.MXOf = "smtp", "acme.example" }), HSTSFacts{Observed: U}, "A", "A", []string{"aplus.hsts"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := GradeTLS(tc.o, tc.hsts, t0)
			if g.Best != tc.best || g.Worst != tc.worst {
				t.Fatalf("checks: grade %s..%s, want %s..%s\n capped %+v\n unknown %+v", g.Worst, g.Best, tc.worst, tc.best, g.Capped, g.Unknown)
			}
			var ids []string
			for _, h := range g.Capped {
				ids = append(ids, h.ID)
			}
			for _, id := range tc.capped {
				if !slices.Contains(ids, id) {
					t.Errorf("checks: capped by %v, want %s among them", ids, id)
				}
			}
			if g.Exact() != (len(g.Unknown) == 0 || gradeRank(g.Best) == gradeRank(g.Worst)) {
				t.Errorf("checks: Exact %v with unknown %+v", g.Exact(), g.Unknown)
			}
		})
	}
	// A trust grade still says what the configuration would earn.
	g := GradeTLS(gradeObs(func(o *posture.TLSObservation) { o.Certificate.Trusted = N }), yearHSTS, t0)
	if g.IgnoringTrust != "A+" {
		t.Errorf("checks: ignoring trust %q, want A+", g.IgnoringTrust)
	}
}

func TestTLSGradeCheck(t *testing.T) {
	target := web("https://app.acme.example")
	httpObs := func(h *posture.HSTS) posture.HTTPObservation {
		return posture.HTTPObservation{
			Observation: obs(target, "http", "192.0.2.10:443", "http-1"),
			HTTPS:       &posture.HTTPHop{URL: "https://app.acme.example/", Status: 200, Evidence: "http-head"},
			HSTS:        h,
		}
	}
	year := &posture.HSTS{Raw: "max-age=31536000", Valid: true, MaxAge: 31536000}
	tests := []struct {
		name string
		min  string
		o    posture.TLSObservation
		http []posture.HTTPObservation
		want row
	}{
		{"A+ claimed, A+ earned", "A+", gradeObs(nil), []posture.HTTPObservation{httpObs(year)}, row{posture.Verified, ""}},
		{"A+ claimed, no HSTS", "A+", gradeObs(nil), []posture.HTTPObservation{httpObs(nil)}, row{posture.Contradicted, CodeGradeBelow}},
		{"A+ claimed, HTTP not scanned", "A+", gradeObs(nil), nil, row{posture.Inconclusive, ""}},
		{"A claimed, HTTP not scanned", "", gradeObs(nil), nil, row{posture.Verified, ""}},
		{"A claimed, TLS 1.0 on", "A", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_0, posture.Yes)
			addSuites(o, posture.TLSv1_0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
		}), nil, row{posture.Contradicted, CodeGradeBelow}},
		{"B claimed, TLS 1.0 on", "B", gradeObs(func(o *posture.TLSObservation) {
			setProto(o, posture.TLSv1_0, posture.Yes)
			addSuites(o, posture.TLSv1_0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
		}), nil, row{posture.Verified, ""}},
		{"F claimed, untrusted", "F", gradeObs(func(o *posture.TLSObservation) { o.Certificate.Trusted = posture.No }), nil, row{posture.Contradicted, CodeGradeBelow}},
		{"suites incomplete", "A", gradeObs(func(o *posture.TLSObservation) { o.Suites = o.Suites[:1] }), nil, row{posture.Inconclusive, ""}},
		{"scan failed", "A", posture.TLSObservation{Observation: failed(obs(target, "tls", "192.0.2.10:443", "tls-1"), posture.ReasonTimeout)}, nil, row{posture.Inconclusive, ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var params map[string]string
			if tc.min != "" {
				params = map[string]string{"min": tc.min}
			}
			f := expectOne(t, runKind(t, "tls.grade", params, &posture.Snapshot{TLS: []posture.TLSObservation{tc.o}, HTTP: tc.http}), tc.want)
			if !strings.Contains(f.Observed, "grade ") && f.Reason == nil {
				t.Errorf("checks: observed %q names no grade", f.Observed)
			}
		})
	}
	f := expectOne(t, runKind(t, "tls.grade", map[string]string{"min": "A"}, &posture.Snapshot{TLS: []posture.TLSObservation{gradeObs(func(o *posture.TLSObservation) {
		setProto(o, posture.TLSv1_1, posture.Yes)
		addSuites(o, posture.TLSv1_1, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
	})}}), row{posture.Contradicted, CodeGradeBelow})
	for _, s := range []string{"grade B", "protocol.tls10_tls11", "TLSv1.1 offered"} {
		if !strings.Contains(f.Message+f.Observed, s) {
			t.Errorf("checks: finding %q / %q lacks %q", f.Message, f.Observed, s)
		}
	}
	for _, bad := range []string{"A++", "T", "M", "G"} {
		if err := ValidateParams("tls.grade", map[string]string{"min": bad}); err == nil {
			t.Errorf("checks: min %q accepted", bad)
		}
	}
}

// Every rule of the table is documented in docs/tls-grade.md, with its cap
// and source, and the doc names no rule the table lacks.
func TestGradeRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/tls-grade.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	rowRE := regexp.MustCompile("(?m)^\\| `([a-z0-9_.]+)` \\| ([A-Z][+-]?) \\|(.*)\\|$")
	for _, m := range rowRE.FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]] = m[2] + "|" + m[3]
	}
	seen := map[string]bool{}
	for _, r := range GradeRules() {
		if seen[r.ID] {
			t.Errorf("checks: duplicate grade rule %s", r.ID)
		}
		seen[r.ID] = true
		if gradeRank(r.Cap) < 0 || r.Text == "" || r.Source == "" {
			t.Errorf("checks: rule %s: cap %q, text or source missing", r.ID, r.Cap)
		}
		row, ok := rows[r.ID]
		if !ok {
			t.Errorf("checks: grade rule %s is not in docs/tls-grade.md", r.ID)
			continue
		}
		if !strings.HasPrefix(row, r.Cap+"|") {
			t.Errorf("checks: docs/tls-grade.md gives %s the cap %q, the code %q", r.ID, strings.SplitN(row, "|", 2)[0], r.Cap)
		}
	}
	for id := range rows {
		if !seen[id] && id != "score" {
			t.Errorf("checks: docs/tls-grade.md documents %s, which the table lacks", id)
		}
	}
	if _, ok := rows["score"]; !ok {
		t.Error("checks: docs/tls-grade.md lacks the score row")
	}
}

// A rule that must not fire: forward secrecy on a TLS 1.0-only server
// that speaks ECDHE.
func TestGradeFSOnOldProtocols(t *testing.T) {
	o := gradeObs(func(o *posture.TLSObservation) {
		setProto(o, posture.TLSv1_3, posture.No)
		setProto(o, posture.TLSv1_2, posture.No)
		setProto(o, posture.TLSv1_0, posture.Yes)
		o.Suites = []posture.CipherSuiteProbe{suites(posture.TLSv1_0, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")}
	})
	for _, h := range GradeTLS(o, yearHSTS, t0).Capped {
		if h.ID == "kx.no_forward_secrecy" {
			t.Errorf("checks: %+v fired on an ECDHE-only server", h)
		}
	}
}
