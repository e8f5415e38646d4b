package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/vm"
)

// TestGoldenVerbs: the first up of a lab keeps its golden state on the
// host; a second instance starts from it without provisioning; `vlab
// golden list` shows it and `vlab golden rm` removes it.
func TestGoldenVerbs(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	if code, _, errOut := f.run(t, "up", "hello"); code != 0 {
		t.Fatalf("up: %s", errOut)
	}
	code, out, errOut := f.run(t, "golden", "list", "--json")
	var list []vm.GoldenInfo
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Labels["lab"] != "hello" || list[0].Labels["vm"] != "box" {
		t.Fatalf("golden list: exit %d, %q %s", code, out, errOut)
	}
	code, _, errOut = f.run(t, "up", "hello", "--instance", "hello2")
	if code != 0 || !strings.Contains(errOut, "from the host's golden state") || strings.Contains(errOut, "provisioning") {
		t.Errorf("second instance: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := f.run(t, "golden", "rm", "hello"); code != 0 || !strings.Contains(errOut, "removed 1 golden state") {
		t.Errorf("golden rm: exit %d: %s", code, errOut)
	}
	if code, _, errOut := f.run(t, "golden", "list"); code != 0 || !strings.Contains(errOut, "no golden states") {
		t.Errorf("golden list after rm: exit %d: %s", code, errOut)
	}
	// The instances live on.
	if code, _, errOut := f.run(t, "reset", "hello", "--instance", "hello2"); code != 0 {
		t.Errorf("reset after golden rm: %s", errOut)
	}
}
