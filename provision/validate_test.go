package provision

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateDeep checks, with no VM and no network, that a deep
// validation reports a puppet revision the lab's repository lacks and a
// pinned package it cannot check offline, each at its field; a plain one
// passes the lab.
func TestValidateDeep(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	lab := filepath.Join(dir, "deep")
	gitIn := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", filepath.Join(lab, "puppet")}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	os.MkdirAll(filepath.Join(lab, "puppet", "manifests"), 0o755)
	os.WriteFile(filepath.Join(lab, "puppet", "manifests", "site.pp"), []byte("notify { 'hi': }\n"), 0o644)
	gitIn("init", "-q", "-b", "main")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "puppet")
	os.WriteFile(filepath.Join(lab, "lab.yaml"), []byte("name: deep\ntitle: Deep\nvms:\n  - name: web\n    provision:\n"+
		"      - puppet:\n          repo: puppet\n          revision: v2-never-tagged\n"+
		"      - packages:\n          nginx: 1.22.1-9\n"), 0o644)

	ctx := context.Background()
	var out bytes.Buffer
	if _, bad, err := Validate(ctx, &out, dir, []string{"deep"}, ValidateOptions{}); err != nil || bad != 0 || !strings.Contains(out.String(), "ok: deep") {
		t.Fatalf("plain validate: %d invalid, %v\n%s", bad, err, out.String())
	}
	out.Reset()
	opts := ValidateOptions{Deep: true, DeepOptions: DeepOptions{CacheDir: t.TempDir(), Offline: true}}
	if _, bad, err := Validate(ctx, &out, dir, []string{"deep"}, opts); err != nil || bad != 1 {
		t.Errorf("deep: %d invalid, %v; want the lab invalid", bad, err)
	}
	yaml := filepath.Join(lab, "lab.yaml")
	for _, want := range []string{
		yaml + `:8: vms[0].provision[0].puppet.revision: puppet repo puppet: no commit, tag or branch "v2-never-tagged"; pin one that exists there`,
		yaml + ":9: vms[0].provision[1].packages: pinned packages not checked: vlab is offline (--offline) and the cache holds no package index for these sources;",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks\n%s\ngot:\n%s", want, out.String())
		}
	}
}
