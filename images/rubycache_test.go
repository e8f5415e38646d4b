package images

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The puppet wrapper the guest files install must be executable, load a
// setup file that is there too, and the packages it needs must be in
// the recipe; the other files keep 0644 unless they are commands.
func TestGuestFilesRubyCache(t *testing.T) {
	root := t.TempDir()
	if err := writeGuestFiles(root); err != nil {
		t.Fatal(err)
	}
	wrapper := filepath.Join(root, "usr/local/bin/puppet")
	st, err := os.Stat(wrapper)
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("usr/local/bin/puppet: %v, mode %v; want 0755", err, st)
	}
	data, _ := os.ReadFile(wrapper)
	const setup = "/usr/local/lib/vlab/bootsnap.rb"
	if !strings.Contains(string(data), "-r"+setup) || !strings.Contains(string(data), "exec /usr/bin/puppet") {
		t.Errorf("the wrapper does not load %s and exec Debian's puppet:\n%s", setup, data)
	}
	rb, err := os.ReadFile(filepath.Join(root, setup))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rb), `cache_dir: "`+rubyCacheDir+`"`) {
		t.Errorf("%s does not read the cache the build warms (%s):\n%s", setup, rubyCacheDir, rb)
	}
	if st, _ := os.Stat(filepath.Join(root, setup)); st.Mode().Perm() != 0o644 {
		t.Errorf("%s mode %v, want 0644", setup, st.Mode().Perm())
	}
	if st, _ := os.Stat(filepath.Join(root, "usr/local/sbin/vlab-init")); st.Mode().Perm() != 0o755 {
		t.Errorf("vlab-init mode %v, want 0755", st.Mode().Perm())
	}
	for name, r := range Recipes {
		if !slices.Contains(r.Packages, "ruby-bootsnap") || !slices.Contains(r.Packages, "puppet-agent") {
			t.Errorf("recipe %s: the wrapper needs puppet-agent and ruby-bootsnap in its packages", name)
		}
	}
}
