package instance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vlab-dev/vlab/vm"
)

// uidFile holds the instance's uid beside state.json: written before the
// instance makes anything in the hypervisor, it lets destroy find what the
// instance made even when state.json is lost or unreadable.
const uidFile = "uid"

// readUID returns the uid recorded in the instance's folder, "" when none.
func readUID(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, uidFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	uid := strings.TrimSpace(string(b))
	if !uidPattern.MatchString(uid) {
		return "", fmt.Errorf("%s: not an instance uid; `vlab destroy %s` removes the instance's folder", filepath.Join(dir, uidFile), filepath.Base(dir))
	}
	return uid, nil
}

// vmLabels are the labels of one VM's domains.
func (s *State) vmLabels(vmName string) map[string]string {
	l := s.labels()
	l["vm"] = vmName
	return l
}

// identity is what proves a domain or network the instance's own: its
// uid. Instances made before uids existed are known by the labels their
// VMs were made with (instance and lab).
func (s *State) identity() map[string]string {
	if s.UID != "" {
		return map[string]string{"uid": s.UID}
	}
	return map[string]string{"instance": s.ID, "lab": s.Lab}
}

// errNotOwn is wrapped when a domain or network is somebody else's.
var errNotOwn = errors.New("does not carry this instance's uid")

// provenOwn returns nil when domain name carries the instance's identity,
// an error wrapping vm.ErrNotFound when it does not exist, and one wrapping
// errNotOwn when it belongs to somebody else.
func (i *Instance) provenOwn(ctx context.Context, drv vm.Driver, name string) error {
	labels, err := drv.VMLabels(ctx, name)
	if err != nil {
		return err
	}
	if !vm.HasLabels(labels, i.State.identity()) {
		return fmt.Errorf("vm %s exists and %w %s: it is not vlab's or another instance's; remove it yourself (virsh undefine) or pick another name with --instance", name, errNotOwn, i.State.ID)
	}
	return nil
}

// ownDomains lists every domain of the instance: those its state records
// (both of each standby pair) and those the hypervisor finds by its uid.
func (m *Manager) ownDomains(ctx context.Context, drv vm.Driver, st *State) ([]string, error) {
	set := map[string]bool{}
	for _, v := range st.VMs {
		set[owner(v.Domain)] = true
		if _, ok := drv.(vm.Standby); ok {
			set[partner(owner(v.Domain))] = true
		}
	}
	if st.UID != "" {
		found, err := drv.FindVMs(ctx, st.identity())
		if err != nil {
			return nil, err
		}
		for _, d := range found {
			set[d] = true
		}
	}
	out := slices.Sorted(maps.Keys(set))
	// Partners first: the owner's volumes hold the golden state the
	// partner's standby copy was made from.
	slices.SortStableFunc(out, func(a, b string) int {
		return boolInt(owner(a) == a) - boolInt(owner(b) == b)
	})
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// destroyVMs removes every domain and network of the instance that proves
// its own; what carries another identity is left alone and named.
func (m *Manager) destroyVMs(ctx context.Context, drv vm.Driver, inst *Instance) error {
	doms, err := m.ownDomains(ctx, drv, inst.State)
	if err != nil {
		return err
	}
	for _, d := range doms {
		err := inst.provenOwn(ctx, drv, d)
		if errors.Is(err, errNotOwn) {
			m.progress("leaving vm %s alone: it %v", d, errNotOwn)
			continue
		}
		if err != nil && !errors.Is(err, vm.ErrNotFound) {
			return err
		}
		// An absent domain is destroyed too: that sweeps the volumes an
		// interrupted create or destroy left under its name.
		if err := drv.Destroy(ctx, d); err != nil {
			return err
		}
	}
	clear(inst.State.VMs)
	if err := m.removeNetworks(ctx, drv, inst); err != nil {
		return err
	}
	return SaveState(inst.Dir, inst.State)
}

// removeNetworks removes the instance's lab networks, recorded or found by
// its uid, that prove its own.
func (m *Manager) removeNetworks(ctx context.Context, drv vm.Driver, inst *Instance) error {
	st := inst.State
	names := slices.Clone(st.Networks)
	if st.UID != "" {
		found, err := drv.FindNetworks(ctx, st.identity())
		if err != nil {
			return err
		}
		names = append(names, found...)
	}
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		labels, err := drv.NetworkLabels(ctx, n)
		if errors.Is(err, vm.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		// A network of an instance made before uids carries no labels.
		legacy := st.UID == "" && len(labels) == 0
		if !legacy && !vm.HasLabels(labels, st.identity()) {
			m.progress("leaving network %s alone: it %v %s", n, errNotOwn, st.ID)
			continue
		}
		if err := drv.RemoveNetwork(ctx, n); err != nil {
			return err
		}
	}
	st.Networks = nil
	return nil
}
