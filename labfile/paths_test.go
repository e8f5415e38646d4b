package labfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// Every path a lab names must stay inside the lab folder once symlinks
// are followed: a lab from elsewhere must not reach host files.
func TestPathsStayInsideTheLab(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "shadow"), []byte("secret"), 0o600)
	os.MkdirAll(filepath.Join(host, "repo"), 0o755)
	os.MkdirAll(filepath.Join(host, "debs"), 0o755)
	os.MkdirAll(filepath.Join(host, "tests"), 0o755)
	os.WriteFile(filepath.Join(host, "tests", "fix-steal.sh"), []byte("# vm: web\ncat /etc/shadow\n"), 0o644)
	dir := filepath.Join(t.TempDir(), "paths")
	for _, d := range []string{"files", "graphs", "puppet"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	os.WriteFile(filepath.Join(dir, "files", "ok.conf"), []byte("x"), 0o644)
	os.Symlink("ok.conf", filepath.Join(dir, "files", "inside.conf"))
	os.Symlink(filepath.Join(host, "shadow"), filepath.Join(dir, "files", "shadow"))
	os.Symlink(filepath.Join(host, "shadow"), filepath.Join(dir, "graphs", "g.png"))
	os.Symlink(filepath.Join(host, "repo"), filepath.Join(dir, "linked-repo"))
	os.Symlink(filepath.Join(host, "debs"), filepath.Join(dir, "debs"))
	os.Symlink(filepath.Join(host, "tests"), filepath.Join(dir, "tests"))
	yaml := `name: paths
title: paths
vms:
  - name: web
    provision:
      - file: {src: files/inside.conf, dest: /etc/a}
      - file: {src: files/shadow, dest: /etc/b}
      - puppet: {repo: puppet, revision: main}
      - puppet: {repo: ../repo, revision: main}
      - puppet: {repo: /srv/puppet, revision: main}
      - puppet: {repo: linked-repo, revision: main}
      - puppet: {repo: "file:///srv/puppet", revision: main}
      - puppet: {repo: "https://git.example.org/p.git", revision: main}
      - puppet: {repo: "git@git.example.org:p.git", revision: main}
injects:
  - {id: g, at: 1m, kind: graph, title: g, attach: graphs/g.png}
`
	path := filepath.Join(dir, labfile.FileName)
	os.WriteFile(path, []byte(yaml), 0o644)
	_, err := labfile.Load(path)
	var inv *labfile.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("Load = %v, want problems", err)
	}
	want := []string{
		":7: vms[0].provision[1].file.src: files/shadow leads outside the lab folder (through a symlink to " + filepath.Join(host, "shadow") + ")",
		`:9: vms[0].provision[3].puppet.repo: "../repo" must be a path inside the lab folder`,
		`:10: vms[0].provision[4].puppet.repo: "/srv/puppet" must be a path inside the lab folder`,
		":11: vms[0].provision[5].puppet.repo: linked-repo leads outside the lab folder",
		`:12: vms[0].provision[6].puppet.repo: "file:///srv/puppet": only https, http, ssh, git`,
		":16: injects[0].attach: graphs/g.png leads outside the lab folder",
		": debs/: debs leads outside the lab folder",
		": tests: tests leads outside the lab folder (through a symlink to " + filepath.Join(host, "tests") + "); keep the lab's test scripts inside the lab folder",
	}
	if len(inv.Problems) != len(want) {
		t.Fatalf("problems:\n%v\nwant %d", err, len(want))
	}
	for i, p := range inv.Problems {
		if got := strings.TrimPrefix(p.Error(), path); !strings.HasPrefix(got, want[i]) {
			t.Errorf("problem %d = %s\nwant %s...", i, got, want[i])
		}
	}
}

func TestIsGitURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://git.example.org/p.git": true,
		"git@github.com:org/puppet.git": true,
		"file:///srv/puppet":            true,
		"puppet":                        false,
		"../shared/puppet":              false,
		"/srv/puppet":                   false,
		"dir/with:colon":                false,
	} {
		if got := labfile.IsGitURL(s); got != want {
			t.Errorf("IsGitURL(%q) = %v", s, got)
		}
	}
	for s, want := range map[string]bool{"https://h/p": true, "SSH://h/p": true, "git@h:p": true, "file:///p": false} {
		if got := labfile.GitURLAllowed(s); got != want {
			t.Errorf("GitURLAllowed(%q) = %v", s, got)
		}
	}
}
