package vagrant

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// fakeVagrant records every command and acts out vagrant's part on a fake
// hypervisor: up creates or starts the domain the Vagrantfile describes.
type fakeVagrant struct {
	mu    sync.Mutex
	hv    *drivertest.Fake
	calls [][]string
	boxes map[string]bool
	fail  map[string]*RunError // by verb
}

func (f *fakeVagrant) Run(ctx context.Context, c Cmd) (string, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c.Args)
	f.mu.Unlock()
	args := c.Args[1:]
	if e := f.fail[args[0]]; e != nil {
		return "", e
	}
	switch args[0] {
	case "box":
		return f.box(args[1:])
	case "up":
		return "", f.up(ctx, c.Dir, args[len(args)-1])
	case "halt":
		return "", f.hv.Stop(ctx, f.domain(c.Dir, args[len(args)-1]))
	case "destroy":
		return "", f.hv.Destroy(ctx, f.domain(c.Dir, args[len(args)-1]))
	}
	return "", fmt.Errorf("fake vagrant: %v", args)
}

func (f *fakeVagrant) box(args []string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if args[0] == "add" {
		f.boxes[args[2]] = true
		return "", nil
	}
	var out strings.Builder
	for b := range f.boxes {
		fmt.Fprintf(&out, "1,,box-name,%s\n1,,box-provider,libvirt\n", b)
	}
	return out.String(), nil
}

func (f *fakeVagrant) machine(dir, name string) (Machine, bool) {
	p, _ := LoadProject(dir)
	for _, m := range p.Machines {
		if m.Name == name {
			return m, true
		}
	}
	return Machine{}, false
}

func (f *fakeVagrant) domain(dir, name string) string {
	m, _ := f.machine(dir, name)
	return m.Domain
}

func (f *fakeVagrant) up(ctx context.Context, dir, name string) error {
	m, ok := f.machine(dir, name)
	if !ok {
		return fmt.Errorf("no machine %s in %s/Vagrantfile", name, dir)
	}
	if st, _ := f.hv.State(ctx, m.Domain); st != vm.StateAbsent {
		return f.hv.Start(ctx, m.Domain)
	}
	return f.hv.Create(ctx, vm.Spec{Name: m.Domain, Memory: m.Memory, CPUs: m.CPUs, SSHPort: m.SSHPort,
		Accel: vm.AccelTCG, Image: vm.Image{Name: m.Box, Digest: m.Box, Disk: "box.img"}})
}

func (f *fakeVagrant) verbs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, strings.Join(c[1:], " "))
	}
	return out
}

type fixture struct {
	drv  *Driver
	fake *fakeVagrant
	hv   *drivertest.Fake
	home string
}

func newFixture(t *testing.T) fixture {
	home := t.TempDir()
	hv := drivertest.NewFake()
	fv := &fakeVagrant{hv: hv, boxes: map[string]bool{}, fail: map[string]*RunError{}}
	packs := 0
	boxes := BoxAdder{Cmder: fv, TempDir: home, Pack: func(ctx context.Context, img vm.Image, path string) error {
		packs++
		return os.WriteFile(path, []byte("box"), 0o644)
	}}
	d, err := New(Options{Cmder: fv, Domains: hv, Boxes: boxes, Index: filepath.Join(home, "index"),
		Project: func(spec vm.Spec) (string, string) {
			dir := filepath.Join(home, "instances", spec.Labels["instance"])
			return dir, filepath.Join(dir, "id_ed25519")
		}})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{drv: d, fake: fv, hv: hv, home: home}
}

func testSpec(name string) vm.Spec {
	return vm.Spec{Name: "vlab-u-lab1-" + name, Memory: 512, CPUs: 1, SSHPort: 40000 + len(name), Accel: vm.AccelTCG,
		Image:      vm.Image{Name: "debian-12", Digest: "8e2413aeb24f51c0645948cc", Disk: "disk.qcow2", Kernel: "vmlinuz", Initrd: "initrd.img"},
		KernelArgs: []string{"vlab.key=AAAA"}, Labels: map[string]string{"instance": "lab1", "vm": name}}
}

// TestConformance runs the drivers' suite on the Vagrant driver over a fake
// vagrant CLI and a fake hypervisor.
func TestConformance(t *testing.T) {
	fx := newFixture(t)
	drivertest.Run(t, drivertest.Harness{Driver: fx.drv, Guest: fx.hv,
		Spec: func(t *testing.T, name string) vm.Spec { return testSpec(name) }})
	left, _ := os.ReadDir(filepath.Join(fx.home, "index"))
	if len(left) != 0 {
		t.Errorf("index keeps %d entries after every VM was destroyed", len(left))
	}
}

func TestCreateRunsVagrant(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	if err := fx.drv.Create(ctx, testSpec("web")); err != nil {
		t.Fatal(err)
	}
	if err := fx.drv.Create(ctx, testSpec("db")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"box list --machine-readable", "box add --name vlab/debian-12-8e2413aeb24f --provider libvirt BOX",
		"up --provider=libvirt --no-provision web",
		"box list --machine-readable", "up --provider=libvirt --no-provision db",
	}
	got := fx.fake.verbs()
	for i := range got {
		if strings.HasPrefix(got[i], "box add") {
			got[i] = got[i][:strings.LastIndex(got[i], " ")] + " BOX"
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("vagrant commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	vf, err := os.ReadFile(filepath.Join(fx.home, "instances", "lab1", "Vagrantfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`config.vm.define "db"`, `config.vm.define "web"`, `lv.default_prefix = "vlab-u-lab1-"`,
		`lv.kernel = "/pool/debian-12.vmlinuz"`, `hostfwd=tcp:127.0.0.1:40003-:22`, `vlab.key=AAAA`} {
		if !strings.Contains(string(vf), s) {
			t.Errorf("Vagrantfile lacks %s", s)
		}
	}
}

func TestDestroyFallsBackWhenVagrantFails(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	spec := testSpec("web")
	if err := fx.drv.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	fx.fake.fail["destroy"] = &RunError{Args: []string{"vagrant", "destroy"}, Err: errors.New("exit status 1"), Stderr: "boom"}
	err := fx.drv.Destroy(ctx, spec.Name)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("destroy with a failing vagrant: %v, want its output", err)
	}
	if st, _ := fx.hv.State(ctx, spec.Name); st != vm.StateAbsent {
		t.Errorf("domain left %s after destroy", st)
	}
	delete(fx.fake.fail, "destroy")
	if err := fx.drv.Destroy(ctx, spec.Name); err != nil {
		t.Errorf("destroy again: %v", err)
	}
}

func TestRunErrorNamesWhatToDo(t *testing.T) {
	for _, tt := range []struct {
		stderr string
		kind   error
		hint   string
	}{
		{"The provider 'libvirt' could not be found, but was requested to\nback the machine 'web'.", ErrPluginMissing, "apt-get install vagrant-libvirt"},
		{"The box 'vlab/debian-12-x' could not be found or\ncould not be accessed in the remote catalog.", ErrBoxMissing, "vlab images box"},
		{"Error while activating network: Call to virNetworkCreate failed: internal error: Network is already in use by interface virbr1.", ErrNetworkClash, "virsh net-list"},
		{"Error while activating network: Call to virNetworkCreate failed: Unable to find 'dnsmasq' binary in $PATH", ErrNoDnsmasq, "dnsmasq-base"},
	} {
		err := error(&RunError{Args: []string{"vagrant", "up", "web"}, Err: errors.New("exit status 1"), Stderr: tt.stderr})
		if !errors.Is(err, tt.kind) {
			t.Errorf("%q: not %v", tt.stderr, tt.kind)
		}
		var re *RunError
		if !errors.As(err, &re) || !strings.Contains(re.Hint(), tt.hint) || !strings.Contains(err.Error(), "vagrant up web") ||
			!strings.Contains(err.Error(), strings.Split(tt.stderr, "\n")[0]) {
			t.Errorf("error lacks command, output or hint %q:\n%v", tt.hint, err)
		}
	}
}

// TestRunErrorIsOneLine: the error names the command and the first line
// Vagrant printed; the tail of its output is kept for --verbose.
func TestRunErrorIsOneLine(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("stderr line %d", i))
	}
	err := &RunError{Args: []string{"vagrant", "up", "web"}, Err: errors.New("exit status 1"), Stderr: "\n" + strings.Join(lines, "\n") + "\n"}
	if msg := err.Error(); strings.Contains(msg, "\n") || msg != "vagrant up web: exit status 1: stderr line 0" {
		t.Errorf("Error() = %q, want one line with the command and the first line of output", msg)
	}
	tail := err.Tail()
	if n := strings.Count(tail, "\n") + 1; n != 16 || !strings.Contains(tail, "stderr line 29") || strings.Contains(tail, "stderr line 14\n") {
		t.Errorf("Tail() is %d lines, want ... and the last 15:\n%s", n, tail)
	}
	quiet := &RunError{Args: []string{"vagrant", "halt"}, Err: errors.New("exit status 1")}
	if quiet.Error() != "vagrant halt: exit status 1" || quiet.Tail() != "" {
		t.Errorf("without output: %q, tail %q", quiet.Error(), quiet.Tail())
	}
}

// TestTakeOverPointsVagrantAtStandby: after a take-over `vagrant status`
// must find the domain that now runs the machine.
func TestTakeOverPointsVagrantAtStandby(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	spec := testSpec("web")
	if err := fx.drv.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := fx.drv.Snapshot(ctx, spec.Name, "golden"); err != nil {
		t.Fatal(err)
	}
	sb := spec.Name + "_b"
	if err := fx.drv.PrepareStandby(ctx, spec.Name, "golden", sb); err != nil {
		t.Fatal(err)
	}
	if err := fx.drv.TakeOver(ctx, spec.Name, sb, spec.SSHPort); err != nil {
		t.Fatal(err)
	}
	e, err := fx.drv.lookup(sb)
	if err != nil || !e.Alias || e.Machine != "web" {
		t.Fatalf("index entry of the standby: %+v %v", e, err)
	}
	want, _ := fx.hv.DomainUUID(ctx, sb)
	if got, err := os.ReadFile(machineIDFile(e)); err != nil || string(got) != want {
		t.Errorf("Vagrant's id of machine web = %q %v, want the standby's %q", got, err, want)
	}
	// Back the other way: the owner domain takes over again.
	if err := fx.drv.PrepareStandby(ctx, spec.Name, "golden", spec.Name); err != nil {
		t.Fatal(err)
	}
	if err := fx.drv.TakeOver(ctx, sb, spec.Name, spec.SSHPort); err != nil {
		t.Fatal(err)
	}
	want, _ = fx.hv.DomainUUID(ctx, spec.Name)
	if got, _ := os.ReadFile(machineIDFile(e)); string(got) != want {
		t.Errorf("Vagrant's id of machine web = %q, want the owner's %q", got, want)
	}
	if err := fx.drv.Destroy(ctx, sb); err != nil {
		t.Fatal(err)
	}
	if p, _ := LoadProject(e.Dir); len(p.Machines) != 1 {
		t.Errorf("destroying the standby's domain dropped the machine: %+v", p.Machines)
	}
}
