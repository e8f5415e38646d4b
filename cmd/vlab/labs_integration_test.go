//go:build integration

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationLabs runs every lab under labs/ through the trainee's loop
// on real VMs: up → check fails → solve → check passes → reset → check
// fails; then each labs/<lab>/tests/fix-*.sh (another valid fix) must pass
// and each tests/cheat-*.sh (a fix that removes the symptom's cause's
// witness instead) must not; destroy leaves nothing.
func TestIntegrationLabs(t *testing.T) {
	dirs, _ := filepath.Glob("../../labs/*/lab.yaml")
	for _, f := range dirs {
		name := filepath.Base(filepath.Dir(f))
		if name == "hello" {
			continue // no incident; TestIntegrationHello covers it
		}
		t.Run(name, func(t *testing.T) { labLoop(t, name) })
	}
}

func labLoop(t *testing.T, name string) {
	id := "it-" + name
	in := []string{"--instance", id}
	code := func(args ...string) int {
		c, _, _ := vlab(t, append(args, in...)...)
		return c
	}
	vlab(t, "destroy", name, "--instance", id)
	t.Cleanup(func() { vlab(t, "destroy", name, "--instance", id) })
	mustVlab(t, append([]string{"up", name}, in...)...)
	if c := code("check", name); c != 1 {
		t.Fatalf("check right after up exits %d, want 1 (the incident is live)", c)
	}
	mustVlab(t, append([]string{"solve", name}, in...)...)
	if c := code("check", name); c != 0 {
		t.Fatalf("check after solve exits %d, want 0", c)
	}
	mustVlab(t, append([]string{"reset", name}, in...)...)
	if c := code("check", name); c != 1 {
		t.Fatalf("check after reset exits %d, want 1", c)
	}
	scripts, _ := filepath.Glob(filepath.Join("../../labs", name, "tests", "*.sh"))
	for _, s := range scripts {
		base := filepath.Base(s)
		want := 0
		switch {
		case strings.HasPrefix(base, "fix-"):
		case strings.HasPrefix(base, "cheat-"):
			want = 1
		default:
			continue
		}
		t.Run(strings.TrimSuffix(base, ".sh"), func(t *testing.T) {
			mustVlab(t, append([]string{"reset", name}, in...)...)
			vmName, body := scriptVM(t, s)
			ssh := append([]string{"ssh", name, vmName}, in...)
			ssh = append(ssh, "--", body)
			mustVlab(t, ssh...)
			c := code("check", name)
			if (want == 0) != (c == 0) {
				t.Errorf("%s: check exits %d; a fix must pass (0), a cheat must not", base, c)
			}
		})
	}
	uid := instanceUID(t, id)
	mustVlab(t, append([]string{"destroy", name}, in...)...)
	if left := leftovers(t, uid); len(left) > 0 {
		t.Errorf("destroy left %v", left)
	}
}

// scriptVM reads a test script and the VM named on its `# vm: NAME` line.
func scriptVM(t *testing.T, path string) (string, string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "# vm:"); ok {
			return strings.TrimSpace(v), string(b)
		}
	}
	t.Fatalf("%s has no `# vm: NAME` line", path)
	return "", ""
}
