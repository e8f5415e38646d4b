package labfile

import "fmt"

// An observer is the lab's VM the trainee does not get: it runs the
// clients and the checks, and reaches the lab's VMs over the lab network
// only. The trainee is root in every other VM, so what a probe reads
// inside one of those (a unit's state, a file, df, a query) could be
// faked there; in a lab with an observer, only probes that run on the
// observer decide that users are served. Probes elsewhere are guards (or
// cause probes, as trustworthy as the VM they read).

// Observer returns the lab's observer VM, if it has one.
func (l *Lab) Observer() (*VM, bool) {
	for i := range l.VMs {
		if l.VMs[i].Observer {
			return &l.VMs[i], true
		}
	}
	return nil, false
}

// TraineeVMs lists the VMs the trainee may enter: all but the observer.
func (l *Lab) TraineeVMs() []string {
	var out []string
	for _, v := range l.VMs {
		if !v.Observer {
			out = append(out, v.Name)
		}
	}
	return out
}

// causeProbes checks that a lab with cause probes has a probe of the
// symptom too: mitigated is every probe but the cause probes passing, and
// guards alone do not say users are served.
func (v *validator) causeProbes() {
	causes, symptoms := 0, 0
	for _, p := range v.lab.Probes {
		switch {
		case p.Cause:
			causes++
		case !p.Guard:
			symptoms++
		}
	}
	if causes > 0 && symptoms == 0 {
		v.errf(path{"probes"}, "every probe is a cause probe or a guard; add one of the symptom users saw, or mitigated can never hold")
	}
}

// observer checks the rules of a lab with an observer.
func (v *validator) observer() {
	l := v.lab
	var obs *VM
	for i := range l.VMs {
		if !l.VMs[i].Observer {
			continue
		}
		if obs != nil {
			v.errf(path{"vms", i, "observer"}, "the lab already has an observer, %s; it has at most one", obs.Name)
			continue
		}
		obs = &l.VMs[i]
	}
	if obs == nil {
		return
	}
	if len(l.TraineeVMs()) == 0 {
		v.errf(path{"vms"}, "every VM is the observer; the trainee needs at least one VM")
	}
	for i, p := range l.Probes {
		if p.VM != obs.Name && !p.Guard && !p.Cause {
			v.errf(path{"probes", i, "vm"}, "%q: in a lab with an observer, a probe that decides users are served runs on the observer (%s), where the trainee cannot fake it; make this one a guard, or run it from %s", p.VM, obs.Name, obs.Name)
		}
	}
	if s := l.Solution; s != nil {
		for i, st := range s.Steps {
			if st.VM == obs.Name {
				v.errf(path{"solution", "steps", i, "vm"}, "%q is the observer: a fix happens in the trainee's VMs", st.VM)
			}
		}
	}
}

// observerSection reports a test script section on the observer.
func (l *Lab) observerSection(vm string) error {
	if v, ok := l.VM(vm); ok && v.Observer {
		return fmt.Errorf("%q is the observer: a test script acts as the trainee, in the trainee's VMs", vm)
	}
	return nil
}
