package images

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// guestFiles are copied into every built image: network and SSH setup, and
// vlab-init, which installs the per-instance SSH key at boot.
//
//go:embed all:guest
var guestFiles embed.FS

// buildVersion is bumped when the build steps change in a way the recipe
// fields do not show, so that old images are rebuilt.
const buildVersion = 8 // 7: idle systemd generators masked (generators.go); 8: Ruby compile cache (rubycache.go)

// Recipe says how to build a base image with mmdebstrap.
type Recipe struct {
	Name   string `json:"name"`
	Suite  string `json:"suite"`
	Mirror string `json:"mirror"`
	// Updates are more apt source lines for the build (security and
	// stable updates), so that the image holds Debian's current packages.
	Updates  []string `json:"updates,omitempty"`
	Variant  string   `json:"variant"`
	Packages []string `json:"packages"`
	DiskSize string   `json:"disk_size"`
	// DisabledServices are units the packages enable that the image keeps
	// disabled: a lab's provisioning (the kit's roles) enables what it uses.
	DisabledServices []string `json:"disabled_services,omitempty"`
}

// Recipes are the images vlab knows how to build, by name.
var Recipes = map[string]Recipe{
	"debian-12": {
		Name:   "debian-12",
		Suite:  "bookworm",
		Mirror: "http://deb.debian.org/debian",
		Updates: []string{
			"deb http://deb.debian.org/debian-security bookworm-security main",
			"deb http://deb.debian.org/debian bookworm-updates main",
		},
		Variant: "minbase",
		Packages: []string{
			"systemd-sysv", "udev", "dbus", "openssh-server", "linux-image-cloud-amd64",
			"initramfs-tools", "puppet-agent", "python3", "curl", "ca-certificates",
			"iproute2", "iputils-ping", "procps", "psmisc", "less", "vim-tiny",
			"netcat-openbsd", "lsof", "strace", "tcpdump", "logrotate", "cron", "jq",
			// The clone of a lab's puppet repository (git log, diff, revert).
			"git",
			// Puppet's Ruby code compiled once, at build (rubycache.go).
			"ruby-bootsnap",
			// vlab sets the clock through it after a restore, with no login.
			"qemu-guest-agent",
			// The kit's roles' packages: the edge's nginx (kit/puppet,
			// profile::nginx_edge), the database role's MariaDB
			// (profile::mariadb), the cache role's Varnish (profile::varnish)
			// and, from kit-7, Traffic Server (profile::trafficserver) and
			// etcd (profile::etcd, with etcdctl for the trainee). Installed
			// here, natively, because dpkg under TCG takes from half a
			// minute (nginx) to minutes (MariaDB); their
			// services are disabled (DisabledServices) until a role enables
			// them. A lab that pins other versions installs them over these.
			"nginx", "mariadb-server", "mariadb-client", "varnish",
			"trafficserver", "etcd-server", "etcd-client",
			// From kit-13 the app role (profile::mediawiki, profile::memcached):
			// Debian's MediaWiki 1.39 on php-fpm, behind the edge's nginx (which
			// stands for its httpd, so no apache2), and memcached. PHP's
			// extensions are those MediaWiki depends on, and APCu for its
			// local cache; its other recommendations are left out.
			"mediawiki", "php8.2-fpm", "php-mysql", "php-apcu", "php-intl",
			"php-mbstring", "php-xml", "memcached",
		},
		DisabledServices: []string{"nginx.service", "mariadb.service", "varnish.service", "varnishncsa.service",
			"trafficserver.service", "etcd.service", "php8.2-fpm.service", "memcached.service",
			"phpsessionclean.timer"},
		DiskSize: "6G",
	},
}

// Lookup returns the recipe called name, or an error listing the known ones.
func Lookup(name string) (Recipe, error) {
	r, ok := Recipes[name]
	if !ok {
		var names []string
		for n := range Recipes {
			names = append(names, n)
		}
		sort.Strings(names)
		return Recipe{}, fmt.Errorf("no recipe for image %q; known: %v (or `vlab images import` a qcow2)", name, names)
	}
	return r, nil
}

// Digest identifies the recipe and the guest files it installs: the same
// digest means the same build.
func (r Recipe) Digest() (string, error) {
	h := sha256.New()
	b, err := json.Marshal(struct {
		V int
		R Recipe
	}{buildVersion, r})
	if err != nil {
		return "", err
	}
	h.Write(b)
	err = fs.WalkDir(guestFiles, "guest", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := guestFiles.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", p, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// writeGuestFiles copies the embedded guest files to dir, keeping the
// executable bit of scripts under sbin.
func writeGuestFiles(dir string) error {
	return fs.WalkDir(guestFiles, "guest", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("guest", p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := guestFiles.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if b := filepath.Base(filepath.Dir(p)); b == "sbin" || b == "bin" {
			mode = 0o755
		}
		return os.WriteFile(dst, data, mode)
	})
}
