package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// deepLab writes lab.yaml into a new lab folder (or labDir when given) and
// loads it.
func deepLab(t *testing.T, labDir, yaml string) *labfile.Lab {
	t.Helper()
	if labDir == "" {
		labDir = filepath.Join(t.TempDir(), "deep")
	}
	if err := os.MkdirAll(labDir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(labDir, labfile.FileName)
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	lab, err := labfile.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

// fixtureSources is an apt source of testdata/index: a Packages file and
// no .debs, enough to check versions and dependencies.
func fixtureSources(t *testing.T) []string {
	abs, err := filepath.Abs("testdata/index")
	if err != nil {
		t.Fatal(err)
	}
	return []string{"deb [trusted=yes] copy:" + abs + " ./"}
}

// problemLines renders a report's problems with the lab folder cut off.
func problemLines(lab *labfile.Lab, r DeepReport) string {
	var lines []string
	for _, p := range r.Problems {
		lines = append(lines, strings.TrimPrefix(p.Error(), lab.Dir+string(filepath.Separator)))
	}
	return strings.Join(lines, "\n")
}

const pinsLab = `name: deep
title: Pins
vms:
  - name: web
    provision:
      - packages:
          vlab-web: 1.4.2-1
      - packages:
          vlab-web: 1.4.3-1
          nosuch: "1.0"
      - packages:
          vlab-web: 1.4.2-1
          vlab-lib: 1.9-1
      - packages:
          vlab-broken: 0.1-1
`

func TestCheckDeepPackages(t *testing.T) {
	needTools(t, "apt-get", "apt-cache")
	lab := deepLab(t, "", pinsLab)
	r := CheckDeep(context.Background(), lab, DeepOptions{CacheDir: t.TempDir(), Sources: fixtureSources(t), Puppet: "true"})
	got := problemLines(lab, r)
	for _, want := range []string{
		"lab.yaml:9: vms[0].provision[1].packages.vlab-web: pinned vlab-web 1.4.3-1 but the apt sources only have 1.4.2-1, 1.4.1-1;",
		"lab.yaml:10: vms[0].provision[1].packages.nosuch: package nosuch is not in the apt sources;",
		"lab.yaml:11: vms[0].provision[2].packages: the pinned packages cannot be installed together: vlab-web : Depends: vlab-lib (>= 2.0) but 1.9-1 is to be installed;",
		"lab.yaml:14: vms[0].provision[3].packages: the pinned packages cannot be installed together: vlab-broken : Depends: vlab-absent but it is not installable;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack\n%s\ngot:\n%s", want, got)
		}
	}
	if len(r.Problems) != 4 || len(r.Notes) != 0 {
		t.Errorf("want 4 problems and no note, got:\n%s\nnotes: %v", got, r.Notes)
	}
}

// TestCheckDeepPackagesOffline checks the cached index with its age, and
// says clearly when there is none.
func TestCheckDeepPackagesOffline(t *testing.T) {
	needTools(t, "apt-get", "apt-cache")
	lab := deepLab(t, "", pinsLab)
	cache := t.TempDir()
	opts := DeepOptions{CacheDir: cache, Sources: fixtureSources(t), Offline: true, Puppet: "true"}
	r := CheckDeep(context.Background(), lab, opts)
	want := "pinned packages not checked: vlab is offline (--offline) and the cache holds no package index for these sources;"
	if len(r.Problems) != 1 || !strings.Contains(r.Problems[0].Error(), want) {
		t.Fatalf("offline with no cache: %s, want one problem %q", problemLines(lab, r), want)
	}

	opts.Offline = false
	CheckDeep(context.Background(), lab, opts) // fetches the index into the cache
	opts.Offline = true
	opts.Now = func() time.Time { return time.Now().Add(50 * time.Hour) }
	r = CheckDeep(context.Background(), lab, opts)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "vlab is offline (--offline); package versions checked against the index cached 2 days ago") {
		t.Errorf("notes = %q, want the cached index's age", r.Notes)
	}
	if len(r.Problems) != 4 || !strings.Contains(problemLines(lab, r), "pinned vlab-web 1.4.3-1") {
		t.Errorf("offline problems:\n%s", problemLines(lab, r))
	}
}

// TestCheckDeepDebDir checks pins against the lab's own debs/ alone, and
// against the image's installed packages when it is built.
func TestCheckDeepDebDir(t *testing.T) {
	needTools(t, "apt-get", "apt-cache", "dpkg-deb")
	labDir := filepath.Join(t.TempDir(), "deep")
	os.MkdirAll(filepath.Join(labDir, "debs"), 0o755)
	makeDeb(t, filepath.Join(labDir, "debs"), "shop-api", "2.8.0-1", "libc6 (>= 2.36)")
	lab := deepLab(t, labDir, "name: deep\ntitle: Debs\nvms:\n  - name: app\n    provision:\n      - packages:\n          shop-api: 2.8.0-1\n      - packages:\n          shop-api: 2.7.0-1\n")
	opts := DeepOptions{CacheDir: t.TempDir(), Sources: fixtureSources(t), Puppet: "true"}
	r := CheckDeep(context.Background(), lab, opts)
	want := "lab.yaml:9: vms[0].provision[1].packages.shop-api: pinned shop-api 2.7.0-1 but the packages in the lab's debs/ only have 2.8.0-1;"
	if len(r.Problems) != 1 || !strings.Contains(problemLines(lab, r), want) {
		t.Errorf("problems:\n%s\nwant only %q", problemLines(lab, r), want)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "image debian-12 is not built here: the dependencies of vms[0].provision[0] on it were not checked") {
		t.Errorf("notes = %q, want one saying the dependencies were not checked", r.Notes)
	}

	status := writeStatus(t, "libc6", "2.36-9")
	opts.ImageStatus = func(image string) string { return map[string]string{"debian-12": status}[image] }
	r = CheckDeep(context.Background(), lab, opts)
	if len(r.Problems) != 1 || len(r.Notes) != 0 {
		t.Errorf("with the image's status: problems\n%s\nnotes %q", problemLines(lab, r), r.Notes)
	}
	opts.ImageStatus = func(string) string { return writeStatus(t, "libc6", "2.31-13") }
	r = CheckDeep(context.Background(), lab, opts)
	if !strings.Contains(problemLines(lab, r), "lab.yaml:6: vms[0].provision[0].packages: the pinned packages cannot be installed together: shop-api : Depends: libc6 (>= 2.36)") {
		t.Errorf("an image with too old a libc6:\n%s", problemLines(lab, r))
	}
}

const puppetLab = `name: deep
title: Puppet
vms:
  - name: web
    provision:
      - puppet:
          repo: puppet
          revision: %s
`

// TestCheckDeepRevision reports a revision the lab's repository lacks at
// its field, naming the repository and the revision.
func TestCheckDeepRevision(t *testing.T) {
	labDir := filepath.Join(t.TempDir(), "deep")
	repo := newTestRepo(t, filepath.Join(labDir, "puppet"))
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'hello': }\n"})
	for rev, want := range map[string]string{
		"main":       "",
		"v9-missing": `lab.yaml:8: vms[0].provision[0].puppet.revision: puppet repo puppet: no commit, tag or branch "v9-missing"; pin one that exists there`,
		"0123456789abcdef0123456789abcdef01234567": `lab.yaml:8: vms[0].provision[0].puppet.revision: puppet repo puppet: no commit, tag or branch "0123456789abcdef0123456789abcdef01234567"`,
	} {
		lab := deepLab(t, labDir, strings.Replace(puppetLab, "%s", rev, 1))
		r := CheckDeep(context.Background(), lab, DeepOptions{CacheDir: t.TempDir(), Puppet: "true"})
		got := problemLines(lab, r)
		if want == "" && got != "" || !strings.Contains(got, want) || len(r.Problems) > 1 {
			t.Errorf("revision %s: got\n%s\nwant %q", rev, got, want)
		}
	}
	os.MkdirAll(filepath.Join(labDir, "plain"), 0o755)
	lab := deepLab(t, labDir, strings.Replace(strings.Replace(puppetLab, "%s", "main", 1), "repo: puppet", "repo: plain", 1))
	r := CheckDeep(context.Background(), lab, DeepOptions{CacheDir: t.TempDir(), Puppet: "true"})
	if got := problemLines(lab, r); !strings.Contains(got, "lab.yaml:7: vms[0].provision[0].puppet.repo: puppet repo plain is not a git repository") {
		t.Errorf("missing repository: %s", got)
	}
}

// TestCheckDeepManifests runs the host's puppet on the tree at the pinned
// revision: a syntax error is reported with its file and line, a missing
// manifest at its field.
func TestCheckDeepManifests(t *testing.T) {
	needTools(t, "puppet")
	labDir := filepath.Join(t.TempDir(), "deep")
	repo := newTestRepo(t, filepath.Join(labDir, "puppet"))
	good := repo.commit(map[string]string{"manifests/site.pp": "node default {\n  include web\n}\n",
		"modules/web/manifests/init.pp": "class web {\n  notify { 'hi': }\n}\n"})
	repo.commit(map[string]string{"modules/web/manifests/init.pp": "class web {\n  $port =\n}\n"})
	cache := t.TempDir()
	lab := deepLab(t, labDir, strings.Replace(puppetLab, "%s", good, 1))
	if r := CheckDeep(context.Background(), lab, DeepOptions{CacheDir: cache}); len(r.Problems) != 0 {
		t.Errorf("good revision: %s", problemLines(lab, r))
	}
	lab = deepLab(t, labDir, strings.Replace(puppetLab, "%s", "main", 1)+"          manifest: manifests/nosuch.pp\n")
	r := CheckDeep(context.Background(), lab, DeepOptions{CacheDir: cache})
	got := problemLines(lab, r)
	for _, want := range []string{
		"lab.yaml:9: vms[0].provision[0].puppet.manifest: manifest manifests/nosuch.pp is not in puppet at ",
		"lab.yaml:6: vms[0].provision[0].puppet: puppet at " + repo.git("rev-parse", "--short=7", "main") + ": modules/web/manifests/init.pp:3:1: Syntax error at '}'; fix the manifest in the repository",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack\n%s\ngot:\n%s", want, got)
		}
	}
	if len(r.Problems) != 2 {
		t.Errorf("want 2 problems, got:\n%s", got)
	}
}

// TestCheckDeepNoPuppet says, at the step, that puppet must be installed.
func TestCheckDeepNoPuppet(t *testing.T) {
	labDir := filepath.Join(t.TempDir(), "deep")
	repo := newTestRepo(t, filepath.Join(labDir, "puppet"))
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'hello': }\n"})
	lab := deepLab(t, labDir, strings.Replace(puppetLab, "%s", "main", 1))
	r := CheckDeep(context.Background(), lab, DeepOptions{CacheDir: t.TempDir(), Puppet: "vlab-test-no-puppet"})
	want := "lab.yaml:6: vms[0].provision[0].puppet: manifests not checked: vlab-test-no-puppet is not installed on this host; install it (`apt-get install puppet` on Debian 12)"
	if got := problemLines(lab, r); !strings.Contains(got, want) || len(r.Problems) != 1 {
		t.Errorf("got\n%s\nwant %q", got, want)
	}
}

// TestCheckDeepPackagesUnreachable falls back to the cached index, with a
// note saying why and how old it is, when the sources cannot be reached.
func TestCheckDeepPackagesUnreachable(t *testing.T) {
	needTools(t, "apt-get", "apt-cache")
	index := filepath.Join(t.TempDir(), "index")
	os.MkdirAll(index, 0o755)
	data, err := os.ReadFile("testdata/index/Packages")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(index, "Packages"), data, 0o644)
	lab := deepLab(t, "", pinsLab)
	opts := DeepOptions{CacheDir: t.TempDir(), Sources: []string{"deb [trusted=yes] copy:" + index + " ./"}, Puppet: "true"}
	if r := CheckDeep(context.Background(), lab, opts); len(r.Problems) != 4 {
		t.Fatalf("first run:\n%s", problemLines(lab, r))
	}
	os.RemoveAll(index)
	r := CheckDeep(context.Background(), lab, opts)
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "the package index could not be fetched (apt-get update: ") ||
		!strings.Contains(r.Notes[0], "package versions checked against the index cached less than a minute ago") {
		t.Errorf("notes = %q", r.Notes)
	}
	if len(r.Problems) != 4 {
		t.Errorf("with the cached index:\n%s", problemLines(lab, r))
	}
}
