package examplestest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// actionlint (github.com/rhysd/actionlint, e.g. go install
// github.com/rhysd/actionlint/cmd/actionlint@v1.7.12) checks every GitHub
// Actions example. Missing, the test skips, except under CI=true where it
// fails.
func TestGitHubActionsExamples(t *testing.T) {
	bin, err := exec.LookPath("actionlint")
	if err != nil {
		if gp, gerr := exec.Command("go", "env", "GOPATH").Output(); gerr == nil {
			p := filepath.Join(string(trimNL(gp)), "bin", "actionlint")
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
			}
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("actionlint not found (CI=true): %v", err)
		}
		t.Skipf("actionlint not found: %v", err)
	}
	for _, f := range []string{"github-actions.yml", "github-actions-matrix.yml"} {
		out, err := exec.Command(bin, "-shellcheck=", filepath.Join("..", "..", "examples", f)).CombinedOutput()
		if err != nil {
			t.Errorf("actionlint %s: %v\n%s", f, err, out)
		}
	}
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
