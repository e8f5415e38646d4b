package hostcheck

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"

	goversion "github.com/hashicorp/go-version"
)

// Tool is a program vlab runs on the host, the oldest version of it vlab
// works with, and how to read its version.
type Tool struct {
	Name string
	Argv []string // prints the version
	// Marker starts the version in the output: the first version after it
	// on its line is the tool's.
	Marker string
	Min    string
	Why    string
	// Optional, when set, says why the tool may be missing.
	Optional string
}

// Tools are the host programs whose versions are checked. The minima are
// what Debian 12 ships, on which vlab is developed and tested; puppet runs
// only in guests.
var Tools = []Tool{
	{Name: "qemu", Argv: []string{"qemu-system-x86_64", "--version"}, Marker: "QEMU emulator version", Min: "7.2", Why: "runs the VMs"},
	{Name: "libvirtd", Argv: []string{"libvirtd", "--version"}, Marker: "libvirt", Min: "9.0", Why: "manages the VMs",
		Optional: "only labs run on this host need it; --connect uses another host's"},
	{Name: "mmdebstrap", Argv: []string{"mmdebstrap", "--version"}, Marker: "mmdebstrap", Min: "1.3", Why: "builds base images"},
	{Name: "vagrant", Argv: []string{"vagrant", "--version"}, Marker: "Vagrant", Min: "2.3", Why: "runs --driver vagrant",
		Optional: "only --driver vagrant needs it"},
	{Name: "vagrant-libvirt", Argv: []string{"vagrant", "plugin", "list"}, Marker: "vagrant-libvirt", Min: "0.11",
		Why: "runs --driver vagrant", Optional: "only --driver vagrant needs it"},
}

// Check runs the tool and compares its version with the minimum.
func (t Tool) Check(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, t.Argv[0], t.Argv[1:]...).CombinedOutput()
	switch {
	case errors.Is(err, exec.ErrNotFound) && t.Optional != "":
		return fmt.Sprintf("%s not installed (%s)", t.Argv[0], t.Optional), nil
	case errors.Is(err, exec.ErrNotFound):
		return "", fmt.Errorf("%s not found (%s): run scripts/setup-host", t.Argv[0], t.Why)
	case err != nil:
		return "", fmt.Errorf("`%s` failed: %v", strings.Join(t.Argv, " "), err)
	}
	return t.Compare(string(out))
}

// versionPattern finds a version such as 7.2, 9.0.0 or 0.11.2.
var versionPattern = regexp.MustCompile(`\d+(\.\d+)+`)

// Compare reads the tool's version from what Argv printed and says
// whether it is new enough.
func (t Tool) Compare(out string) (string, error) {
	var found string
	for _, line := range strings.Split(out, "\n") {
		if _, after, ok := strings.Cut(line, t.Marker); ok {
			if found = versionPattern.FindString(after); found != "" {
				break
			}
		}
	}
	v, err := goversion.NewVersion(found)
	if found == "" || err != nil {
		return "", fmt.Errorf("cannot read the version of %s from `%s`", t.Name, strings.Join(t.Argv, " "))
	}
	min, err := goversion.NewVersion(t.Min)
	if err != nil {
		return "", fmt.Errorf("the minimum version %q of %s is not a version: fix hostcheck.Tools", t.Min, t.Name)
	}
	if v.LessThan(min) {
		return "", fmt.Errorf("%s %s is too old: vlab needs %s or newer (%s); upgrade it", t.Name, found, t.Min, t.Why)
	}
	return fmt.Sprintf("%s (%s or newer needed)", found, t.Min), nil
}
