package provision

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vlab-dev/vlab/internal/cmdrun"
	"github.com/vlab-dev/vlab/labfile"
)

// Caps on the manifests of one puppet tree that validation unpacks.
const (
	maxManifests     = 5000
	maxManifestBytes = 256 << 20
)

// puppet checks each puppet step: its revision resolves in its repository
// (exported as `up` exports it) and the tree's manifests parse.
func (d *deepCheck) puppet(ctx context.Context) {
	parsed := map[string]bool{} // trees already parsed
	warned := false
	for i, vm := range d.lab.VMs {
		for j, s := range vm.Provision {
			if s.Puppet == nil {
				continue
			}
			tree, err := ExportStep(ctx, d.opts.CacheDir, d.lab.Dir, *s.Puppet, d.opts.Offline, d.opts.Verbose)
			var rev *RevisionError
			switch {
			case errors.As(err, &rev):
				d.problem(err, stepField(i, j, "puppet", "revision")...)
				continue
			case err != nil:
				d.problem(err, stepField(i, j, "puppet", "repo")...)
				continue
			}
			bin, err := d.puppetCommand()
			if err != nil {
				if !warned {
					d.problem(err, stepField(i, j, "puppet")...)
					warned = true
				}
				continue
			}
			if !parsed[tree.Tree] {
				parsed[tree.Tree] = true
				d.parseTree(ctx, bin, tree, *s.Puppet, stepField(i, j, "puppet"))
			}
		}
	}
}

// puppetCommand finds the host's puppet, which validation needs.
func (d *deepCheck) puppetCommand() (string, error) {
	name := d.opts.Puppet
	if name == "" {
		name = "puppet"
	}
	bin, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("manifests not checked: %s is not installed on this host; install it (`apt-get install puppet` on Debian 12) and run again", name)
	}
	return bin, nil
}

// parseTree unpacks the tree's manifests and runs `puppet parser validate`
// on them; each error becomes a problem at field.
func (d *deepCheck) parseTree(ctx context.Context, bin string, tree PuppetTree, p labfile.Puppet, field []any) {
	work, err := os.MkdirTemp("", "vlab-validate-")
	if err != nil {
		d.problem(err, field...)
		return
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "tree")
	files, err := extractManifests(tree.Archive, dir)
	if err != nil {
		d.problem(fmt.Errorf("puppet tree at %s: %w", tree.Short(), err), field...)
		return
	}
	manifest := p.Manifest
	if manifest == "" {
		manifest = defaultManifest
	}
	if !path.IsAbs(manifest) && !fileExists(filepath.Join(dir, filepath.FromSlash(path.Clean(manifest)))) {
		d.problem(fmt.Errorf("manifest %s is not in %s at %s; name one of its .pp files or pin a revision that has it", manifest, tree.Repo, tree.Short()),
			append(field, "manifest")...)
	}
	if len(files) == 0 {
		return
	}
	for _, msg := range parseManifests(ctx, bin, work, dir, files, d.opts.Verbose) {
		d.problem(fmt.Errorf("%s at %s: %s", tree.Repo, tree.Short(), msg), field...)
	}
}

// extractManifests writes the regular .pp files of a tree archive into dst
// and returns their paths relative to it. Nothing else is unpacked: puppet
// needs no more to parse, and no link or code of the lab reaches the host.
func extractManifests(archive, dst string) ([]string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", archive, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var files []string
	left := int64(maxManifestBytes)
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", archive, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(name, ".pp") || !filepath.IsLocal(name) {
			continue
		}
		if len(files) == maxManifests || h.Size > left {
			return nil, fmt.Errorf("more than %d manifests or %d MiB of them; vlab validates no larger tree", maxManifests, maxManifestBytes>>20)
		}
		left -= h.Size
		if err := writeRooted(root, name, tr, h.Size); err != nil {
			return nil, err
		}
		files = append(files, name)
	}
}

// writeRooted writes size bytes of r to name under root, a new file.
func writeRooted(root *os.Root, name string, r io.Reader, size int64) error {
	if err := root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("manifest %s: %w", name, err)
	}
	if _, err := io.CopyN(out, r, size); err != nil {
		out.Close()
		return fmt.Errorf("manifest %s: %w", name, err)
	}
	return out.Close()
}

// parserError reads one error of `puppet parser validate`.
var parserError = regexp.MustCompile(`^(?:Could not parse for environment [^:]*: )?(.*?)(?: \(file: ([^,)]+)(?:, line: (\d+))?(?:, column: (\d+))?\))?$`)

// parseManifests runs `puppet parser validate` on files (relative to dir)
// with every puppet setting pointed into work, so that neither the host's
// puppet configuration nor anything but the manifests is read. It returns
// one message per error: file, line and column in the tree, and what.
func parseManifests(ctx context.Context, bin, work, dir string, files []string, verbose io.Writer) []string {
	args := []string{"parser", "validate", "--color=false"}
	for _, s := range []string{"confdir", "codedir", "vardir", "logdir", "rundir", "publicdir"} {
		args = append(args, "--"+s+"="+filepath.Join(work, s))
	}
	cmd := exec.CommandContext(ctx, bin, append(args, files...)...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + work, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	errs := newErrorLines()
	_, err := cmdrun.Output(ctx, cmd, io.MultiWriter(errs, orDiscard(verbose)))
	errs.Flush()
	if err == nil {
		return nil
	}
	var msgs []string
	for _, l := range errs.lines {
		m := parserError.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		where := ""
		if m[2] != "" {
			where = strings.TrimPrefix(m[2], dir+string(filepath.Separator))
			if m[3] != "" {
				where += ":" + m[3]
			}
			if m[4] != "" {
				where += ":" + m[4]
			}
			where += ": "
		}
		msgs = append(msgs, fmt.Sprintf("%s%s; fix the manifest in the repository and pin the revision with the fix", where, cmdrun.Shorten(m[1])))
	}
	if len(msgs) == 0 {
		msgs = append(msgs, fmt.Sprintf("puppet parser validate: %v", err))
	}
	return msgs
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
