package libvirt

import "strings"

// IsRemote tells whether libvirt URI uri names another machine
// (qemu+ssh://...), whose VMs vlab reaches through that host. It looks at
// the transport only: Connect checks the rest of the URI.
func IsRemote(uri string) bool {
	scheme, _, ok := strings.Cut(uri, ":")
	return ok && strings.EqualFold(scheme, "qemu+ssh")
}

// CheckURI says why vlab could not connect to libvirt URI uri, by the
// grammar Connect reads (qemu:///system, qemu+ssh://[user@]host[:port]/system
// and their parameters), or nil; it connects to nothing.
func CheckURI(uri string) error {
	_, err := parseURI(uri)
	return err
}
