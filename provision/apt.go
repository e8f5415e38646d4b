package provision

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/cmdrun"
	"github.com/vlab-dev/vlab/internal/debver"
	"github.com/vlab-dev/vlab/internal/digest"
)

// DefaultSources are the apt sources Fetch uses when FetchSpec.Sources is
// empty: Debian 12 main and its security updates.
func DefaultSources() []string {
	const key = "[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]"
	return []string{
		"deb " + key + " http://deb.debian.org/debian bookworm main",
		"deb " + key + " http://deb.debian.org/debian-security bookworm-security main",
	}
}

// aptRoot is a private apt configuration: its own sources, lists, status
// file and archive, so that vlab never reads or changes the host's apt.
type aptRoot struct {
	dir     string
	verbose io.Writer
}

// aptSources are the apt source lines packages are fetched from: the
// lab's directory of .debs as a local repository when debDir is set, else
// sources.
func aptSources(ctx context.Context, cacheDir, debDir string, sources []string) ([]string, error) {
	if debDir == "" {
		return sources, nil
	}
	repo, err := localRepo(ctx, debDir, filepath.Join(cacheDir, "debdir"))
	if err != nil {
		return nil, err
	}
	return []string{"deb [trusted=yes] copy:" + repo + " ./"}, nil
}

// openAptRoot locks and prepares the apt configuration of sources in the
// package cache: one per set of sources and architecture, shared by every
// fetch from them. status is the guest image's dpkg status file, "" for
// none.
func openAptRoot(ctx context.Context, cacheDir string, sources []string, arch, status string, verbose io.Writer) (*aptRoot, func(), error) {
	id, err := Key(sources, arch)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(cacheDir, "apt", id[:16])
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	apt, err := newAptRoot(ctx, dir, sources, arch, status, verbose)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return apt, unlock, nil
}

// newAptRoot prepares dir for apt with the given sources and a copy of the
// guest image's dpkg status file.
func newAptRoot(ctx context.Context, dir string, sources []string, arch, status string, verbose io.Writer) (*aptRoot, error) {
	a := &aptRoot{dir: dir, verbose: verbose}
	for _, d := range []string{"etc/parts", "etc/prefs", "state/lists/partial", "cache", "archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("apt cache: %w", err)
		}
	}
	if err := a.setStatus(ctx, status); err != nil {
		return nil, err
	}
	list := strings.Join(sources, "\n") + "\n"
	if err := os.WriteFile(a.path("etc/sources.list"), []byte(list), 0o644); err != nil {
		return nil, fmt.Errorf("apt cache: %w", err)
	}
	if err := os.WriteFile(a.path("apt.conf"), []byte(a.config(arch)), 0o644); err != nil {
		return nil, fmt.Errorf("apt cache: %w", err)
	}
	return a, nil
}

// setStatus makes status (a dpkg status file) what apt takes as installed;
// "" means nothing is.
func (a *aptRoot) setStatus(ctx context.Context, status string) error {
	if status == "" {
		if err := os.WriteFile(a.path("state/status"), nil, 0o644); err != nil {
			return fmt.Errorf("apt cache: %w", err)
		}
		return nil
	}
	if err := atomicfile.Copy(ctx, status, a.path("state/status"), 0o644); err != nil {
		return fmt.Errorf("dpkg status of the base image: %w; rebuild the image with `vlab images build` so that it saves dpkg-status", err)
	}
	return nil
}

func (a *aptRoot) path(rel string) string { return filepath.Join(a.dir, rel) }

// config is the whole apt configuration: APT_CONFIG points at it and
// Dir::Etc::parts at an empty folder, so the host's apt.conf.d is not read.
func (a *aptRoot) config(arch string) string {
	set := [][2]string{
		{"Dir", "/"},
		{"Dir::Etc", a.path("etc")},
		{"Dir::Etc::sourcelist", a.path("etc/sources.list")},
		{"Dir::Etc::sourceparts", a.path("etc/parts")},
		{"Dir::Etc::parts", a.path("etc/parts")},
		{"Dir::Etc::preferences", a.path("etc/preferences")},
		{"Dir::Etc::preferencesparts", a.path("etc/prefs")},
		{"Dir::Etc::trusted", "/etc/apt/trusted.gpg"},
		{"Dir::Etc::trustedparts", "/etc/apt/trusted.gpg.d"},
		{"Dir::State", a.path("state")},
		{"Dir::State::status", a.path("state/status")},
		{"Dir::Cache", a.path("cache")},
		{"Dir::Cache::archives", a.path("archives")},
		{"APT::Architecture", arch},
		{"APT::Architectures", arch},
		{"APT::Install-Recommends", "false"},
		{"APT::Sandbox::User", "root"},
		{"Acquire::Languages", "none"},
		{"Acquire::Retries", "2"},
	}
	var b strings.Builder
	for _, kv := range set {
		fmt.Fprintf(&b, "%s %q;\n", kv[0], kv[1])
	}
	return b.String()
}

func (a *aptRoot) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	return hostRun(ctx, []string{"APT_CONFIG=" + a.path("apt.conf"), "LC_ALL=C"}, a.verbose, name, args...)
}

func (a *aptRoot) update(ctx context.Context) error {
	out, err := a.run(ctx, "apt-get", "-q", "update")
	if err != nil {
		return fmt.Errorf("apt-get update: %w; check the package sources, or work offline with a directory of .debs", err)
	}
	// apt-get update exits 0 when no source could be reached; with no
	// package list at all, say so rather than "not in the apt sources".
	if lists, _ := filepath.Glob(a.path("state/lists/*_Packages*")); len(lists) == 0 {
		why := "no package list was fetched"
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Err:") || strings.Contains(line, "Failed to fetch") || strings.Contains(line, "Could not resolve") {
				why = strings.TrimSpace(line)
				break
			}
		}
		return fmt.Errorf("apt-get update: %s; is the network up? Offline, put the .debs in the lab's debs/ folder", cmdrun.Shorten(why))
	}
	// apt dates the lists by the mirror's clock; the stamp says when vlab
	// last fetched them.
	return os.WriteFile(a.path(updatedStamp), nil, 0o644)
}

// updatedStamp is touched after every successful apt-get update.
const updatedStamp = "state/vlab-updated"

// indexTime returns when the package index in the root was fetched, and
// false when the root holds none.
func (a *aptRoot) indexTime() (time.Time, bool) {
	lists, _ := filepath.Glob(a.path("state/lists/*_Packages*"))
	if len(lists) == 0 {
		return time.Time{}, false
	}
	if st, err := os.Stat(a.path(updatedStamp)); err == nil {
		return st.ModTime(), true
	}
	var newest time.Time
	for _, l := range lists {
		if st, err := os.Stat(l); err == nil && st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	return newest, true
}

// available returns, for each package name, the versions the sources have,
// newest first.
func (a *aptRoot) available(ctx context.Context, names []string) (map[string][]debver.Version, error) {
	out, err := a.run(ctx, "apt-cache", append([]string{"madison"}, names...)...)
	if err != nil {
		return nil, fmt.Errorf("apt-cache madison: %w", err)
	}
	return parseMadison(out), nil
}

// parseMadison reads `apt-cache madison` lines: "name | version | source".
func parseMadison(out []byte) map[string][]debver.Version {
	got := map[string][]debver.Version{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "|")
		if len(f) < 3 {
			continue
		}
		name := strings.TrimSpace(f[0])
		v, err := debver.Parse(f[1])
		if err != nil || slices.ContainsFunc(got[name], v.Equal) {
			continue
		}
		got[name] = append(got[name], v)
	}
	for _, vs := range got {
		slices.SortFunc(vs, func(x, y debver.Version) int { return y.Compare(x) })
	}
	return got
}

// aptHostFlags are the flags of the host's apt-get install (simulated or
// download only). A pin may be older than the image's version (the image
// carries the mirror's newest, a lab the day's) and the guest's install
// allows that (aptInstall), so these do too.
var aptHostFlags = []string{"-y", "-q", "--allow-downgrades", "--allow-change-held-packages"}

// simulate asks apt which packages installing want would add or change,
// given the image's status file. It returns them without downloading.
func (a *aptRoot) simulate(ctx context.Context, want []string) ([]Deb, error) {
	out, err := a.run(ctx, "apt-get", append(append([]string{"install", "-s"}, aptHostFlags...), want...)...)
	if err != nil {
		return nil, unmetError(err)
	}
	return parseSimulation(out), nil
}

var instLine = regexp.MustCompile(`^Inst (\S+)(?: \[[^\]]*\])? \((\S+) .*\[([^\]]+)\]\)`)

// parseSimulation reads the "Inst name [old] (version release [arch])"
// lines of `apt-get install -s`.
func parseSimulation(out []byte) []Deb {
	var debs []Deb
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := instLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, _, _ := strings.Cut(m[1], ":")
		debs = append(debs, Deb{Package: name, Version: m[2], Arch: m[3]})
	}
	return debs
}

// unmetError shortens apt's resolver failure to the lines a user can act on.
func unmetError(err error) error {
	why := unmetReasons(err)
	if len(why) == 0 {
		return fmt.Errorf("apt-get install: %w", err)
	}
	return fmt.Errorf("pinned packages cannot be installed together: %s; pin those dependencies to versions that fit, or add them to the package source: %w",
		strings.Join(why, "; "), err)
}

// unmetReasons are the Depends, Conflicts and Breaks lines of a failed
// `apt-get install -s`, whitespace squeezed.
func unmetReasons(err error) []string {
	var ce *CommandError
	if !errors.As(err, &ce) {
		return nil
	}
	var why []string
	for _, l := range ce.Output {
		if strings.Contains(l, "Depends:") || strings.Contains(l, "Conflicts:") || strings.Contains(l, "Breaks:") {
			why = append(why, strings.Join(strings.Fields(l), " "))
		}
	}
	return why
}

// download fetches want into the root's archive and returns the files of
// the debs, checked against what apt was asked for.
func (a *aptRoot) download(ctx context.Context, want []string, debs []Deb) ([]Deb, error) {
	if _, err := a.run(ctx, "apt-get", append(append([]string{"install", "-d"}, aptHostFlags...), want...)...); err != nil {
		return nil, fmt.Errorf("apt-get download: %w", err)
	}
	out := make([]Deb, len(debs))
	for i, d := range debs {
		d.Path = a.path(filepath.Join("archives", debFileName(d)))
		sum, err := fileSHA256(d.Path)
		if err != nil {
			return nil, fmt.Errorf("apt downloaded %s %s but %w", d.Package, d.Version, err)
		}
		d.SHA256 = sum
		out[i] = d
	}
	return out, nil
}

// debFileName is the name apt gives a downloaded package.
func debFileName(d Deb) string {
	return fmt.Sprintf("%s_%s_%s.deb", d.Package, strings.ReplaceAll(d.Version, ":", "%3a"), d.Arch)
}

// hostArch is the Debian architecture of guests on this host.
func hostArch() string {
	switch a := runtime.GOARCH; a {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	default:
		return a
	}
}

// fileSHA256 is the hex sha256 of the file at path.
func fileSHA256(path string) (string, error) {
	_, sum, err := digest.File(context.Background(), path)
	return sum, err
}
