package images

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/cmdrun"
	"github.com/vlab-dev/vlab/internal/lock"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// BuildOptions tune a build.
type BuildOptions struct {
	Force    bool      // rebuild even if an image with this recipe exists
	Progress io.Writer // one line per step
	Verbose  io.Writer // everything the tools print; nil discards it
}

// Build builds the image of recipe r unless the store already holds one with
// the same recipe digest, and tags it with the recipe's name. It needs root
// (mmdebstrap --mode=root) and Debian's mirror or a local mirror in r.Mirror.
func (s *Store) Build(ctx context.Context, r Recipe, opt BuildOptions) (*Image, error) {
	digest, err := r.Digest()
	if err != nil {
		return nil, err
	}
	folder := builtFolder(digest)
	if !opt.Force {
		if img, err := s.Built(r); err == nil {
			return img, s.tag(r.Name, folder)
		}
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("building image %q needs root (mmdebstrap --mode=root): run `sudo vlab images build %s`", r.Name, r.Name)
	}
	// Another vlab building an image: wait for it, at most as long as a
	// slow build takes.
	l, err := lock.Acquire(ctx, filepath.Join(s.Dir, ".lock"), lock.Options{Wait: lock.Fixed(time.Hour)})
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	b := &builder{r: r, digest: digest, opt: opt, start: time.Now()}
	b.tmp = filepath.Join(s.Dir, ".build-"+short(digest))
	if err := os.RemoveAll(b.tmp); err != nil { // a build interrupted before
		return nil, err
	}
	if err := os.MkdirAll(b.tmp, 0o755); err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.Dir, err)
	}
	defer os.RemoveAll(b.tmp)
	if err := b.run(ctx); err != nil {
		return nil, fmt.Errorf("build image %q: %w", r.Name, err)
	}
	final := s.folderPath(folder)
	if err := os.RemoveAll(final); err != nil {
		return nil, err
	}
	if err := os.Rename(b.tmp, final); err != nil {
		return nil, err
	}
	if err := s.tag(r.Name, folder); err != nil {
		return nil, err
	}
	return s.open(folder)
}

// Built returns the image this store built from recipe r, or an error
// wrapping ErrNotFound. Only a folder a build made stands for a recipe:
// imported images live under another prefix and say so in their manifest,
// whatever their tag is called.
func (s *Store) Built(r Recipe) (*Image, error) {
	digest, err := r.Digest()
	if err != nil {
		return nil, err
	}
	img, err := s.open(builtFolder(digest))
	if err != nil {
		return nil, err
	}
	if img.Source != SourceBuild || img.Recipe == nil || img.Recipe.Name != r.Name {
		return nil, fmt.Errorf("image folder %s was not built from recipe %s: %w", img.Dir, r.Name, ErrNotFound)
	}
	return img, nil
}

type builder struct {
	r      Recipe
	digest string
	opt    BuildOptions
	tmp    string
	start  time.Time
	cmd    []string
}

func (b *builder) root() string { return filepath.Join(b.tmp, "root") }

func (b *builder) run(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"mmdebstrap " + b.r.Suite + " (about a minute)", b.bootstrap},
		{"guest setup", b.setupGuest},
		{"Ruby's compiled code for puppet", b.warmRubyCache},
		{"kernel and initrd", b.extractBoot},
		{"ext4 filesystem", b.mkfs},
		{"qcow2 disk", b.convert},
		{"manifest", b.manifest},
	}
	for _, st := range steps {
		t := time.Now()
		fmt.Fprintf(orDiscard(b.opt.Progress), "  %s ...\n", st.name)
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		fmt.Fprintf(orDiscard(b.opt.Progress), "  %s ok (%.1fs)\n", st.name, time.Since(t).Seconds())
	}
	return nil
}

func (b *builder) bootstrap(ctx context.Context) error {
	b.cmd = []string{"mmdebstrap", "--mode=root", "--variant=" + b.r.Variant,
		"--include=" + strings.Join(b.r.Packages, ","),
		"--aptopt=Acquire::Retries \"3\"",
		b.r.Suite, b.root(), "deb " + b.r.Mirror + " " + b.r.Suite + " main"}
	b.cmd = append(b.cmd, b.r.Updates...)
	return b.exec(ctx, b.cmd...)
}

func (b *builder) setupGuest(ctx context.Context) error {
	root := b.root()
	if err := writeGuestFiles(root); err != nil {
		return err
	}
	keys, _ := filepath.Glob(filepath.Join(root, "etc/ssh/ssh_host_*"))
	for _, k := range keys {
		if err := os.Remove(k); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("vlab\n"), 0o644); err != nil {
		return err
	}
	for _, dir := range []string{"var/cache/apt/archives", "var/lib/apt/lists"} {
		debs, _ := filepath.Glob(filepath.Join(root, dir, "*_*"))
		for _, d := range debs {
			os.Remove(d)
		}
	}
	if err := quietLogin(root); err != nil {
		return err
	}
	if err := quickHwclock(ctx, b, root); err != nil {
		return err
	}
	if err := maskGenerators(root); err != nil {
		return err
	}
	if err := b.exec(ctx, "systemctl", "--root="+root, "enable", "systemd-networkd.service", "vlab-init.service"); err != nil {
		return err
	}
	if len(b.r.DisabledServices) > 0 {
		if err := b.exec(ctx, append([]string{"systemctl", "--root=" + root, "disable"}, b.r.DisabledServices...)...); err != nil {
			return err
		}
	}
	return b.exec(ctx, "systemctl", "--root="+root, "mask", "systemd-networkd-wait-online.service")
}

func (b *builder) extractBoot(ctx context.Context) error {
	root := b.root()
	mods, err := os.ReadDir(filepath.Join(root, "lib/modules"))
	if err != nil || len(mods) != 1 {
		return fmt.Errorf("want exactly one kernel in the image, found %d: %v", len(mods), err)
	}
	rel := mods[0].Name()
	for src, dst := range map[string]string{"boot/vmlinuz-" + rel: KernelFile, "boot/initrd.img-" + rel: InitrdFile, "var/lib/dpkg/status": StatusFile} {
		if err := atomicfile.Copy(ctx, filepath.Join(root, src), filepath.Join(b.tmp, dst), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(b.tmp, "kernel-release"), []byte(rel+"\n"), 0o644)
}

func (b *builder) mkfs(ctx context.Context) error {
	return b.exec(ctx, "mkfs.ext4", "-q", "-F", "-L", "vlabroot", "-d", b.root(), filepath.Join(b.tmp, "root.img"), b.r.DiskSize)
}

func (b *builder) convert(ctx context.Context) error {
	img := filepath.Join(b.tmp, "root.img")
	if err := b.exec(ctx, "qemu-img", "convert", "-f", "raw", "-c", "-O", "qcow2", img, filepath.Join(b.tmp, DiskFile)); err != nil {
		return err
	}
	if err := os.Remove(img); err != nil {
		return err
	}
	return os.RemoveAll(b.root())
}

func (b *builder) manifest(ctx context.Context) error {
	st, err := os.Stat(filepath.Join(b.tmp, DiskFile))
	if err != nil {
		return err
	}
	status, err := os.ReadFile(filepath.Join(b.tmp, StatusFile))
	if err != nil {
		return err
	}
	rel, _ := os.ReadFile(filepath.Join(b.tmp, "kernel-release"))
	r := b.r
	m := &Manifest{Name: r.Name, Digest: b.digest, Source: SourceBuild, Built: time.Now().UTC(),
		Seconds: time.Since(b.start).Seconds(), Recipe: &r, Command: b.cmd,
		Kernel: strings.TrimSpace(string(rel)), Size: st.Size(), Packages: InstalledPackages(status)}
	return writeManifest(b.tmp, m)
}

// exec runs a build tool; its output goes to Verbose and, on failure, its
// last lines into the error (a *cmdrun.Error, shown with --verbose).
func (b *builder) exec(ctx context.Context, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	return toolError(ctx, cmdrun.Run(ctx, cmd, b.opt.Verbose), argv[0], "scripts/setup-host installs everything vlab needs")
}

// toolError says how to install a tool that is missing and reports a
// cancelled run as the context's error; other errors pass unchanged.
func toolError(ctx context.Context, err error, tool, install string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, exec.ErrNotFound):
		return fmt.Errorf("%s not found: install it (%s)", tool, install)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}

// InstalledPackages reads a dpkg status file into package → version for the
// packages that are installed.
func InstalledPackages(status []byte) map[string]string {
	out := map[string]string{}
	for _, stanza := range strings.Split(string(status), "\n\n") {
		var name, ver string
		installed := false
		sc := bufio.NewScanner(strings.NewReader(stanza))
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ": ")
			switch {
			case !ok:
			case k == "Package":
				name = v
			case k == "Version":
				ver = v
			case k == "Status":
				installed = strings.HasSuffix(v, " installed")
			}
		}
		if name != "" && installed {
			out[name] = ver
		}
	}
	return out
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// quietLogin stops sshd's PAM session from rebuilding the dynamic motd
// (run-parts /etc/update-motd.d, which only runs uname here) at every
// login, command or shell: two program starts per login, 0.2 s under
// TCG. /etc/motd, which labs write, is still shown.
func quietLogin(root string) error {
	p := filepath.Join(root, "etc/pam.d/sshd")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var out []string
	found := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "pam_motd.so") && strings.Contains(l, "motd=/run/motd.dynamic") {
			l, found = "# vlab: no dynamic motd at login (see images/build.go)\n# "+l, true
		}
		out = append(out, l)
	}
	if !found {
		return fmt.Errorf("%s: no dynamic motd line to turn off; has openssh-server's PAM file changed?", p)
	}
	return os.WriteFile(p, []byte(strings.Join(out, "\n")), 0o644)
}
