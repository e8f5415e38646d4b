package provision

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// GuestDebDir is where the guest keeps the uploaded .debs.
const GuestDebDir = "/var/cache/vlab/debs"

// aptInstall installs local .debs; the guest has no apt lists and no route
// out, so everything comes from the uploaded set and the image. It must not
// carry --no-download: apt 2.6 then refuses local .deb paths. Pinned
// versions may be older than the image's, and packages held by an earlier
// run may change.
const aptInstall = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends " +
	"--allow-downgrades --allow-change-held-packages " +
	"-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"

// InstallPackages uploads debs (host paths from Fetch) to GuestDebDir,
// installs them with dependencies resolved from the uploaded set and the
// image only, holds every pinned package and checks that dpkg reports
// exactly the pinned versions. The guest needs no network. out receives
// everything the guest printed.
func InstallPackages(ctx context.Context, r Runner, debs []string, pins map[string]string, out io.Writer) error {
	guestPaths := make([]string, len(debs))
	for i, d := range debs {
		guestPaths[i] = path.Join(GuestDebDir, filepath.Base(d))
		if err := r.Upload(ctx, d, guestPaths[i]); err != nil {
			return fmt.Errorf("upload %s: %w", filepath.Base(d), err)
		}
	}
	if len(guestPaths) > 0 {
		if err := guestRun(ctx, r, "guest", aptInstall+" "+quoteAll(guestPaths), out); err != nil {
			return fmt.Errorf("install packages: %w", err)
		}
	}
	names := sortedKeys(pins)
	if len(names) == 0 {
		return nil
	}
	if err := guestRun(ctx, r, "guest", "apt-mark hold "+quoteAll(names), out); err != nil {
		return fmt.Errorf("hold packages: %w", err)
	}
	return verifyPins(ctx, r, pins, out)
}

// verifyPins checks with dpkg-query that every pinned package is installed
// at exactly its pinned version, and reports each one that is not.
func verifyPins(ctx context.Context, r Runner, pins map[string]string, out io.Writer) error {
	names := sortedKeys(pins)
	var stdout bytes.Buffer
	cmd := `dpkg-query -W -f='${Package}\t${Version}\t${db:Status-Abbrev}\n' ` + quoteAll(names)
	if _, err := r.Run(ctx, cmd, nil, io.MultiWriter(&stdout, orDiscard(out)), orDiscard(out)); err != nil {
		return fmt.Errorf("check installed versions: %w", err)
	}
	got := parseDpkgQuery(stdout.Bytes())
	var errs []error
	for _, name := range names {
		have, ok := got[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("package %s is not installed in the guest after installing it; run with --verbose to see apt's output", name))
		case !sameVersion(have, pins[name]):
			errs = append(errs, fmt.Errorf("package %s: pinned %s but the guest has %s; remove whatever upgrades it, or pin %s", name, pins[name], have, have))
		}
	}
	return errors.Join(errs...)
}

// parseDpkgQuery reads "name\tversion\tstatus" lines and keeps the packages
// dpkg has installed (status "ii" or "hi").
func parseDpkgQuery(out []byte) map[string]string {
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || len(f[2]) < 2 || f[2][1] != 'i' {
			continue
		}
		name, _, _ := strings.Cut(f[0], ":")
		got[name] = f[1]
	}
	return got
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
