package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scope.mail_senders: IP addresses, carried into the declaration; anything
// else is an error at its line.
func TestMailSenders(t *testing.T) {
	write := func(body string) string {
		p := filepath.Join(t.TempDir(), "trust.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const head = "version: 1\norganization: {name: Acme}\nscope:\n  mail: [acme.example]\n"
	const tail = "controls: [{id: a, section: S, statement: T, verify: {kind: email.spf}}]\n"
	d, err := LoadDeclaration(New(), write(head+"  mail_senders: [192.0.2.25, \"2001:db8::25\"]\n"+tail), testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Scope.MailSenders, []string{"192.0.2.25", "2001:db8::25"}) {
		t.Errorf("config: mail_senders = %v", d.Scope.MailSenders)
	}
	_, err = LoadDeclaration(New(), write(head+"  mail_senders: [192.0.2.25, mail.acme.example, 192.0.2.0/24]\n"+tail), testRegistry)
	if err == nil || !strings.Contains(err.Error(), `scope.mail_senders[1]: "mail.acme.example": want an IPv4 or IPv6 address`) ||
		!strings.Contains(err.Error(), "scope.mail_senders[2]") {
		t.Errorf("config: bad mail_senders gave %v", err)
	}
}
