package provision

import (
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/vlab-dev/vlab/internal/cmdrun"
	"github.com/vlab-dev/vlab/labfile"
)

// Guest folders for puppet trees: the uploaded tarballs and the unpacked
// trees puppet applies.
const (
	guestPuppetCache = "/var/cache/vlab/puppet"
	guestPuppetDir   = "/var/lib/vlab/puppet"
)

// defaultManifest is applied when a puppet step names none.
const defaultManifest = "manifests/site.pp"

// PuppetError is a `puppet apply` that failed: it keeps the failing
// resources and puppet's error lines. Unwrap gives the *CommandError with
// the last lines of puppet's output, for --verbose.
type PuppetError struct {
	Commit    string
	Resources []string // failing resources, such as Exec[migrate]
	Errors    []string // puppet's "Error:" lines, without the prefix
	Cmd       *CommandError
}

func (e *PuppetError) Error() string {
	msg := fmt.Sprintf("puppet apply at %s failed with status %d", shortID(e.Commit), e.Cmd.Exit)
	switch {
	case len(e.Resources) > 0:
		msg += ": failing resources " + strings.Join(e.Resources, ", ")
	case len(e.Errors) > 0:
		msg += ": " + cmdrun.Shorten(e.Errors[0])
	case len(e.Cmd.Output) > 0:
		msg += ": " + cmdrun.Shorten(e.Cmd.Output[len(e.Cmd.Output)-1])
	}
	if e.Cmd.Exit == 127 {
		return msg + "; the guest image has no puppet: rebuild it with the puppet package"
	}
	return msg + "; fix the manifests at that revision or pin another one (--verbose shows puppet's output)"
}

func (e *PuppetError) Unwrap() error { return e.Cmd }

// ApplyPuppet uploads tree to the guest, unpacks it into a fresh folder and
// runs `puppet apply --detailed-exitcodes` there with p's manifest,
// modulepath and hiera config, relative to the tree. Exit statuses 0 (no
// changes) and 2 (changes) are success; anything else is a *PuppetError.
// out receives everything puppet printed.
func ApplyPuppet(ctx context.Context, r Runner, tree PuppetTree, p labfile.Puppet, out io.Writer) error {
	if err := writeFacts(ctx, r, p); err != nil {
		return err
	}
	if p.Clone != "" {
		return applyClone(ctx, r, tree, p, out)
	}
	cmd, err := puppetCommand(guestTreeDir(tree), p)
	if err != nil {
		return err
	}
	archive := path.Join(guestPuppetCache, tree.Tree+".tar.gz")
	if err := r.Upload(ctx, tree.Archive, archive); err != nil {
		return fmt.Errorf("upload puppet tree at %s: %w", tree.Short(), err)
	}
	unpack := fmt.Sprintf("rm -rf %[1]s && mkdir -p %[1]s && tar -xzf %[2]s -C %[1]s",
		quote(guestTreeDir(tree)), quote(archive))
	if err := guestRun(ctx, r, "guest", unpack, out); err != nil {
		return fmt.Errorf("unpack puppet tree at %s: %w", tree.Short(), err)
	}
	// Unpacking runs on its own: tar's status 2 must not pass for puppet's.
	return runPuppet(ctx, r, tree.Commit, cmd, out)
}

// guestTreeDir is where tree is unpacked in the guest.
func guestTreeDir(tree PuppetTree) string { return path.Join(guestPuppetDir, shortID(tree.Tree)) }

// applyClone replaces the step's clone in the guest with the history up to
// the tree's commit and applies puppet from it: the trainee finds a real
// repository there (git log, diff, revert) that puppet-run applies again.
func applyClone(ctx context.Context, r Runner, tree PuppetTree, p labfile.Puppet, out io.Writer) error {
	cmd, err := puppetCommand(p.Clone, p)
	if err != nil {
		return err
	}
	if err := CloneRepo(ctx, r, tree, p.Clone, out); err != nil {
		return err
	}
	if err := commitLabData(ctx, r, p, out); err != nil {
		return err
	}
	return runPuppet(ctx, r, tree.Commit, cmd, out)
}

// factsFile is where vlab tells puppet (facter) the VM's role and where
// its puppet checkout is, for vlab's runs and the trainee's puppet-run.
const factsFile = "/etc/facter/facts.d/vlab.yaml"

// writeFacts writes the step's role and clone as facts, when it has them.
func writeFacts(ctx context.Context, r Runner, p labfile.Puppet) error {
	if p.Role == "" && p.Clone == "" {
		return nil
	}
	var b strings.Builder
	b.WriteString("# Written by vlab: this VM's role in its lab, and its puppet checkout.\n")
	if p.Role != "" {
		fmt.Fprintf(&b, "vlab_role: %s\n", p.Role)
	}
	if p.Clone != "" {
		fmt.Fprintf(&b, "vlab_puppet_dir: %s\n", p.Clone)
	}
	if err := r.WriteFile(ctx, factsFile, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", factsFile, err)
	}
	return nil
}

// puppetCommand is the guest command that applies the tree in dir.
func puppetCommand(dir string, p labfile.Puppet) (string, error) {
	manifest := p.Manifest
	if manifest == "" {
		manifest = defaultManifest
	}
	args := []string{"puppet", "apply", "--detailed-exitcodes", "--color=false"}
	var mods []string
	for _, m := range p.ModulePath {
		mod, err := inTree(dir, m, "modulepath")
		if err != nil {
			return "", err
		}
		mods = append(mods, mod)
	}
	if len(mods) > 0 {
		args = append(args, "--modulepath="+strings.Join(mods, ":"))
	}
	if p.Hiera != "" {
		hiera, err := inTree(dir, p.Hiera, "hiera")
		if err != nil {
			return "", err
		}
		args = append(args, "--hiera_config="+hiera)
	}
	manifest, err := inTree(dir, manifest, "manifest")
	if err != nil {
		return "", err
	}
	args = append(args, manifest)
	return "cd " + quote(dir) + " && " + quoteAll(args), nil
}

// inTree makes a path of the puppet tree absolute in the guest; absolute
// paths are kept, so that a modulepath can name the image's modules.
func inTree(dir, p, field string) (string, error) {
	if path.IsAbs(p) {
		return p, nil
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("puppet %s %q leaves the puppet tree; give a path inside the repository", field, p)
	}
	return path.Join(dir, clean), nil
}

// runPuppet runs cmd and reads puppet's error lines from all its output.
func runPuppet(ctx context.Context, r Runner, commit, cmd string, out io.Writer) error {
	tail := &cmdrun.Tail{}
	errs := newErrorLines()
	both := cmdrun.Sync(io.MultiWriter(tail, errs, orDiscard(out)))
	exit, err := r.Run(ctx, cmd, nil, both, both)
	errs.Flush()
	if err != nil {
		return fmt.Errorf("puppet apply at %s: %w", shortID(commit), err)
	}
	if exit == 0 || exit == 2 {
		return nil
	}
	return &PuppetError{
		Commit:    commit,
		Resources: failingResources(errs.lines),
		Errors:    errs.lines,
		Cmd:       &CommandError{Where: "guest", Cmd: cmd, Exit: exit, Output: tail.Lines()},
	}
}

// errorLines keeps the messages of the "Error:" lines written to it, at
// most 100 of them, each cut to a bounded length.
type errorLines struct {
	*cmdrun.Lines
	lines []string
}

func newErrorLines() *errorLines {
	e := &errorLines{}
	e.Lines = &cmdrun.Lines{Line: e.add}
	return e
}

func (e *errorLines) add(line string) {
	if msg, ok := strings.CutPrefix(strings.TrimSpace(line), "Error: "); ok && len(e.lines) < 100 {
		e.lines = append(e.lines, msg)
	}
}

// resourcePath matches the resource a puppet error is about:
// "/Stage[main]/Nginx/Service[nginx]/ensure: ..." names Service[nginx].
var resourcePath = regexp.MustCompile(`^/Stage\[[^\]]*\](?:/[^/\[]+(?:\[[^\]]*\])?)*?/([A-Z][\w:]*\[[^\]]*\])(?:/\w+)?:`)

// dependencyFailure matches "Dependency Exec[x] has failures": the resource
// skipped is not the one to fix.
var dependencyFailure = regexp.MustCompile(`Dependency (\S+\[[^\]]*\]) has failures`)

// failingResources lists, once each and in order, the resources named in
// puppet's error lines.
func failingResources(lines []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range lines {
		m := resourcePath.FindStringSubmatch(l)
		if m == nil {
			m = dependencyFailure.FindStringSubmatch(l)
		}
		if m != nil && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}
