package provision

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vlab-dev/vlab/internal/confine"
)

// repoLocation is where a puppet folder's history lives on the host.
type repoLocation struct {
	from   string // what git fetches from: the folder holding .git, or a bare repository
	gitDir string // the repository's git folder, resolved
	prefix string // the puppet folder inside the repository, "" for its root
	inLab  bool   // the repository came with the lab
}

// openLocal returns vlab's copy of the repository holding dir, a puppet
// folder of the lab (resolved inside labDir), brought up to date. The
// repository is either the lab's own (in the lab folder: untrusted, and
// it must not borrow anything from outside the lab) or the one holding
// the lab folder (the user's checkout of the labs).
func openLocal(ctx context.Context, g *gitTool, cacheDir, labDir, dir, repo, revision string) (*gitSource, error) {
	labReal, err := confine.Real(labDir)
	if err != nil {
		return nil, fmt.Errorf("puppet repo %s: %w", repo, err)
	}
	loc, err := findRepo(labReal, dir)
	if err != nil {
		return nil, fmt.Errorf("puppet repo %s is not a git repository; commit the puppet tree to git or give a git URL: %w", repo, err)
	}
	if loc.inLab {
		if err := checkLabGitDir(labReal, loc.gitDir); err != nil {
			return nil, fmt.Errorf("puppet repo %s: %w; give the lab a repository of its own or a git bundle", repo, err)
		}
	}
	id, err := Key(loc.from)
	if err != nil {
		return nil, err
	}
	src := &gitSource{dir: filepath.Join(cacheDir, "git", "local-"+id[:16]+".git"), prefix: loc.prefix, g: g}
	if err := src.fetchLocal(ctx, loc.from, wantsHead(revision)); err != nil {
		return nil, fmt.Errorf("puppet repo %s: read its history: %w", repo, err)
	}
	return src, nil
}

// findRepo finds the repository of dir as git would, without running git
// there: dir itself when it is a bare repository, else the nearest folder
// at or above it holding .git.
func findRepo(labReal, dir string) (repoLocation, error) {
	if isGitDir(dir) {
		return repoLocation{from: dir, gitDir: dir, inLab: true}, nil
	}
	for d := dir; ; d = filepath.Dir(d) {
		dotgit := filepath.Join(d, ".git")
		if _, err := os.Lstat(dotgit); err == nil {
			prefix, err := filepath.Rel(d, dir)
			if err != nil {
				return repoLocation{}, err
			}
			if prefix == "." {
				prefix = ""
			}
			gitDir, err := gitDirOf(d, dotgit)
			return repoLocation{from: d, gitDir: gitDir, prefix: filepath.ToSlash(prefix), inLab: confine.Within(labReal, d)}, err
		}
		if filepath.Dir(d) == d {
			return repoLocation{}, errors.New("no .git folder")
		}
	}
}

// isGitDir reports whether dir looks like a git folder: HEAD, objects, refs.
func isGitDir(dir string) bool {
	head, err := os.Stat(filepath.Join(dir, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err != nil || !st.IsDir() {
			return false
		}
	}
	return true
}

// gitDirOf resolves .git: a folder, or a file "gitdir: PATH" as linked
// worktrees and submodules have.
func gitDirOf(top, dotgit string) (string, error) {
	st, err := os.Stat(dotgit)
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return filepath.EvalSymlinks(dotgit)
	}
	data, err := os.ReadFile(dotgit)
	if err != nil {
		return "", err
	}
	target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:")
	if !ok {
		return "", fmt.Errorf("%s is neither a folder nor a gitdir file", dotgit)
	}
	target = strings.TrimSpace(target)
	if !filepath.IsAbs(target) {
		target = filepath.Join(top, target)
	}
	return filepath.EvalSymlinks(target)
}

// checkLabGitDir refuses a lab's git folder that reaches outside the lab
// folder: a git folder elsewhere, objects or refs borrowed from another
// repository (alternates, commondir), a symlink out, or a special file.
func checkLabGitDir(labReal, gitDir string) error {
	if !confine.Within(labReal, gitDir) {
		return fmt.Errorf("its git folder is %s, outside the lab folder", gitDir)
	}
	for _, f := range []string{"commondir", "objects/info/alternates", "objects/info/http-alternates"} {
		if _, err := os.Lstat(filepath.Join(gitDir, f)); err == nil {
			return fmt.Errorf("its git folder borrows from another repository (%s)", f)
		}
	}
	return filepath.WalkDir(gitDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			real, err := filepath.EvalSymlinks(p)
			if err != nil || !confine.Within(labReal, real) {
				return fmt.Errorf("%s in its git folder %w", p, confine.ErrOutside)
			}
		case !d.Type().IsRegular() && !d.IsDir():
			return fmt.Errorf("%s in its git folder is a special file", p)
		}
		return nil
	})
}

// headRevision matches revisions that start from HEAD: HEAD, HEAD~2, HEAD^.
var headRevision = regexp.MustCompile(`^HEAD([~^@].*)?$`)

func wantsHead(revision string) bool { return headRevision.MatchString(revision) }

// fetchLocal brings vlab's repository s.dir up to date with the local
// repository from: every ref, and HEAD when head is set. A new repository
// is made in a temporary folder and renamed into place.
func (s *gitSource) fetchLocal(ctx context.Context, from string, head bool) error {
	if _, err := os.Stat(filepath.Join(s.dir, "HEAD")); err == nil {
		unlock, err := lockDir(ctx, s.dir)
		if err != nil {
			return err
		}
		defer unlock()
		return fetchInto(ctx, s.g, s.dir, from, head)
	}
	return createRepo(s.dir, func(tmp string) error {
		if _, err := s.g.run(ctx, "", "init", "--bare", "--quiet", "--template=", tmp); err != nil {
			return err
		}
		return fetchInto(ctx, s.g, tmp, from, head)
	})
}

func fetchInto(ctx context.Context, g *gitTool, dir, from string, head bool) error {
	if _, err := g.run(ctx, dir, "fetch", "--quiet", "--no-tags", "--prune", "--no-recurse-submodules", "--", from, "+refs/*:refs/*"); err != nil {
		return err
	}
	if !head {
		return nil
	}
	if _, err := g.run(ctx, dir, "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--", from, "HEAD"); err != nil {
		return err
	}
	_, err := g.run(ctx, dir, "update-ref", "--no-deref", "HEAD", "FETCH_HEAD")
	return err
}

// createRepo makes a repository at dir with fill, in a temporary folder
// renamed into place, so that an interrupted fill never looks like a
// repository.
func createRepo(dir string, fill func(tmp string) error) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".clone-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil && !dirExists(dir) {
		return err
	}
	return nil
}
