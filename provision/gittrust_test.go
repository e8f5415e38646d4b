package provision

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// hostileRepo makes lab/puppet a repository whose config, hooks and
// attributes each try to run a command that leaves a file in marks.
func hostileRepo(t *testing.T, lab, marks string) *testRepo {
	t.Helper()
	repo := newTestRepo(t, filepath.Join(lab, "puppet"))
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'x': }\n", ".gitattributes": "* filter=evil ident export-subst\n"})
	touch := func(name string) string { return "touch " + filepath.Join(marks, name) }
	hooks := filepath.Join(marks, "hooks")
	os.MkdirAll(hooks, 0o755)
	for _, dir := range []string{hooks, filepath.Join(repo.dir, ".git", "hooks")} {
		for _, h := range []string{"pre-upload-pack", "post-checkout", "reference-transaction", "pre-auto-gc", "post-index-change", "fsmonitor-watchman"} {
			os.WriteFile(filepath.Join(dir, h), []byte("#!/bin/sh\n"+touch("hook-"+h)+"\n"), 0o755)
		}
	}
	include := filepath.Join(repo.dir, ".git", "more.config")
	os.WriteFile(include, []byte(fmt.Sprintf("[tar \"tgz\"]\n\tcommand = %s\n", touch("include"))), 0o644)
	config := fmt.Sprintf(`[tar "tar.gz"]
	command = %s
[core]
	fsmonitor = %s
	sshCommand = %s
	alternateRefsCommand = %s
	hooksPath = %s
	pager = %s
[uploadpack]
	packObjectsHook = %s
[filter "evil"]
	smudge = %s
	clean = %s
	required = true
[include]
	path = more.config
`, touch("tar"), touch("fsmonitor"), touch("ssh"), touch("altrefs"), hooks, touch("pager"), touch("packhook"), touch("smudge"), touch("clean"))
	f, err := os.OpenFile(filepath.Join(repo.dir, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(config)
	f.Close()
	return repo
}

// A lab's repository is untrusted: exporting it must run none of the
// commands its config, hooks or attributes name, and still export it.
func TestExportPuppetRunsNothingFromTheLabRepo(t *testing.T) {
	lab, marks := t.TempDir(), t.TempDir()
	repo := hostileRepo(t, lab, marks)
	head := repo.git("rev-parse", "HEAD")
	cache := t.TempDir()
	for _, rev := range []string{"main", "HEAD", head[:9]} { // the second and third time, an update
		got, err := ExportPuppet(context.Background(), cache, lab, "puppet", rev, false, nil)
		if err != nil {
			t.Fatalf("%s: %v", rev, err)
		}
		if files := archiveFiles(t, got.Archive); got.Commit != head || files["manifests/site.pp"] != "notify { 'x': }\n" {
			t.Errorf("%s: exported %v at %s, want the commit %s", rev, sortedKeys(files), got.Commit, head)
		}
	}
	if ran, _ := os.ReadDir(marks); len(ran) > 1 { // hooks/ is the only entry
		var names []string
		for _, e := range ran {
			names = append(names, e.Name())
		}
		t.Errorf("the lab's repository ran commands on the host: %v", names)
	}
}

// Root exports a lab repository owned by another user (a lab in a user's
// checkout, run with sudo): git's ownership check must not stop it, as
// vlab never runs that repository's config.
func TestExportPuppetOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change owners")
	}
	lab := t.TempDir()
	repo := newTestRepo(t, filepath.Join(lab, "puppet"))
	c := repo.commit(map[string]string{"site.pp": "x\n"})
	if out, err := exec.Command("chown", "-R", "65534:65534", repo.dir).CombinedOutput(); err != nil {
		t.Skipf("chown: %v %s", err, out)
	}
	got, err := ExportPuppet(context.Background(), t.TempDir(), lab, "puppet", "main", false, nil)
	if err != nil || got.Commit != c {
		t.Fatalf("export = %s, %v; want %s", got.Commit, err, c)
	}
}

// Every path to a repository stays in the lab folder, symlinks followed,
// at the moment of use; a lab's git folder borrows nothing from outside.
func TestExportPuppetStaysInTheLab(t *testing.T) {
	host := newTestRepo(t, filepath.Join(t.TempDir(), "secret"))
	host.commit(map[string]string{"id_rsa": "host secret\n"})
	setups := map[string]func(lab string) string{
		"parent path": func(lab string) string {
			rel, _ := filepath.Rel(lab, host.dir)
			return rel
		},
		"absolute path": func(string) string { return host.dir },
		"symlinked folder": func(lab string) string {
			os.Symlink(host.dir, filepath.Join(lab, "puppet"))
			return "puppet"
		},
		"gitdir file": func(lab string) string {
			os.MkdirAll(filepath.Join(lab, "puppet"), 0o755)
			os.WriteFile(filepath.Join(lab, "puppet", ".git"), []byte("gitdir: "+filepath.Join(host.dir, ".git")+"\n"), 0o644)
			return "puppet"
		},
		"alternates": func(lab string) string {
			r := newTestRepo(t, filepath.Join(lab, "puppet"))
			os.MkdirAll(filepath.Join(r.dir, ".git", "objects", "info"), 0o755)
			os.WriteFile(filepath.Join(r.dir, ".git", "objects", "info", "alternates"), []byte(filepath.Join(host.dir, ".git", "objects")+"\n"), 0o644)
			os.WriteFile(filepath.Join(r.dir, ".git", "refs", "heads", "main"), []byte(host.git("rev-parse", "HEAD")+"\n"), 0o644)
			return "puppet"
		},
		"symlink in the git folder": func(lab string) string {
			r := newTestRepo(t, filepath.Join(lab, "puppet"))
			r.commit(map[string]string{"site.pp": "x\n"})
			packs := filepath.Join(r.dir, ".git", "objects", "pack")
			os.RemoveAll(packs)
			os.Symlink(filepath.Join(host.dir, ".git", "objects", "pack"), packs)
			return "puppet"
		},
		"file URL": func(string) string { return "file://" + host.dir },
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			lab := t.TempDir()
			repo := setup(lab)
			got, err := ExportPuppet(context.Background(), t.TempDir(), lab, repo, "main", false, nil)
			if err == nil {
				t.Fatalf("exported %v from outside the lab", sortedKeys(archiveFiles(t, got.Archive)))
			}
			if strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "puppet repo") {
				t.Errorf("err = %q, want one line naming the puppet repo", err)
			}
		})
	}
}

// Nothing from a lab's repository or bundle reaches the config of vlab's
// copy: only what vlab itself writes.
func TestExportPuppetCopiesNoConfig(t *testing.T) {
	lab, marks := t.TempDir(), t.TempDir()
	repo := hostileRepo(t, lab, marks)
	repo.git("bundle", "create", filepath.Join(lab, "puppet.bundle"), "--all")
	cache := t.TempDir()
	for _, r := range []string{"puppet", "puppet.bundle"} {
		if _, err := ExportPuppet(context.Background(), cache, lab, r, "main", false, nil); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
	}
	configs, _ := filepath.Glob(filepath.Join(cache, "git", "*.git", "config"))
	if len(configs) != 2 {
		t.Fatalf("vlab's repositories: %v, want a copy and a bundle mirror", configs)
	}
	for _, c := range configs {
		out, err := exec.Command("git", "config", "--file", c, "--list").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if !strings.HasPrefix(kv, "core.") && !strings.HasPrefix(kv, "remote.origin.") {
				t.Errorf("%s holds %s", c, kv)
			}
		}
	}
	if hooks, _ := filepath.Glob(filepath.Join(cache, "git", "*.git", "hooks", "*")); len(hooks) > 0 {
		t.Errorf("vlab's repositories have hooks: %v", hooks)
	}
}

// A lab in a linked worktree of the user's checkout exports from the
// worktree's own HEAD.
func TestExportPuppetWorktree(t *testing.T) {
	main := newTestRepo(t, filepath.Join(t.TempDir(), "main"))
	main.commit(map[string]string{"labs/x/lab.yaml": "name: x\n", "labs/x/puppet/site.pp": "main\n"})
	wt := filepath.Join(t.TempDir(), "wt")
	main.git("worktree", "add", "-q", "-b", "topic", wt)
	topic := &testRepo{t: t, dir: wt}
	c := topic.commit(map[string]string{"labs/x/puppet/site.pp": "topic\n"})
	got, err := ExportPuppet(context.Background(), t.TempDir(), filepath.Join(wt, "labs/x"), "puppet", "HEAD", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if files := archiveFiles(t, got.Archive); got.Commit != c || files["site.pp"] != "topic\n" {
		t.Errorf("exported %v at %s, want the worktree's %s", files, got.Commit, c)
	}
}
