package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
)

// TestInstanceNamesStayInHome: every command resolves its instance name
// through one rule; a name that is not a valid ID ("." run inside a lab
// folder, "..", a path) is refused with one line before anything is read,
// written or removed, so no instance, no VLAB_HOME and no folder elsewhere
// is lost.
func TestInstanceNamesStayInHome(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	h := instance.Home{Dir: home}
	keep := instanceDir(t, h, "shop")
	os.MkdirAll(keep, 0o755)
	if err := instance.SaveState(keep, &instance.State{ID: "shop", Lab: "shop", Phase: instance.PhaseStopped}); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(root, "somedir")
	os.MkdirAll(victim, 0o755)
	os.WriteFile(filepath.Join(victim, "precious"), []byte("x"), 0o644)
	labDir := writeLab(t, filepath.Join(root, "labs"), "shop", "name: shop\ntitle: t\nvms:\n  - name: web\n")
	t.Chdir(filepath.Join(labDir, "shop"))

	for _, c := range []struct {
		args []string
		env  string // VLAB_INSTANCE
	}{
		{args: []string{"destroy", "."}},
		{args: []string{"destroy", ".."}},
		{args: []string{"destroy", "shop/.."}},
		{args: []string{"destroy", "shop", "--instance", "../../somedir"}},
		{args: []string{"destroy", "shop", "--instance", "../instances"}},
		{args: []string{"down", "shop"}, env: "../x"},
		{args: []string{"reset", "."}},
		{args: []string{"status", ".."}},
		{args: []string{"ssh", "..", "--", "true"}},
		{args: []string{"check", ".."}},
		{args: []string{"inject", ".."}},
		{args: []string{"standby", "--instance", "../x", "shop"}},
		{args: []string{"up", "."}},
	} {
		t.Setenv("VLAB_INSTANCE", c.env)
		code, _, errOut := runVlab(t, home, c.args...)
		if code == 0 || !strings.Contains(errOut, "instance name") || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("vlab %s (VLAB_INSTANCE=%q): exit %d, %q; want a one-line refusal of the instance name", strings.Join(c.args, " "), c.env, code, errOut)
		}
	}
	if _, err := instance.LoadState(keep); err != nil {
		t.Errorf("instance shop lost its records: %v", err)
	}
	if _, err := os.Stat(filepath.Join(victim, "precious")); err != nil {
		t.Errorf("a folder outside VLAB_HOME was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "x")); !os.IsNotExist(err) {
		t.Errorf("a lock file was written outside VLAB_HOME: %v", err)
	}
}
