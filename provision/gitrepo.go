package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/labfile"
)

// PuppetTree is a puppet repository's revision resolved and exported on the
// host, ready to upload.
type PuppetTree struct {
	Repo     string `json:"repo"`     // as written in lab.yaml
	Revision string `json:"revision"` // as written in lab.yaml
	Commit   string `json:"commit"`   // full commit id the revision resolved to
	Tree     string `json:"tree"`     // git tree id of what is exported
	Archive  string `json:"-"`        // host path of the tree as .tar.gz
	// History is the host path of a git bundle of the history up to
	// Commit, for a step that keeps a clone in the guest; "" otherwise.
	History string `json:"-"`
}

// Short is the commit abbreviated for progress lines.
func (t PuppetTree) Short() string { return shortID(t.Commit) }

// gitSource is vlab's own repository on the host that revisions resolve
// in: a copy of a local repository or of a git bundle, or a bare mirror of
// a remote one.
type gitSource struct {
	dir    string // where git commands run
	prefix string // the puppet tree's folder inside the repository, "" for its root
	remote bool   // dir is a mirror that can be fetched
	g      *gitTool
}

// ExportPuppet resolves revision in repo (a folder or git bundle inside
// labDir, or a git URL mirrored under cacheDir) to a commit and exports
// exactly that commit's tree to a tarball in cacheDir. A local repository
// needs no network; a remote one needs it only to mirror it the first time
// and to follow a branch or tag, which offline forbids. Git never runs in
// the lab's repository nor with its config (see gitTool).
func ExportPuppet(ctx context.Context, cacheDir, labDir, repo, revision string, offline bool, verbose io.Writer) (PuppetTree, error) {
	return exportPuppet(ctx, cacheDir, labDir, labfile.Puppet{Repo: repo, Revision: revision}, offline, verbose, false)
}

// ExportStep is ExportPuppet for a lab's puppet step, which may be on
// vlab's kit (see kitsource.go) and may keep a clone in the guest.
func ExportStep(ctx context.Context, cacheDir, labDir string, p labfile.Puppet, offline bool, verbose io.Writer) (PuppetTree, error) {
	return exportPuppet(ctx, cacheDir, labDir, p, offline, verbose, false)
}

// exportPuppet is ExportStep; fileURLs lets tests stand a file:// URL
// in for a remote repository.
func exportPuppet(ctx context.Context, cacheDir, labDir string, p labfile.Puppet, offline bool, verbose io.Writer, fileURLs bool) (PuppetTree, error) {
	repo, revision := p.Repo, p.Revision
	// The kit itself, not a repository of the lab's that happens to be
	// called like it.
	fromKit := repo == "" && p.Kit != ""
	if fromKit {
		repo = kitRepo
	}
	t := PuppetTree{Repo: repo, Revision: revision}
	if revision == "" || strings.HasPrefix(revision, "-") {
		return t, fmt.Errorf("puppet repo %s: revision %q is not a commit, tag or branch; pin one", repo, revision)
	}
	if cacheDir == "" {
		return t, errors.New("export puppet repo: no cache directory")
	}
	cacheDir, err := filepath.Abs(cacheDir)
	if err != nil {
		return t, fmt.Errorf("puppet cache: %w", err)
	}
	g, err := newGitTool(verbose, fileURLs)
	if err != nil {
		return t, fmt.Errorf("export puppet repo %s: %w", repo, err)
	}
	defer g.close()
	var src *gitSource
	if fromKit {
		src, err = openKit(ctx, g, cacheDir)
	} else {
		src, err = openGitSource(ctx, g, cacheDir, labDir, repo, revision, offline, fileURLs)
	}
	if err != nil {
		return t, err
	}
	if t.Commit, err = src.resolve(ctx, revision, offline); err != nil {
		return t, fmt.Errorf("puppet repo %s: %w", repo, err)
	}
	if p.Kit != "" && !fromKit {
		if err := onKit(ctx, g, cacheDir, src, p.Kit, t.Commit); err != nil {
			return t, fmt.Errorf("puppet repo %s at %s: %w", repo, t.Short(), err)
		}
	}
	if p.Clone != "" {
		if t.History, err = src.history(ctx, t.Commit, filepath.Join(cacheDir, "puppet")); err != nil {
			return t, fmt.Errorf("puppet repo %s at %s: history for the guest's clone: %w", repo, t.Short(), err)
		}
	}
	if t.Tree, err = src.tree(ctx, t.Commit); err != nil {
		return t, fmt.Errorf("puppet repo %s at %s: %w", repo, t.Short(), err)
	}
	if t.Archive, err = src.export(ctx, t.Tree, filepath.Join(cacheDir, "puppet")); err != nil {
		return t, fmt.Errorf("export puppet repo %s at %s: %w", repo, t.Short(), err)
	}
	return t, nil
}

func openGitSource(ctx context.Context, g *gitTool, cacheDir, labDir, repo, revision string, offline, fileURLs bool) (*gitSource, error) {
	if labfile.IsGitURL(repo) {
		if !fileURLs && !labfile.GitURLAllowed(repo) {
			return nil, fmt.Errorf("puppet repo %s: only https, http, ssh and git URLs are fetched; put a repository of this machine in the lab folder", repo)
		}
		return openMirror(ctx, g, cacheDir, repo, offline)
	}
	if filepath.IsAbs(repo) {
		return nil, fmt.Errorf("puppet repo %s is an absolute path; put the repository in the lab folder (a folder or a git bundle) or give a git URL", repo)
	}
	dir, err := confine.Resolve(labDir, repo)
	switch {
	case errors.Is(err, confine.ErrOutside):
		return nil, fmt.Errorf("puppet repo %s: %w; put the repository in the lab folder (a folder or a git bundle) or give a git URL", repo, err)
	case err != nil:
		return nil, fmt.Errorf("puppet repo %s is not a git repository; commit the puppet tree to git or give a git URL: %w", repo, err)
	}
	if strings.HasSuffix(repo, ".bundle") {
		return openBundle(ctx, g, cacheDir, dir)
	}
	return openLocal(ctx, g, cacheDir, labDir, dir, repo, revision)
}

// openMirror returns vlab's bare mirror of url, cloning it first if needed.
func openMirror(ctx context.Context, g *gitTool, cacheDir, url string, offline bool) (*gitSource, error) {
	id, err := Key(url)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(cacheDir, "git", id[:16]+".git")
	src := &gitSource{dir: dir, remote: true, g: g}
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err == nil {
		return src, nil
	}
	if offline {
		return nil, fmt.Errorf("puppet repo %s is not mirrored yet and vlab is offline; run once online", url)
	}
	err = createRepo(dir, func(tmp string) error {
		_, err := g.runNet(ctx, "", "clone", "--mirror", "--quiet", "--template=", "--", url, tmp)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("mirror puppet repo %s: %w; check the URL and your network", url, err)
	}
	return src, nil
}

// openBundle returns a mirror of a git bundle file: a whole repository's
// history in one file that a lab carries, so that it needs neither network
// nor this repository's history. The mirror is named by the bundle's
// content; a changed bundle gets a new one. A bundle holds refs and
// objects only: nothing of it reaches the mirror's config.
func openBundle(ctx context.Context, g *gitTool, cacheDir, path string) (*gitSource, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, fmt.Errorf("puppet bundle %s: %w", path, err)
	}
	src := &gitSource{dir: filepath.Join(cacheDir, "git", "bundle-"+sum[:16]+".git"), g: g}
	if _, err := os.Stat(filepath.Join(src.dir, "HEAD")); err == nil {
		return src, nil
	}
	err = createRepo(src.dir, func(tmp string) error {
		_, err := g.run(ctx, "", "clone", "--mirror", "--quiet", "--template=", "--", path, tmp)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("puppet bundle %s: %w; make it with `git bundle create FILE --all`", path, err)
	}
	return src, nil
}

func (s *gitSource) git(ctx context.Context, args ...string) ([]byte, error) {
	return s.g.run(ctx, s.dir, args...)
}

var hexRevision = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// resolve returns the full commit id of revision. A mirror is fetched
// first unless the revision is a commit it already has: branches and tags
// move, commits do not. When the fetch fails the mirror's last known
// revision is used, with a warning.
func (s *gitSource) resolve(ctx context.Context, revision string, offline bool) (string, error) {
	if s.remote && !offline && !(hexRevision.MatchString(revision) && s.has(ctx, revision)) {
		unlock, err := lockDir(ctx, s.dir)
		if err != nil {
			return "", err
		}
		_, ferr := s.g.runNet(ctx, s.dir, "fetch", "--prune", "--quiet", "origin")
		unlock()
		if ferr != nil && !s.has(ctx, revision) {
			return "", fmt.Errorf("fetch: %w; check your network", ferr)
		}
		if ferr != nil {
			fmt.Fprintf(orDiscard(s.g.verbose), "warning: fetch failed, using the mirror's %s: %v\n", revision, ferr)
		}
	}
	out, err := s.git(ctx, "rev-parse", "--verify", "--quiet", revision+"^{commit}")
	if err != nil {
		return "", &RevisionError{Revision: revision}
	}
	return strings.TrimSpace(string(out)), nil
}

// has reports whether revision names a commit in the repository.
func (s *gitSource) has(ctx context.Context, revision string) bool {
	_, err := s.g.quiet(ctx, s.dir, "rev-parse", "--verify", "--quiet", revision+"^{commit}")
	return err == nil
}

// tree returns the id of the puppet tree in commit: the repository's root,
// or the lab's folder when the repository holds more than the puppet tree.
func (s *gitSource) tree(ctx context.Context, commit string) (string, error) {
	spec := commit + "^{tree}"
	if s.prefix != "" {
		spec = commit + ":" + s.prefix
	}
	out, err := s.git(ctx, "rev-parse", "--verify", "--quiet", spec)
	if err != nil {
		return "", &RevisionError{Revision: commit, Folder: s.prefix}
	}
	return strings.TrimSpace(string(out)), nil
}

// export writes tree as a gzipped tarball named after it into dir, once.
func (s *gitSource) export(ctx context.Context, tree, dir string) (string, error) {
	archive := filepath.Join(dir, tree+".tar.gz")
	return archive, writeOnce(ctx, archive, func(tmp string) error {
		_, err := s.git(ctx, "archive", "--format=tar.gz", "-o", tmp, tree)
		return err
	})
}

// RevisionError is a puppet revision that the repository does not have,
// or whose commit lacks the lab's puppet folder.
type RevisionError struct {
	Revision string
	Folder   string // set when the commit exists but lacks this folder
}

func (e *RevisionError) Error() string {
	if e.Folder != "" {
		return fmt.Sprintf("folder %s is not in that commit; pin a revision that has it", e.Folder)
	}
	return fmt.Sprintf("no commit, tag or branch %q; pin one that exists there", e.Revision)
}

func shortID(id string) string {
	if len(id) > 7 {
		return id[:7]
	}
	return id
}

func dirExists(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir()
}
