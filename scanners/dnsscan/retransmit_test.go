package dnsscan

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// A lost datagram is sent again within the one timeout (RFC 1035 §4.2.1):
// a resolver that drops the first copy of each question still answers
// well before the timeout; one that never answers gets three copies,
// and the query still ends at its timeout.
func TestUDPRetransmit(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	addr := handlerServer(t, func(w dns.ResponseWriter, r *dns.Msg) {
		name := r.Question[0].Name
		mu.Lock()
		seen[name]++
		n := seen[name]
		mu.Unlock()
		if n == 1 || name == "silent.test." {
			return // lost
		}
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{"v=spf1 -all"}})
		w.WriteMsg(m)
	})
	res := NewResolver(addr, 900*time.Millisecond)
	start := time.Now()
	reply, err := res.Exchange(context.Background(), "lossy.test", dns.TypeTXT)
	if err != nil || len(reply.Answer) != 1 {
		t.Fatalf("lossy: %v %v", reply, err)
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 700*time.Millisecond {
		t.Errorf("lossy: answered after %s, want one resend interval (300ms)", el)
	}
	start = time.Now()
	if _, err := res.Exchange(context.Background(), "silent.test", dns.TypeTXT); err == nil {
		t.Fatal("silent: no error")
	}
	if el := time.Since(start); el < 850*time.Millisecond || el > 1500*time.Millisecond {
		t.Errorf("silent: gave up after %s, want the timeout (900ms)", el)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["silent.test."] != 3 || seen["lossy.test."] != 2 {
		t.Errorf("copies sent: silent %d (want 3), lossy %d (want 2)", seen["silent.test."], seen["lossy.test."])
	}
}
