package provision

import (
	"context"
	"fmt"
	"strings"
)

// pinStep is one packages step of a lab: where it is and what it pins on
// which image.
type pinStep struct {
	vm, step int
	pins     map[string]string
	image    string
}

// packages checks every packages step against one package index: the
// lab's debs/ when it has one (then nothing else is used, as in `up`),
// else the apt sources.
func (d *deepCheck) packages(ctx context.Context) {
	var steps []pinStep
	for i, vm := range d.lab.VMs {
		for j, s := range vm.Provision {
			if s.Packages != nil {
				steps = append(steps, pinStep{vm: i, step: j, pins: s.Packages, image: vm.Image})
			}
		}
	}
	if len(steps) == 0 {
		return
	}
	// What stops every check is reported at the first packages step.
	first := stepField(steps[0].vm, steps[0].step, "packages")
	debDir, err := LabDebDir(d.lab)
	if err != nil {
		d.problem(err, first...)
		return
	}
	sources, err := aptSources(ctx, d.opts.CacheDir, debDir, d.opts.Sources)
	if err != nil {
		d.problem(fmt.Errorf("pinned packages not checked: %w", err), first...)
		return
	}
	apt, unlock, err := openAptRoot(ctx, d.opts.CacheDir, sources, d.opts.Arch, "", d.opts.Verbose)
	if err != nil {
		d.problem(fmt.Errorf("pinned packages not checked: %w", err), first...)
		return
	}
	defer unlock()
	where := "the apt sources"
	if debDir != "" {
		where = "the packages in the lab's debs/"
	}
	if !d.packageIndex(ctx, apt, debDir != "", first) {
		return
	}
	for _, st := range steps {
		d.pinStep(ctx, apt, st, where, debDir != "")
	}
}

// packageIndex brings the root's index up to date, or falls back to the
// cached one and says how old it is. It reports whether there is an index.
func (d *deepCheck) packageIndex(ctx context.Context, apt *aptRoot, local bool, field []any) bool {
	var why string
	if local || !d.opts.Offline {
		err := apt.update(ctx)
		if err == nil {
			return true
		}
		if local {
			d.problem(fmt.Errorf("pinned packages not checked: the lab's debs/: %w", err), field...)
			return false
		}
		why = fmt.Sprintf("the package index could not be fetched (%v)", err)
	} else {
		why = "vlab is offline (--offline)"
	}
	at, ok := apt.indexTime()
	if !ok {
		d.problem(fmt.Errorf("pinned packages not checked: %s and the cache holds no package index for these sources; run `vlab validate --deep` once with the network, or give the lab a debs/ folder", why), field...)
		return false
	}
	d.note("%s; package versions checked against the index cached %s (%s)", why, age(d.opts.Now(), at), at.UTC().Format("2006-01-02 15:04 UTC"))
	return true
}

// pinStep checks that each pin the image lacks is in the index and that
// the step's pins can be installed together on the image.
func (d *deepCheck) pinStep(ctx context.Context, apt *aptRoot, st pinStep, where string, local bool) {
	status := d.opts.ImageStatus(st.image)
	installed := map[string]string{}
	if status != "" {
		var err error
		if installed, err = readStatus(status); err != nil {
			d.problem(fmt.Errorf("dpkg status of image %s: %w; rebuild it with `vlab images build %s`", st.image, err, st.image), stepField(st.vm, st.step, "packages")...)
			return
		}
	}
	want := missingPins(st.pins, installed)
	if len(want) == 0 {
		return
	}
	have, err := apt.available(ctx, want)
	if err != nil {
		d.problem(err, stepField(st.vm, st.step, "packages")...)
		return
	}
	missing := false
	for _, name := range want {
		if err := pinAvailable(name, st.pins[name], have[name], where); err != nil {
			d.problem(err, stepField(st.vm, st.step, "packages", name)...)
			missing = true
		}
	}
	if missing {
		return
	}
	if status == "" && local {
		d.note("image %s is not built here: the dependencies of vms[%d].provision[%d] on it were not checked; build it with `vlab images build %s` and run again",
			st.image, st.vm, st.step, st.image)
		return
	}
	d.resolves(ctx, apt, st, status, want)
}

// resolves asks apt whether the step's pins install together on the
// image, or on an empty system when the image is not built here (the apt
// sources hold every dependency then).
func (d *deepCheck) resolves(ctx context.Context, apt *aptRoot, st pinStep, status string, want []string) {
	if err := apt.setStatus(ctx, status); err != nil {
		d.problem(err, stepField(st.vm, st.step, "packages")...)
		return
	}
	_, err := apt.simulate(ctx, pinArgs(st.pins, want))
	if err == nil {
		return
	}
	if why := unmetReasons(err); len(why) > 0 {
		err = fmt.Errorf("the pinned packages cannot be installed together: %s; pin those dependencies to versions that fit, or add them to the package source", strings.Join(why, "; "))
	}
	d.problem(err, stepField(st.vm, st.step, "packages")...)
}
