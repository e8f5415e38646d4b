package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/kit"
	"github.com/vlab-dev/vlab/labfile"
)

// kitRepo is how a puppet tree from vlab's kit names its repository in
// messages and records; a lab's own repository may have any name.
const kitRepo = "vlab's kit"

// openKit returns a mirror of vlab's kit history, which vlab carries
// (package kit): written to the cache as a bundle file once per content,
// then mirrored like a lab's bundle.
func openKit(ctx context.Context, g *gitTool, cacheDir string) (*gitSource, error) {
	b := kit.History()
	sum := sha256.Sum256(b)
	file := filepath.Join(cacheDir, "kit", "history-"+hex.EncodeToString(sum[:8])+".bundle")
	if _, err := os.Stat(file); err != nil {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.Write(file, b, 0o644); err != nil {
			return nil, fmt.Errorf("%s: %w", kit.Name, err)
		}
	}
	return openBundle(ctx, g, cacheDir, file)
}

// onKit checks that commit of src builds on kit revision tag: its history
// holds the tag's commit.
func onKit(ctx context.Context, g *gitTool, cacheDir string, src *gitSource, tag, commit string) error {
	k, err := openKit(ctx, g, cacheDir)
	if err != nil {
		return err
	}
	base, err := k.resolve(ctx, tag, true)
	if err != nil {
		return fmt.Errorf("%s has no revision %s: %w", kit.Name, tag, err)
	}
	if _, err := src.g.quiet(ctx, src.dir, "merge-base", "--is-ancestor", base, commit); err != nil {
		return fmt.Errorf("does not build on %s (commit %s is not in its history); make the lab's commits on a clone of the kit at %s (docs/KIT.md)", tag, shortID(base), tag)
	}
	return nil
}

// history writes a git bundle of the history up to commit into dir, once,
// with the commit as the bundle's one branch.
func (s *gitSource) history(ctx context.Context, commit, dir string) (string, error) {
	out := filepath.Join(dir, commit+".bundle")
	return out, writeOnce(ctx, out, func(tmp string) error {
		ref := "refs/heads/vlab-" + commit
		if _, err := s.git(ctx, "update-ref", ref, commit); err != nil {
			return err
		}
		_, err := s.git(ctx, "bundle", "create", "--quiet", tmp, ref)
		return err
	})
}

// cloneBranch is the branch of the guest's clone.
const cloneBranch = "production"

// CloneCommand is the guest command that replaces dir with a clone of the
// history bundle at bundle, on branch production at commit, with an
// identity for the trainee's commits.
func CloneCommand(bundle, dir, commit string) string {
	q := quote
	tmp := dir + ".vlab-new"
	return strings.Join([]string{
		"set -e",
		"rm -rf " + q(tmp),
		"git clone -q --no-hardlinks --template= -b vlab-" + commit + " " + q(bundle) + " " + q(tmp),
		"git -C " + q(tmp) + " branch -q -m " + cloneBranch,
		"git -C " + q(tmp) + " remote remove origin",
		"git -C " + q(tmp) + " config user.name 'On-call engineer'",
		"git -C " + q(tmp) + " config user.email oncall@lab.invalid",
		"rm -rf " + q(dir),
		"mkdir -p " + q(path.Dir(dir)),
		"mv " + q(tmp) + " " + q(dir),
		"rm -f " + q(bundle),
	}, "\n")
}

// labDataFile is where a step's hiera data goes in its clone; the kit's
// hierarchy reads it between a host's data and its role's.
const labDataFile = "data/lab.yaml"

// commitLabData writes the step's hiera data into its clone and commits it,
// so that the trainee's checkout is clean and `git log` says where it came
// from.
func commitLabData(ctx context.Context, r Runner, p labfile.Puppet, out io.Writer) error {
	if len(p.Data) == 0 {
		return nil
	}
	body, err := yaml.Marshal(p.Data)
	if err != nil {
		return fmt.Errorf("hiera data: %w", err)
	}
	doc := append([]byte("---\n# This lab's own hiera data (its lab.yaml), committed by vlab.\n"), body...)
	if err := r.WriteFile(ctx, path.Join(p.Clone, labDataFile), doc, 0o644); err != nil {
		return fmt.Errorf("write %s in the clone: %w", labDataFile, err)
	}
	commit := fmt.Sprintf("git -C %[1]s add %[2]s && git -C %[1]s -c user.name=vlab -c user.email=vlab@lab.invalid commit -q --no-verify -m %[3]s",
		quote(p.Clone), labDataFile, quote("this lab's hiera data ("+labDataFile+")"))
	if err := guestRun(ctx, r, "guest", commit, out); err != nil {
		return fmt.Errorf("commit %s in the clone: %w", labDataFile, err)
	}
	return nil
}

// CloneRepo replaces dest in the guest with a clone of tree's repository:
// its history up to tree's commit, checked out on branch production.
func CloneRepo(ctx context.Context, r Runner, tree PuppetTree, dest string, out io.Writer) error {
	if tree.History == "" {
		return fmt.Errorf("clone into %s: no history was exported", dest)
	}
	bundle := path.Join(guestPuppetCache, tree.Commit+".bundle")
	if err := r.Upload(ctx, tree.History, bundle); err != nil {
		return fmt.Errorf("upload the history of %s at %s: %w", tree.Repo, tree.Short(), err)
	}
	if err := guestRun(ctx, r, "guest", CloneCommand(bundle, dest, tree.Commit), out); err != nil {
		return fmt.Errorf("clone %s at %s into %s: %w; the image needs git", tree.Repo, tree.Short(), dest, err)
	}
	return nil
}
