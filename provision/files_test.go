package provision

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// labTree makes a lab folder with a file and a directory tree to copy.
func labTree(t *testing.T) string {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"files/nginx.conf":          "worker_processes 1;\n",
		"files/site/index.html":     "<h1>shop</h1>\n",
		"files/site/cgi/run.sh":     "#!/bin/sh\n",
		"files/site/img/.keep":      "",
		"files/site/cgi/README.txt": "scripts\n",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("index.html", filepath.Join(dir, "files/site/home.html"))
	return dir
}

// unpackOnHost runs the guest command of CopyFile on the host, with the
// destination in a temporary folder, and returns that folder.
func unpackOnHost(t *testing.T, labDir string, f labfile.File) string {
	t.Helper()
	root := t.TempDir()
	archive := filepath.Join(t.TempDir(), "a.tar.gz")
	out, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	var mode *fs.FileMode
	if f.Mode != "" {
		m, _ := labfile.ParseMode(f.Mode)
		mode = new(fs.FileMode(m))
	}
	lab, err := os.OpenRoot(labDir)
	if err != nil {
		t.Fatal(err)
	}
	defer lab.Close()
	isDir, err := writeTarball(out, lab, f.Src, filepath.Base(f.Dest), mode)
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	f.Dest = filepath.Join(root, f.Dest)
	if b, err := exec.Command("sh", "-ec", unpackCommand(archive, f, isDir)).CombinedOutput(); err != nil {
		t.Fatalf("unpack: %v\n%s", err, b)
	}
	if _, err := os.Stat(archive); !os.IsNotExist(err) {
		t.Errorf("archive left behind after unpacking")
	}
	return root
}

func checkMode(t *testing.T, p string, want fs.FileMode) {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode() & (fs.ModePerm | fs.ModeType); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(p), got, want)
	}
}

func TestCopyFileUnpacksFile(t *testing.T) {
	lab := labTree(t)
	me, _ := user.Current()
	root := unpackOnHost(t, lab, labfile.File{Src: "files/nginx.conf", Dest: "/etc/nginx/nginx.conf", Mode: "0600", Owner: me.Username})
	data, err := os.ReadFile(filepath.Join(root, "etc/nginx/nginx.conf"))
	if err != nil || string(data) != "worker_processes 1;\n" {
		t.Fatalf("copied file = %q, %v", data, err)
	}
	checkMode(t, filepath.Join(root, "etc/nginx/nginx.conf"), 0o600)
	entries, _ := os.ReadDir(filepath.Join(root, "etc/nginx"))
	if len(entries) != 1 {
		t.Errorf("destination folder holds %d entries, want only the file", len(entries))
	}
}

func TestCopyFileUnpacksTree(t *testing.T) {
	lab := labTree(t)
	root := unpackOnHost(t, lab, labfile.File{Src: "files/site", Dest: "/srv/www", Mode: "0640"})
	www := filepath.Join(root, "srv/www")
	checkMode(t, www, fs.ModeDir|0o750)
	checkMode(t, filepath.Join(www, "cgi"), fs.ModeDir|0o750)
	checkMode(t, filepath.Join(www, "cgi/run.sh"), 0o640)
	checkMode(t, filepath.Join(www, "img/.keep"), 0o640)
	if target, err := os.Readlink(filepath.Join(www, "home.html")); err != nil || target != "index.html" {
		t.Errorf("symlink = %q, %v", target, err)
	}
	if data, _ := os.ReadFile(filepath.Join(www, "index.html")); string(data) != "<h1>shop</h1>\n" {
		t.Errorf("index.html = %q", data)
	}
}

func TestCopyFileKeepsSourceMode(t *testing.T) {
	lab := labTree(t)
	os.Chmod(filepath.Join(lab, "files/site/cgi/run.sh"), 0o755)
	root := unpackOnHost(t, lab, labfile.File{Src: "files/site", Dest: "/srv/www"})
	checkMode(t, filepath.Join(root, "srv/www/cgi/run.sh"), 0o755)
	checkMode(t, filepath.Join(root, "srv/www/index.html"), 0o640)
}

func TestUnpackCommandOwner(t *testing.T) {
	got := unpackCommand("/var/cache/vlab/upload/a.tar.gz", labfile.File{Dest: "/srv/www/", Owner: "www-data:www-data"}, true)
	want := "mkdir -p /srv/www && tar -xzf /var/cache/vlab/upload/a.tar.gz -C /srv/www --no-same-owner" +
		" && tar -tzf /var/cache/vlab/upload/a.tar.gz | (cd /srv/www && xargs -r -d '\\n' chown -h -- www-data:www-data)" +
		" && rm -f /var/cache/vlab/upload/a.tar.gz"
	if got != want {
		t.Errorf("command:\n got %s\nwant %s", got, want)
	}
}

func TestCopyFileOneRoundTrip(t *testing.T) {
	lab := labTree(t)
	var r *fakeRunner
	var uploaded map[string]string
	r = newFakeRunner(func(cmd string) (string, int) {
		// The tarball still exists while the guest unpacks it.
		for dst, src := range r.uploads {
			if _, err := os.Stat(src); err == nil && strings.Contains(cmd, dst) {
				uploaded = archiveFiles(t, src)
			}
		}
		return "", 0
	})
	err := CopyFile(context.Background(), r, lab, labfile.File{Src: "files/site", Dest: "/srv/www", Owner: "www-data"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.uploads) != 1 || len(r.cmds) != 1 {
		t.Errorf("uploads %v and commands %q, want one of each", r.uploads, r.cmds)
	}
	if got := strings.Join(sortedKeys(uploaded), " "); got != "cgi/README.txt cgi/run.sh img/.keep index.html" {
		t.Errorf("tarball files = %s", got)
	}
	for _, src := range r.uploads {
		if _, err := os.Stat(src); !os.IsNotExist(err) {
			t.Errorf("host tarball %s left behind", src)
		}
	}
}

func TestCopyFileErrors(t *testing.T) {
	lab := labTree(t)
	for _, tt := range []struct {
		f    labfile.File
		want string
	}{
		{labfile.File{Src: "files/nginx.conf", Dest: "etc/nginx.conf"}, "must be an absolute path"},
		{labfile.File{Src: "files/nginx.conf", Dest: "/"}, "must be an absolute path below /"},
		{labfile.File{Src: "files/nginx.conf", Dest: "/etc/x", Mode: "rw"}, "not an octal file mode"},
		{labfile.File{Src: "files/missing", Dest: "/etc/x"}, "pack files/missing"},
	} {
		err := CopyFile(context.Background(), newFakeRunner(nil), lab, tt.f, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.f, err, tt.want)
		}
	}
	r := newFakeRunner(func(string) (string, int) { return "chown: invalid user: 'www'\n", 1 })
	err := CopyFile(context.Background(), r, lab, labfile.File{Src: "files/nginx.conf", Dest: "/etc/x", Owner: "www"}, nil)
	if err == nil || !strings.Contains(err.Error(), "copy files/nginx.conf to /etc/x") || !strings.Contains(err.Error(), "invalid user") {
		t.Errorf("failed unpack: err = %v", err)
	}
}

// A file step's source must stay in the lab folder, symlinks followed,
// when it is packed and when it is digested for the plan.
func TestCopyFileRefusesSymlinksOut(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "shadow"), []byte("secret\n"), 0o600)
	lab := labTree(t)
	os.Symlink(filepath.Join(host, "shadow"), filepath.Join(lab, "files", "shadow"))
	os.Symlink(host, filepath.Join(lab, "hostdir"))
	os.Symlink("nginx.conf", filepath.Join(lab, "files", "inside.conf"))
	for _, src := range []string{"files/shadow", "hostdir/shadow", "hostdir", "../" + filepath.Base(lab) + "/../x"} {
		r := newFakeRunner(nil)
		err := CopyFile(context.Background(), r, lab, labfile.File{Src: src, Dest: "/etc/x"}, nil)
		if err == nil || !strings.Contains(err.Error(), "leads outside the lab folder") || strings.Contains(err.Error(), "\n") || len(r.uploads) > 0 {
			t.Errorf("%s: err = %v, uploads %v; want one line refusing it, nothing uploaded", src, err, r.uploads)
		}
		lab := &labfile.Lab{Name: "x", Dir: lab, VMs: []labfile.VM{{Name: "web", Provision: []labfile.Step{{File: &labfile.File{Src: src, Dest: "/etc/x"}}}}}}
		if _, err := NewPlan(context.Background(), lab, "web", PlanOptions{CacheDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "leads outside the lab folder") {
			t.Errorf("%s: plan err = %v", src, err)
		}
	}
	if err := CopyFile(context.Background(), newFakeRunner(nil), lab, labfile.File{Src: "files/inside.conf", Dest: "/etc/x"}, nil); err != nil {
		t.Errorf("a symlink inside the lab: %v", err)
	}
}
