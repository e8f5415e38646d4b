package export

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/labfile"
)

func TestMain(m *testing.M) {
	syscall.Umask(0o022) // the modes the tests expect are the export's, not the umask's
	os.Exit(m.Run())
}

const testLab = `name: shop
title: "Shop down"
summary: The shop answered 502.
vms:
  - name: web
    image: debian-12
    memory: 1024
    networks: [lab]
    provision:
      - puppet: {repo: puppet, revision: v1, modulepath: [modules]}
      - packages: {nginx: "1.22.1-9"}
      - file: {src: files/nginx.conf, dest: /etc/nginx/nginx.conf, mode: "0644", owner: "root:root"}
      - run: systemctl restart nginx
        name: restart nginx
  - name: client
    image: debian-12
    networks: [lab]
networks:
  - name: lab
triggers:
  - name: load
    vm: client
    command: "curl -s http://web/ >/dev/null"
injects:
  - id: first-alert
    at: 0s
    kind: alert
    title: "5xx above 5%"
    body: Users see 502.
    live: {vm: web, command: "tail -n 5 /var/log/nginx/error.log"}
probes:
  - name: pages
    vm: client
    command: "curl -s -o /dev/null -w '%{http_code}' http://web/"
    expect: {exit: 0, match: "^200$"}
`

// newLab writes a lab folder with a puppet repository made with real git
// and loads it. Tag v1 of the repository differs from its working tree.
func newLab(t *testing.T) *labfile.Lab {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := filepath.Join(t.TempDir(), "shop")
	write(t, filepath.Join(dir, "lab.yaml"), testLab, 0o644)
	write(t, filepath.Join(dir, "files", "nginx.conf"), "worker_processes 2;\n", 0o644)
	repo := filepath.Join(dir, "puppet")
	write(t, filepath.Join(repo, "manifests", "site.pp"), "include shop\n", 0o644)
	write(t, filepath.Join(repo, "modules", "shop", "manifests", "init.pp"), "class shop {}\n", 0o644)
	write(t, filepath.Join(repo, "bin", "tool"), "#!/bin/sh\n", 0o755)
	if err := os.Symlink("manifests/site.pp", filepath.Join(repo, "site.pp")); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "v1")
	git(t, repo, "tag", "v1")
	write(t, filepath.Join(repo, "manifests", "site.pp"), "include uncommitted\n", 0o644)
	lab, err := labfile.Load(filepath.Join(dir, "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode()
}

// wantModes checks the modes of files under dir.
func wantModes(t *testing.T, dir string, want map[string]os.FileMode) {
	t.Helper()
	for file, w := range want {
		if got := mode(t, filepath.Join(dir, file)); got != w {
			t.Errorf("%s has mode %v, want %v", file, got, w)
		}
	}
}

// fakeImages is an image store holding one image with a kernel and initrd.
type fakeImages struct{ img *images.Image }

func (f fakeImages) Get(name string) (*images.Image, error) {
	if name != f.img.Name {
		return nil, fmt.Errorf("image %q: %w", name, images.ErrNotFound)
	}
	return f.img, nil
}

func testOptions(t *testing.T) Options {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "vmlinuz"), "kernel", 0o644)
	write(t, filepath.Join(dir, "initrd.img"), "initrd", 0o644)
	img := &images.Image{Manifest: images.Manifest{Name: "debian-12", Digest: strings.Repeat("ab", 32)},
		Dir: dir, Kernel: filepath.Join(dir, "vmlinuz"), Initrd: filepath.Join(dir, "initrd.img")}
	return Options{Images: fakeImages{img}, CacheDir: t.TempDir()}
}
