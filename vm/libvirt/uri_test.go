package libvirt

import "testing"

func TestIsRemote(t *testing.T) {
	for uri, want := range map[string]bool{
		"qemu:///system":                    false,
		"":                                  false,
		"qemu+ssh://ops@lab1/system":        true,
		"QEMU+SSH://lab1:2222/system":       true,
		"qemu+ssh:/system":                  true,
		"qemu+sshx://lab1/system":           false,
		"qemu+tcp://lab1/system":            false,
		"/var/run/libvirt/libvirt-sock":     false,
		"qemu:///system?socket=/tmp/x.sock": false,
	} {
		if got := IsRemote(uri); got != want {
			t.Errorf("IsRemote(%q) = %v, want %v", uri, got, want)
		}
	}
}
