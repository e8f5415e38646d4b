package drivertest

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/vm"
)

var (
	_ vm.Golden      = (*Fake)(nil)
	_ vm.GuestRunner = (*Fake)(nil)
)

// fakeGolden is a stored saved guest.
type fakeGolden struct {
	labels map[string]string
	guest  fakeGuest
	used   time.Time
}

// PublishGolden stores VM name's saved guest tag under key.
func (f *Fake) PublishGolden(ctx context.Context, name, tag, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.get(name)
	if err != nil {
		return err
	}
	g, ok := v.saves[tag]
	if !ok {
		return fmt.Errorf("vm %s has no saved state %q: %w", name, tag, vm.ErrNotFound)
	}
	if e, ok := f.goldens[key]; ok {
		e.used = time.Now()
		return nil
	}
	f.record("publish %s %s", name, key)
	f.goldens[key] = &fakeGolden{labels: maps.Clone(v.spec.Labels), guest: g.clone(), used: time.Now()}
	return nil
}

// AdoptGolden defines a stopped VM from spec whose saved guest tag is the
// stored one: the same guest, host key included, as a real copy would be.
func (f *Fake) AdoptGolden(ctx context.Context, key string, spec vm.Spec, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.goldens[key]
	if !ok {
		return fmt.Errorf("golden state %s: %w", key, vm.ErrNotFound)
	}
	if _, ok := f.vms[spec.Name]; ok {
		return fmt.Errorf("vm %s: %w", spec.Name, vm.ErrExists)
	}
	f.record("adopt %s %s", spec.Name, key)
	spec.Labels = maps.Clone(spec.Labels)
	f.vms[spec.Name] = &fakeVM{spec: spec, state: vm.StateStopped, guest: e.guest.clone(),
		saves: map[string]fakeGuest{tag: e.guest.clone()}}
	e.used = time.Now()
	return nil
}

// Goldens lists the stored guests.
func (f *Fake) Goldens(ctx context.Context) ([]vm.GoldenInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []vm.GoldenInfo
	for _, k := range slices.Sorted(maps.Keys(f.goldens)) {
		e := f.goldens[k]
		out = append(out, vm.GoldenInfo{Key: k, Labels: maps.Clone(e.labels), Bytes: 1, Used: e.used})
	}
	return out, nil
}

// RemoveGolden forgets a stored guest.
func (f *Fake) RemoveGolden(ctx context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.goldens, key)
	return nil
}

var dateSet = regexp.MustCompile(`date -u -s @([0-9]+)`)

// GuestRun records a program run through the guest agent, as
// "guestrun VM ARGV...", and runs nothing.
func (f *Fake) GuestRun(ctx context.Context, name string, argv []string, stdin []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.get(name)
	if err != nil {
		return err
	}
	if v.state != vm.StateRunning {
		return fmt.Errorf("vm %s is %s: no guest agent", name, v.state)
	}
	f.record("guestrun %s %s", name, strings.Join(argv, " "))
	if len(argv) == 2 && strings.HasSuffix(argv[0], "/touch") && strings.HasPrefix(argv[1], "/root/vlab-mark-") {
		v.guest.files[argv[1]] = true
	}
	// date -u -s @SECONDS, alone or in a shell command, sets the clock.
	if m := dateSet.FindStringSubmatch(strings.Join(argv, " ")); m != nil {
		sec, _ := strconv.ParseInt(m[1], 10, 64)
		v.guest.offset = time.Until(time.Unix(sec, 0))
	}
	return nil
}
