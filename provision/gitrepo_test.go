package provision

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// testRepo is a real git repository in a temporary folder.
type testRepo struct {
	t   *testing.T
	dir string
}

func newTestRepo(t *testing.T, dir string) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &testRepo{t: t, dir: dir}
	r.git("init", "-q", "-b", "main")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org", "GIT_CONFIG_NOSYSTEM=1", "HOME="+r.dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (path -> content) and commits them; it returns the
// commit id.
func (r *testRepo) commit(files map[string]string) string {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "change")
	return r.git("rev-parse", "HEAD")
}

// archiveFiles reads a .tar.gz and returns its regular files' contents.
func archiveFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			files[strings.TrimPrefix(h.Name, "./")] = string(data)
		}
	}
}

func TestExportPuppetLocalRevisions(t *testing.T) {
	labDir := t.TempDir()
	repo := newTestRepo(t, filepath.Join(labDir, "puppet"))
	v1 := repo.commit(map[string]string{"manifests/site.pp": "notify { 'v1': }\n"})
	repo.git("tag", "v1")
	v2 := repo.commit(map[string]string{"manifests/site.pp": "notify { 'v2': }\n", "modules/m/init.pp": "class m {}\n"})
	repo.git("branch", "stable", v1)
	cache := t.TempDir()
	for _, tt := range []struct{ rev, commit, site string }{
		{v1, v1, "v1"},
		{v1[:8], v1, "v1"},
		{"v1", v1, "v1"},
		{"stable", v1, "v1"},
		{"main", v2, "v2"},
	} {
		got, err := ExportPuppet(context.Background(), cache, labDir, "puppet", tt.rev, false, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.rev, err)
		}
		if got.Commit != tt.commit {
			t.Errorf("%s resolved to %s, want %s", tt.rev, got.Commit, tt.commit)
		}
		files := archiveFiles(t, got.Archive)
		if !strings.Contains(files["manifests/site.pp"], tt.site) {
			t.Errorf("%s: exported site.pp = %q, want the %s version", tt.rev, files["manifests/site.pp"], tt.site)
		}
		if _, ok := files["modules/m/init.pp"]; ok != (tt.site == "v2") {
			t.Errorf("%s: exported files %v do not match the commit", tt.rev, sortedKeys(files))
		}
	}
}

func TestExportPuppetIgnoresWorkingTree(t *testing.T) {
	labDir := t.TempDir()
	repo := newTestRepo(t, filepath.Join(labDir, "puppet"))
	c := repo.commit(map[string]string{"site.pp": "committed\n"})
	os.WriteFile(filepath.Join(repo.dir, "site.pp"), []byte("edited\n"), 0o644)
	os.WriteFile(filepath.Join(repo.dir, "untracked.pp"), []byte("x\n"), 0o644)
	got, err := ExportPuppet(context.Background(), t.TempDir(), labDir, "puppet", "HEAD", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := archiveFiles(t, got.Archive)
	if got.Commit != c || files["site.pp"] != "committed\n" || len(files) != 1 {
		t.Errorf("exported %v at %s, want only the committed site.pp at %s", files, got.Commit, c)
	}
}

func TestExportPuppetSubfolder(t *testing.T) {
	root := t.TempDir()
	repo := newTestRepo(t, root)
	c := repo.commit(map[string]string{"labs/hello/lab.yaml": "name: hello\n", "labs/hello/puppet/site.pp": "x\n"})
	got, err := ExportPuppet(context.Background(), t.TempDir(), filepath.Join(root, "labs/hello"), "puppet", "main", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := archiveFiles(t, got.Archive)
	if got.Commit != c || len(files) != 1 || files["site.pp"] != "x\n" {
		t.Errorf("exported %v, want only the puppet folder's site.pp", sortedKeys(files))
	}
	if want := repo.git("rev-parse", "HEAD:labs/hello/puppet"); got.Tree != want {
		t.Errorf("tree = %s, want the folder's tree %s", got.Tree, want)
	}
}

// exportFile exports from a file:// URL standing in for a remote one.
func exportFile(ctx context.Context, cache, url, rev string, offline bool, verbose io.Writer) (PuppetTree, error) {
	return exportPuppet(ctx, cache, "", labfile.Puppet{Repo: url, Revision: rev}, offline, verbose, true)
}

func TestExportPuppetMirror(t *testing.T) {
	upstream := newTestRepo(t, t.TempDir())
	old := upstream.commit(map[string]string{"site.pp": "old\n"})
	url := "file://" + upstream.dir
	cache := t.TempDir()
	ctx := context.Background()
	if _, err := exportFile(ctx, cache, url, "main", true, nil); err == nil || !strings.Contains(err.Error(), "not mirrored yet") {
		t.Fatalf("offline before mirroring: err = %v", err)
	}
	got, err := exportFile(ctx, cache, url, "main", false, nil)
	if err != nil || got.Commit != old {
		t.Fatalf("first export = %s, %v; want %s", got.Commit, err, old)
	}
	newer := upstream.commit(map[string]string{"site.pp": "new\n"})
	if got, err = exportFile(ctx, cache, url, "main", false, nil); err != nil || got.Commit != newer {
		t.Fatalf("branch after upstream moved = %s, %v; want %s", got.Commit, err, newer)
	}
	os.RemoveAll(upstream.dir)
	for _, rev := range []string{old, newer[:10]} {
		got, err := exportFile(ctx, cache, url, rev, false, nil)
		if err != nil {
			t.Fatalf("commit %s with upstream gone: %v", rev, err)
		}
		if files := archiveFiles(t, got.Archive); rev == old && files["site.pp"] != "old\n" {
			t.Errorf("commit %s exported %v", rev, files)
		}
	}
	if got, err := exportFile(ctx, cache, url, "main", true, nil); err != nil || got.Commit != newer {
		t.Errorf("offline branch = %s, %v; want the mirror's %s", got.Commit, err, newer)
	}
	var verbose strings.Builder
	got, err = exportFile(ctx, cache, url, "main", false, &verbose)
	if err != nil || got.Commit != newer || !strings.Contains(verbose.String(), "warning: fetch failed, using the mirror's main") {
		t.Errorf("branch with upstream gone = %s, %v, output %q; want the mirror's %s and a warning", got.Commit, err, verbose.String(), newer)
	}
	if _, err := exportFile(ctx, cache, url, "feature", false, nil); err == nil || !strings.Contains(err.Error(), "fetch: ") {
		t.Errorf("unknown branch with upstream gone: err = %v, want the fetch failure", err)
	}
}

func TestExportPuppetErrors(t *testing.T) {
	labDir := t.TempDir()
	repo := newTestRepo(t, filepath.Join(labDir, "puppet"))
	repo.commit(map[string]string{"site.pp": "x\n"})
	os.MkdirAll(filepath.Join(labDir, "plain"), 0o755)
	for _, tt := range []struct{ repo, rev, want string }{
		{"puppet", "v9", `no commit, tag or branch "v9"`},
		{"puppet", "--output=x", "is not a commit, tag or branch"},
		{"plain", "main", "is not a git repository"},
	} {
		_, err := ExportPuppet(context.Background(), t.TempDir(), labDir, tt.repo, tt.rev, false, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s@%s: err = %v, want one line containing %q", tt.repo, tt.rev, err, tt.want)
		}
	}
}

// A lab may carry its puppet history as a git bundle file.
func TestExportPuppetBundle(t *testing.T) {
	labDir := t.TempDir()
	repo := newTestRepo(t, t.TempDir())
	v1 := repo.commit(map[string]string{"manifests/site.pp": "notify { 'v1': }\n"})
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'v2': }\n"})
	repo.git("bundle", "create", filepath.Join(labDir, "puppet.bundle"), "--all")
	cache := t.TempDir()
	for i := 0; i < 2; i++ { // the second time from the mirror
		got, err := ExportPuppet(context.Background(), cache, labDir, "puppet.bundle", v1[:10], true, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.Commit != v1 || !strings.Contains(archiveFiles(t, got.Archive)["manifests/site.pp"], "v1") {
			t.Errorf("bundle export at %s: commit %s, files %v", v1, got.Commit, archiveFiles(t, got.Archive))
		}
	}
	if _, err := ExportPuppet(context.Background(), cache, labDir, "missing.bundle", "main", true, nil); err == nil {
		t.Error("a missing bundle exported")
	}
}
