package vagrant

import (
	"errors"
	"strings"
)

// Kinds of Vagrant failures a user can act on; a *RunError wraps the one
// its output shows.
var (
	ErrNotInstalled  = errors.New("vagrant is not installed")
	ErrPluginMissing = errors.New("vagrant-libvirt plugin missing")
	ErrBoxMissing    = errors.New("vagrant box missing")
	ErrNetworkClash  = errors.New("libvirt network clash")
	ErrNoDnsmasq     = errors.New("dnsmasq missing")
)

// signs maps a kind of failure to phrases of Vagrant's output that show it
// and to what the user can do.
var signs = []struct {
	kind    error
	phrases []string
	hint    string
}{
	{ErrPluginMissing, []string{"provider 'libvirt' could not be found", "provider `libvirt` could not be found"},
		"install the libvirt provider: `apt-get install vagrant-libvirt` (or `vagrant plugin install vagrant-libvirt`)"},
	{ErrBoxMissing, []string{"could not be found or", "box not found", "no box found"},
		"add vlab's box for the image: `vlab images box <image>`"},
	{ErrNoDnsmasq, []string{"unable to find 'dnsmasq' binary"},
		"Vagrant's management network needs dnsmasq on the libvirt host: `apt-get install dnsmasq-base`"},
	{ErrNetworkClash, []string{"error while activating network", "error while creating network", "network is already in use",
		"overlaps with", "is not available. specify available network name"},
		"another libvirt network uses the same bridge or addresses as Vagrant's management network " +
			"(vagrant-libvirt, 192.168.121.0/24): find it with `virsh net-list --all` and `virsh net-dumpxml`, then stop or remove it"},
}

// kind recognises the failure in Vagrant's output.
func kind(out string) error {
	for _, s := range signs {
		if matches(out, s.phrases) {
			return s.kind
		}
	}
	return nil
}

func hint(out string) string {
	for _, s := range signs {
		if matches(out, s.phrases) {
			return s.hint
		}
	}
	return ""
}

func matches(out string, phrases []string) bool {
	low := strings.ToLower(out)
	for _, p := range phrases {
		if strings.Contains(low, p) {
			return true
		}
	}
	return false
}
