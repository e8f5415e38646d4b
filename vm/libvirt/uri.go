package libvirt

import "strings"

// IsRemote tells whether libvirt URI uri names another machine
// (qemu+ssh://...), whose VMs vlab reaches through that host. It looks at
// the transport only: Connect checks the rest of the URI.
func IsRemote(uri string) bool {
	scheme, _, ok := strings.Cut(uri, ":")
	return ok && strings.EqualFold(scheme, "qemu+ssh")
}
