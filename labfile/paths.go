package labfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/confine"
)

// DebDirName is the folder of a lab that holds its own .deb packages.
const DebDirName = "debs"

// BundlePackagesName is the file of a lab folder in which `vlab bundle
// import` records the package sets the lab's bundle brought, for this lab
// alone. A bundle cannot carry it: import writes it.
const BundlePackagesName = "bundle-packages.json"

// exists checks that a path relative to the lab folder exists and stays
// inside it once symlinks are followed.
func (v *validator) exists(p path, rel string) {
	if filepath.IsAbs(rel) || strings.HasPrefix(filepath.Clean(rel), "..") {
		v.errf(p, "%q must be a path inside the lab folder", rel)
		return
	}
	_, err := confine.Resolve(v.lab.Dir, rel)
	switch {
	case errors.Is(err, confine.ErrOutside):
		v.errf(p, "%v; keep what the lab uses inside the lab folder", err)
	case err != nil:
		v.errf(p, "%s not found in the lab folder", rel)
	}
}

// gitSchemes are the transports a lab's puppet repository URL may use.
var gitSchemes = []string{"https", "http", "ssh", "git", "git+ssh", "ssh+git"}

// IsGitURL tells a remote repository (https://..., ssh://...,
// git@host:path) from a path in the lab folder.
func IsGitURL(repo string) bool {
	if strings.Contains(repo, "://") {
		return true
	}
	host, _, ok := strings.Cut(repo, ":")
	return ok && strings.Contains(host, "@") && !strings.Contains(host, "/")
}

// GitURLAllowed reports whether a lab may name url as its puppet
// repository: a network transport, never file:// (a path on the host).
func GitURLAllowed(url string) bool {
	scheme, _, ok := strings.Cut(url, "://")
	if !ok {
		return true // user@host:path is ssh
	}
	for _, s := range gitSchemes {
		if strings.EqualFold(scheme, s) {
			return true
		}
	}
	return false
}

// puppetRepo checks a puppet repository: a URL over the network, or a
// folder or git bundle inside the lab folder.
func (v *validator) puppetRepo(p path, repo string) {
	if !IsGitURL(repo) {
		v.exists(p, repo)
		return
	}
	if !GitURLAllowed(repo) {
		v.errf(p, "%q: only %s URLs are fetched; a repository on this machine goes in the lab folder (a folder or a git bundle)",
			repo, strings.Join(gitSchemes, ", "))
	}
}

// treePaths checks the paths a puppet step names inside its tree: a
// relative one may not climb out of it (an absolute one names the image's
// own modules or config, which is allowed).
func (v *validator) treePaths(p path, pp *Puppet) {
	check := func(f path, rel string) {
		if rel != "" && !filepath.IsAbs(rel) && !filepath.IsLocal(rel) {
			v.errf(f, "%q leaves the puppet tree; give a path inside the repository", rel)
		}
	}
	check(p.with("manifest"), pp.Manifest)
	for i, m := range pp.ModulePath {
		check(p.with("modulepath", i), m)
	}
	check(p.with("hiera"), pp.Hiera)
}

// debDir checks the lab's debs/ folder, when it has one, and the .deb
// files in it: none may lead outside the lab folder.
func (v *validator) debDir() {
	if _, err := os.Lstat(filepath.Join(v.lab.Dir, DebDirName)); err != nil {
		return
	}
	_, err := confine.Resolve(v.lab.Dir, DebDirName)
	if err == nil {
		var debs []string
		debs, err = filepath.Glob(filepath.Join(v.lab.Dir, DebDirName, "*.deb"))
		for _, d := range debs {
			if _, err = confine.Resolve(v.lab.Dir, filepath.Join(DebDirName, filepath.Base(d))); err != nil {
				break
			}
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		v.inv.add(0, DebDirName+"/", fmt.Sprintf("%v; keep the lab's packages inside the lab folder", err))
	}
}
