package kit

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// git runs git with no user or system configuration.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestReleasedIsTheSource: the newest kit revision holds exactly
// kit/puppet, so a kit change is not forgotten in the history labs pin.
func TestReleasedIsTheSource(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to read the kit's history")
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "history.bundle")
	os.WriteFile(bundle, History(), 0o644)
	clone := filepath.Join(dir, "kit")
	git(t, dir, "clone", "-q", "--template=", bundle, clone)
	tags := strings.Fields(git(t, clone, "tag", "-l", "kit-*", "--sort=-v:refname"))
	if len(tags) == 0 {
		t.Fatal("the kit's history has no kit-N tag")
	}
	for _, tag := range tags {
		if !ValidTag(tag) {
			t.Errorf("tag %q is not a kit revision name", tag)
		}
	}
	if tags[0] != Latest {
		t.Errorf("kit.Latest is %s, the history's newest tag is %s", Latest, tags[0])
	}
	git(t, clone, "checkout", "-q", tags[0])
	diff := exec.Command("diff", "-r", "-x", ".git", clone, "puppet")
	var out bytes.Buffer
	diff.Stdout, diff.Stderr = &out, &out
	if err := diff.Run(); err != nil {
		t.Errorf("kit/puppet differs from %s, the newest kit revision: run scripts/kit-release \"what changed\"\n%s", tags[0], out.String())
	}
}

func TestValidTag(t *testing.T) {
	for s, want := range map[string]bool{"kit-1": true, "kit-42": true, "kit-0": false, "kit-": false, "v1": false, "kit-1;x": false, "../kit-1": false} {
		if ValidTag(s) != want {
			t.Errorf("ValidTag(%q) = %v", s, !want)
		}
	}
}

// TestRoles: kit.Roles names exactly the role classes of kit/puppet, each
// present since the revision it claims.
func TestRoles(t *testing.T) {
	files, err := filepath.Glob("puppet/modules/role/manifests/*.pp")
	if err != nil || len(files) == 0 {
		t.Fatalf("no role classes in kit/puppet: %v", err)
	}
	var have []string
	for _, f := range files {
		have = append(have, strings.TrimSuffix(filepath.Base(f), ".pp"))
	}
	var listed []string
	for _, r := range Roles {
		listed = append(listed, r.Name)
		if !ValidTag(r.Since) || r.Summary == "" {
			t.Errorf("role %s: since %q, summary %q", r.Name, r.Since, r.Summary)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(have, listed) {
		t.Errorf("kit.Roles lists %v, kit/puppet has the roles %v", listed, have)
	}
	dir := t.TempDir()
	bundle := filepath.Join(dir, "history.bundle")
	os.WriteFile(bundle, History(), 0o644)
	clone := filepath.Join(dir, "kit")
	git(t, dir, "clone", "-q", "--template=", bundle, clone)
	for _, r := range Roles {
		path := "modules/role/manifests/" + r.Name + ".pp"
		if out := git(t, clone, "ls-tree", "--name-only", r.Since, path); strings.TrimSpace(out) != path {
			t.Errorf("role %s: %s has no %s", r.Name, r.Since, path)
		}
	}
}

func TestReleasedAndRoleAt(t *testing.T) {
	if !Released("kit-1") || !Released(Latest) || Released("kit-99") || Released("v1") {
		t.Errorf("Released: kit-1 %v, %s %v, kit-99 %v, v1 %v", Released("kit-1"), Latest, Released(Latest), Released("kit-99"), Released("v1"))
	}
	if _, ok := RoleAt("db", "kit-3"); ok {
		t.Error("db at kit-3: it came in kit-4")
	}
	if r, ok := RoleAt("db", "kit-4"); !ok || r.Name != "db" {
		t.Errorf("db at kit-4: %v %v", r, ok)
	}
	if _, ok := RoleAt("nosuch", Latest); ok {
		t.Error("a role the kit does not have")
	}
}
