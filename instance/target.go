package instance

import (
	"fmt"
	"slices"
	"strings"
)

// Target splits what follows the lab in `vlab ssh <lab> [vm] [-- command...]`:
// the VM to reach, by default the instance's first, and the command's
// words (none: a shell). A first word that is not one of its VMs is an
// error unless it comes after "--". The lab's observer is not the
// trainee's: naming it is an error.
func (i *Instance) Target(args []string) (vm string, cmd []string, err error) {
	names := i.State.TraineeVMNames()
	if len(names) == 0 {
		return "", nil, fmt.Errorf("instance %s has no VMs yet: run `vlab up %s` to finish bringing it up", i.State.ID, i.State.Lab)
	}
	vm = names[0]
	if len(args) > 0 && args[0] != "--" {
		if v := i.State.VMs[args[0]]; v != nil && v.Observer {
			return "", nil, fmt.Errorf("vm %s is the lab's observer: it plays the users and runs the checks, and is not yours to enter; your VMs are %s", args[0], strings.Join(names, ", "))
		}
		if !slices.Contains(names, args[0]) {
			return "", nil, fmt.Errorf("lab %s has no VM %q (it has %s); put the command after --", i.State.ID, args[0], strings.Join(names, ", "))
		}
		vm, args = args[0], args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	return vm, args, nil
}
