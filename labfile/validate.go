package labfile

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vlab-dev/vlab/internal/debver"
	"github.com/vlab-dev/vlab/internal/release"
)

// validator checks a decoded lab and reports each problem at the line of
// the field it concerns.
type validator struct {
	lab  *Lab
	root *yaml.Node
	inv  *InvalidError
}

// path is a field path such as vms[1].name: strings are mapping keys and
// ints are sequence indexes.
type path []any

func (p path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", e)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, e)
		}
	}
	return b.String()
}

func (p path) with(e ...any) path { return append(slices.Clone(p), e...) }

func (v *validator) line(p path) int { return lineOf(v.root, p) }

func (v *validator) errf(p path, format string, args ...any) {
	v.inv.add(v.line(p), p.String(), fmt.Sprintf(format, args...))
}

func (v *validator) validate() {
	l := v.lab
	v.name(path{"name"}, l.Name, true)
	if dir := filepath.Base(l.Dir); filepath.Base(l.File) == FileName && ValidName(l.Name) && dir != l.Name {
		v.errf(path{"name"}, "%q differs from the lab's folder %q; rename one: commands name a lab and its instance by its folder", l.Name, dir)
	}
	if strings.TrimSpace(l.Title) == "" {
		v.errf(path{"title"}, "missing; give the incident a short title")
	}
	if l.Date != "" {
		if _, err := time.Parse(time.DateOnly, l.Date); err != nil {
			v.errf(path{"date"}, "%q is not a date like 2024-03-05", l.Date)
		}
	}
	if l.Requires != "" {
		if err := release.Check(l.Requires); err != nil {
			v.errf(path{"requires"}, "%v", err)
		}
	}
	if l.Difficulty != "" && !slices.Contains([]string{"easy", "medium", "hard"}, l.Difficulty) {
		v.errf(path{"difficulty"}, "%q is not one of easy, medium, hard", l.Difficulty)
	}
	v.vms()
	v.unique(path{"networks"}, len(l.Networks), func(i int) string { return l.Networks[i].Name })
	v.triggers()
	v.observer()
	v.causeProbes()
	if o := v.lab.Outage; o != nil && o.Mitigated > 0 && o.Resolved > 0 && o.Mitigated > o.Resolved {
		v.errf(path{"outage", "mitigated"}, "%s is after resolved (%s)", o.Mitigated.D(), o.Resolved.D())
	}
	v.injects()
	v.probes()
	v.solution()
	v.debDir()
	v.testScripts()
}

func (v *validator) name(p path, s string, required bool) {
	switch {
	case s == "" && required:
		v.errf(p, "missing")
	case s != "" && !ValidName(s):
		v.errf(p, "%q must be lowercase letters, digits and dashes, at most 40 characters", s)
	}
}

// unique checks the names of a list for validity and duplicates.
func (v *validator) unique(p path, n int, name func(int) string) {
	seen := map[string]bool{}
	for i := 0; i < n; i++ {
		s := name(i)
		v.name(p.with(i, "name"), s, true)
		if seen[s] && s != "" {
			v.errf(p.with(i, "name"), "%q is used twice", s)
		}
		seen[s] = true
	}
}

// serviceName is a DNS name a lab gives a VM: labels of letters, digits
// and inner dashes.
var serviceName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func (v *validator) vms() {
	l := v.lab
	if len(l.VMs) == 0 {
		v.errf(path{"vms"}, "a lab needs at least one VM")
	}
	v.unique(path{"vms"}, len(l.VMs), func(i int) string { return l.VMs[i].Name })
	names := map[string]string{}
	for _, vm := range l.VMs {
		names[vm.Name] = vm.Name
	}
	for i, vm := range l.VMs {
		p := path{"vms", i}
		if vm.Memory < 128 || vm.Memory > 65536 {
			v.errf(p.with("memory"), "%d MiB is out of range 128..65536", vm.Memory)
		}
		if vm.CPUs < 1 || vm.CPUs > 64 {
			v.errf(p.with("cpus"), "%d is out of range 1..64", vm.CPUs)
		}
		for j, n := range vm.Names {
			if !serviceName.MatchString(n) {
				v.errf(p.with("names", j), "%q is not a host name such as upload.example.org", n)
			} else if owner, ok := names[n]; ok {
				v.errf(p.with("names", j), "%q already names vm %s", n, owner)
			}
			names[n] = vm.Name
		}
		if len(vm.Names) > 0 && len(vm.Networks) == 0 {
			v.errf(p.with("names"), "names resolve over a lab network: give the VM networks:")
		}
		for j, n := range vm.Networks {
			if !slices.ContainsFunc(l.Networks, func(x Network) bool { return x.Name == n }) {
				v.errf(p.with("networks", j), "unknown network %q; declare it under networks:", n)
			}
		}
		v.disks(p, vm)
		for j, s := range vm.Provision {
			v.step(p.with("provision", j), s)
		}
	}
}

func (v *validator) step(p path, s Step) {
	n := 0
	for _, set := range []bool{s.Puppet != nil, s.Packages != nil, s.File != nil, s.Run != "", s.Git != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		v.errf(p, "a step has exactly one of puppet, packages, file, run, git (found %d)", n)
	}
	if g := s.Git; g != nil {
		if g.Repo == "" {
			v.errf(p.with("git", "repo"), "missing; a folder or git bundle in the lab folder, or a git URL")
		} else {
			v.puppetRepo(p.with("git", "repo"), g.Repo)
		}
		if g.Revision == "" {
			v.errf(p.with("git", "revision"), "missing; pin a commit, tag or branch")
		}
		if !cleanGuestDir(g.Dest) {
			v.errf(p.with("git", "dest"), "%q: the clone's folder is a clean absolute path in the guest, such as /srv/deploy/shop-config", g.Dest)
		}
	}
	if s.Puppet != nil {
		v.puppetStep(p.with("puppet"), s.Puppet)
	}
	for name, ver := range s.Packages {
		if strings.TrimSpace(ver) == "" {
			v.errf(p.with("packages", name), "missing version; pin an exact Debian version")
		} else if _, err := debver.Parse(ver); err != nil {
			v.errf(p.with("packages", name), "%v; pin an exact Debian version such as \"1.22.1-9\"", err)
		}
	}
	if s.File != nil {
		v.file(p.with("file"), s.File)
	}
}

func (v *validator) file(p path, f *File) {
	if f.Src == "" {
		v.errf(p.with("src"), "missing")
	} else {
		v.exists(p.with("src"), f.Src)
	}
	if !strings.HasPrefix(f.Dest, "/") {
		v.errf(p.with("dest"), "%q must be an absolute path in the guest", f.Dest)
	}
	if f.Mode != "" {
		if _, err := ParseMode(f.Mode); err != nil {
			v.errf(p.with("mode"), "%v", err)
		}
	}
}

func (v *validator) vmRef(p path, name string) {
	if name == "" {
		v.errf(p, "missing; name one of the lab's VMs (%s)", v.vmList())
	} else if _, ok := v.lab.VM(name); !ok {
		v.errf(p, "unknown VM %q; the lab has %s", name, v.vmList())
	}
}

// vmList names the lab's VMs for messages, cut short so that a hostile
// file with many VMs and many bad references stays cheap to report.
func (v *validator) vmList() string {
	names := v.lab.VMNames()
	if len(names) > 10 {
		names = append(names[:10], "…")
	}
	return strings.Join(names, ", ")
}

func (v *validator) triggers() {
	l := v.lab
	v.unique(path{"triggers"}, len(l.Triggers), func(i int) string { return l.Triggers[i].Name })
	for i, t := range l.Triggers {
		p := path{"triggers", i}
		v.vmRef(p.with("vm"), t.VM)
		switch {
		case t.Client != nil && t.Command != "":
			v.errf(p, "a trigger has one of command, client")
		case t.Client != nil:
			v.client(p.with("client"), &l.Triggers[i])
		case strings.TrimSpace(t.Command) == "":
			v.errf(p.with("command"), "missing; a command, or client: for vlab's traffic client")
		}
		if t.Role != "" {
			v.oneOf(p.with("role"), t.Role, RoleIncident, RoleTraffic)
		}
		if t.Role == RoleTraffic && t.Client == nil {
			v.errf(p.with("role"), "users' traffic is played by a client: give client:, or role: incident")
		}
	}
}

func (v *validator) injects() {
	seen := map[string]bool{}
	var last time.Duration
	for i, in := range v.lab.Injects {
		p := path{"injects", i}
		v.name(p.with("id"), in.ID, true)
		if seen[in.ID] && in.ID != "" {
			v.errf(p.with("id"), "%q is used twice", in.ID)
		}
		seen[in.ID] = true
		if in.At.D() < last {
			v.errf(p.with("at"), "%s is before the previous inject (%s); list injects in timeline order", in.At.D(), last)
		}
		last = in.At.D()
		if !slices.Contains(InjectKinds, in.Kind) {
			v.errf(p.with("kind"), "%q is not one of %s", in.Kind, strings.Join(InjectKinds, ", "))
		}
		if strings.TrimSpace(in.Title) == "" {
			v.errf(p.with("title"), "missing")
		}
		if in.Attach != "" {
			v.exists(p.with("attach"), in.Attach)
		}
		if in.Live != nil {
			v.vmRef(p.with("live", "vm"), in.Live.VM)
			if strings.TrimSpace(in.Live.Command) == "" {
				v.errf(p.with("live", "command"), "missing")
			}
		}
	}
}

func (v *validator) solution() {
	s := v.lab.Solution
	if s == nil {
		return
	}
	for i, st := range s.Steps {
		p := path{"solution", "steps", i}
		v.vmRef(p.with("vm"), st.VM)
		if (st.Run == "") == (st.File == nil) {
			v.errf(p, "a step has exactly one of run, file")
		}
		if st.File != nil {
			v.file(p.with("file"), st.File)
		}
	}
}
