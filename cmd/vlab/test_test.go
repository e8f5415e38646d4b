package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTestVerbJudgesHello: the hello lab starts resolved (its probe passes
// right after up) and has no solution, so `vlab test` must fail it, one
// line per failing step, exit 1, and leave nothing of its own instance.
func TestTestVerbJudgesHello(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, cmd string, stdin io.Reader, stdout, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		if strings.Contains(cmd, "cat /etc/motd") {
			fmt.Fprintln(stdout, "vlab hello lab")
		}
		return 0
	})
	junit := filepath.Join(t.TempDir(), "out.xml")
	code, out, errOut := f.run(t, "test", "hello", "--junit", junit)
	if code != 1 {
		t.Fatalf("vlab test hello: exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"FAIL starts broken: check says resolved, want not resolved", "FAIL reference solution: lab hello has no solution steps", "lab hello FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(junit)
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err != nil || xml.Unmarshal(b, &suite) != nil || suite.Failures != 3 || suite.Tests < 5 {
		t.Errorf("junit %+v, %v:\n%s", suite, err, b)
	}
	if _, err := os.Stat(filepath.Join(f.home, "instances", "test-hello")); !os.IsNotExist(err) {
		t.Errorf("the test's instance is left: %v", err)
	}
}
