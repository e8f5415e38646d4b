package instance

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// fakeProvisioner records what Up asks of it.
type fakeProvisioner struct {
	mu      sync.Mutex
	key     string
	applied []string
}

func (p *fakeProvisioner) Key(_ context.Context, _ *labfile.Lab, vmName string, _ *images.Image) (string, error) {
	return p.key + "/" + vmName, nil
}

func (p *fakeProvisioner) Apply(ctx context.Context, _ *labfile.Lab, vmName string, _ *images.Image, r provision.Runner) error {
	if code, err := r.Run(ctx, "provision "+vmName, nil, io.Discard, io.Discard); code != 0 || err != nil {
		return errors.New("provision command failed")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.applied = append(p.applied, vmName)
	return nil
}

func (p *fakeProvisioner) takeApplied() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.applied
	p.applied = nil
	return out
}

type env struct {
	m   *Manager
	drv *drivertest.Fake
	lab *labfile.Lab
	p   *fakeProvisioner
}

// newEnv is a manager on a fake driver with one image and a two-VM lab on
// one network.
func newEnv(t *testing.T) *env {
	t.Helper()
	home := Home{Dir: t.TempDir()}
	store := &images.Store{Dir: home.Images()}
	if _, err := store.Import(context.Background(), "debian-12", images.Files{Disk: imagestest.Disk(t)}); err != nil {
		t.Fatal(err)
	}
	drv := drivertest.NewFakeSSH(t, answerAll)
	m := &Manager{Home: home, Images: store, BootTimeout: 10 * time.Second,
		Driver: opener(bare{drv}),
		Accel:  AccelFunc(func(context.Context) (vm.Accel, error) { return vm.AccelTCG, nil })}
	lab := &labfile.Lab{Name: "shop", Dir: t.TempDir(), Networks: []labfile.Network{{Name: "back"}},
		VMs: []labfile.VM{
			{Name: "web", Image: "debian-12", Memory: 256, CPUs: 1, Networks: []string{"back"}},
			{Name: "db", Image: "debian-12", Memory: 256, CPUs: 1, Networks: []string{"back"}},
		}}
	return &env{m: m, drv: drv, lab: lab, p: &fakeProvisioner{key: "v1"}}
}

// answerAll is a guest that runs every command with success.
func answerAll(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
	io.Copy(io.Discard, stdin)
	return 0
}

// bare is the fake as a driver without the optional roles (standby, a
// guest agent that sets clocks): the instance must work without them.
type bare struct{ vm.Driver }

// opener always opens drv.
func opener(drv vm.Driver) Opener {
	return OpenFunc(func(context.Context) (vm.Driver, error) { return drv, nil })
}

// again is a second vlab process on the same home and hypervisor.
func (e *env) again() *Manager {
	m := e.m
	return &Manager{Home: m.Home, Images: m.Images, BootTimeout: m.BootTimeout, Driver: m.Driver, Accel: m.Accel,
		Standbys: m.Standbys}
}

func (e *env) up(t *testing.T, m *Manager) *Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	inst, err := m.Up(ctx, e.lab, UpOptions{Provisioner: e.p})
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	return inst
}

// instDir is the folder of instance id.
func instDir(t testing.TB, h Home, id string) string {
	t.Helper()
	dir, err := h.Instance(id)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// domainOf is the domain of VM vmName of the env's instance "shop".
func domainOf(t testing.TB, e *env, vmName string) string {
	t.Helper()
	st, err := LoadState(instDir(t, e.m.Home, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	return DomainName(st.UID, "shop", vmName)
}

// netOf is the hypervisor name of lab network n of instance "shop".
func netOf(t testing.TB, e *env, n string) string {
	t.Helper()
	st, err := LoadState(instDir(t, e.m.Home, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	return NetworkName(st.UID, "shop", n)
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temp file %s left in %s", e.Name(), dir)
		}
	}
}

func TestUpFromScratchProvisionsAndSnapshots(t *testing.T) {
	e := newEnv(t)
	inst := e.up(t, e.m)
	st := inst.State
	if st.Phase != PhaseReady || st.Golden == nil || st.Golden.Tag != goldenTag || st.Driver != DefaultDriver || st.Accel != "tcg" {
		t.Fatalf("state after up: %+v", st)
	}
	if got := e.p.takeApplied(); !slices.Equal(got, []string{"web", "db"}) {
		t.Errorf("provisioned %q, want web then db", got)
	}
	if n := len(e.drv.CallsLike("snapshot ")); n != 2 {
		t.Errorf("snapshots %q", e.drv.CallsLike("snapshot "))
	}
	saved, err := LoadState(inst.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"db", "web"} {
		v := saved.VMs[n]
		fv, ok := e.drv.VM(v.Domain)
		if !ok || fv.State != vm.StateRunning || fv.Spec.SSHPort != v.SSHPort {
			t.Fatalf("vm %s: state %+v, driver %+v", n, v, fv)
		}
		if want := authorizedLine(fv.HostKey); v.HostKey != want {
			t.Errorf("vm %s: recorded host key %q, want %q", n, v.HostKey, want)
		}
		if !slices.Equal(fv.Spec.Networks, []string{netOf(t, e, "back")}) {
			t.Errorf("vm %s networks %q", n, fv.Spec.Networks)
		}
	}
	if !slices.Equal(saved.Networks, []string{netOf(t, e, "back")}) || !slices.Equal(e.drv.Networks(), saved.Networks) {
		t.Errorf("networks: state %q, driver %v", saved.Networks, e.drv.Networks())
	}
	if n := countCmds(e.drv, "/etc/hosts"); n != 2 {
		t.Errorf("%d /etc/hosts setups, want 2", n)
	}
	if n := countCmds(e.drv, "date -u -s"); n != 2 {
		t.Errorf("%d clock fixes, want 2", n)
	}
	noTempFiles(t, inst.Dir)
}

func authorizedLine(pub ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
}

func countCmds(f *drivertest.Fake, sub string) int {
	n := 0
	for _, c := range f.Commands() {
		if strings.Contains(c.Cmd, sub) {
			n++
		}
	}
	return n
}

func TestUpAgainRestoresGolden(t *testing.T) {
	e := newEnv(t)
	e.up(t, e.m)
	e.p.takeApplied()
	creates := len(e.drv.CallsLike("create "))
	inst := e.up(t, e.again())
	if got := e.p.takeApplied(); len(got) != 0 {
		t.Errorf("unchanged lab provisioned again: %q", got)
	}
	if n := len(e.drv.CallsLike("create ")); n != creates {
		t.Errorf("unchanged lab created VMs again")
	}
	if n := len(e.drv.CallsLike("restore ")); n != 2 || inst.State.Phase != PhaseReady {
		t.Errorf("restores %q, phase %s", e.drv.CallsLike("restore "), inst.State.Phase)
	}
}

func TestUpChangedKeyReprovisions(t *testing.T) {
	e := newEnv(t)
	first := e.up(t, e.m).State.Golden.Key
	e.p.takeApplied()
	e.p.key = "v2"
	inst := e.up(t, e.again())
	if got := e.p.takeApplied(); !slices.Equal(got, []string{"web", "db"}) {
		t.Errorf("provisioned %q after the key changed", got)
	}
	if len(e.drv.CallsLike("destroy ")) != 2 || len(e.drv.CallsLike("restore ")) != 0 {
		t.Errorf("calls %q", e.drv.Calls())
	}
	if inst.State.Golden == nil || inst.State.Golden.Key == first {
		t.Errorf("golden %+v kept the old key", inst.State.Golden)
	}
}

func TestUpRedoesCutShortProvisioning(t *testing.T) {
	e := newEnv(t)
	inst := e.up(t, e.m)
	e.p.takeApplied()
	// A crash during provisioning: no golden state, phase provisioning.
	inst.State.Golden, inst.State.Phase = nil, PhaseProvisioning
	if err := SaveState(inst.Dir, inst.State); err != nil {
		t.Fatal(err)
	}
	inst = e.up(t, e.again())
	if got := e.p.takeApplied(); !slices.Equal(got, []string{"web", "db"}) {
		t.Errorf("provisioned %q after a cut-short up", got)
	}
	if len(e.drv.CallsLike("destroy ")) != 2 || inst.State.Phase != PhaseReady || inst.State.Golden == nil {
		t.Errorf("calls %q, state %+v", e.drv.Calls(), inst.State)
	}
}

func TestUpBusy(t *testing.T) {
	e := newEnv(t)
	unlock, err := lockDir(context.Background(), instDir(t, e.m.Home, "shop"))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := e.m.Up(context.Background(), e.lab, UpOptions{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("Up on a locked instance = %v, want ErrBusy", err)
	}
	if err := e.m.Destroy(context.Background(), "shop"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Destroy on a locked instance = %v, want ErrBusy", err)
	}
}

func TestUpOtherLabRefused(t *testing.T) {
	e := newEnv(t)
	e.up(t, e.m)
	other := *e.lab
	other.Name = "bank"
	if _, err := e.m.Up(context.Background(), &other, UpOptions{ID: "shop"}); err == nil || !strings.Contains(err.Error(), "runs lab shop") {
		t.Fatalf("Up of another lab on instance shop = %v", err)
	}
	if _, err := e.m.Up(context.Background(), e.lab, UpOptions{ID: "Bad_Name"}); err == nil {
		t.Fatal("Up accepted an invalid instance name")
	}
}

func TestResetWithoutGolden(t *testing.T) {
	e := newEnv(t)
	dir := instDir(t, e.m.Home, "shop")
	os.MkdirAll(dir, 0o755)
	SaveState(dir, &State{ID: "shop", Lab: "shop", Phase: PhaseProvisioning})
	_, err := e.m.Reset(context.Background(), "shop")
	if err == nil || !strings.Contains(err.Error(), "no golden state") || !strings.Contains(err.Error(), "vlab up shop") {
		t.Fatalf("Reset = %v, want a clear no-golden error", err)
	}
	if _, err := e.m.Reset(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Reset of a missing instance = %v", err)
	}
}

func TestResetRestores(t *testing.T) {
	e := newEnv(t)
	e.up(t, e.m)
	inst, err := e.again().Reset(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.drv.CallsLike("restore ")) != 2 || inst.State.Phase != PhaseReady {
		t.Errorf("calls %q", e.drv.Calls())
	}
}

func TestDestroyTwice(t *testing.T) {
	e := newEnv(t)
	inst := e.up(t, e.m)
	for range 2 {
		if err := e.again().Destroy(context.Background(), "shop"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("instance dir still there: %v", err)
	}
	if len(e.drv.VMs()) != 0 || len(e.drv.Networks()) != 0 {
		t.Errorf("left on the hypervisor: vms %v networks %v", e.drv.VMs(), e.drv.Networks())
	}
}

func TestSaveStateAtomic(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		if err := SaveState(dir, &State{ID: "x", Lab: "l", Phase: PhaseReady, Extra: map[string]string{"i": string(rune('0' + i))}}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := LoadState(dir)
	if err != nil || st.Extra["i"] != "2" || st.VMs == nil {
		t.Fatalf("LoadState = %+v, %v", st, err)
	}
	noTempFiles(t, dir)
	if err := SaveState(filepath.Join(dir, "missing"), st); err == nil {
		t.Fatal("SaveState into a missing folder succeeded")
	}
	noTempFiles(t, dir)
}

// guestClockCommands counts `date -s` commands the guests ran.
func guestClockCommands(f *drivertest.Fake) int {
	n := 0
	for _, c := range f.Commands() {
		if strings.HasPrefix(c.Cmd, "date -u -s @") {
			n++
		}
	}
	return n
}

// TestProgressIsSanitised: a progress line that carries a guest's error
// (its last output line) reaches the terminal without escape sequences.
func TestProgressIsSanitised(t *testing.T) {
	var out strings.Builder
	m := &Manager{Progress: &out}
	m.progress("vm %s: shared login: %v", "web", errors.New("exited with status 1: \x1b]52;c;cHduZWQ=\x07gone"))
	if got, want := out.String(), "vm web: shared login: exited with status 1: gone\n"; got != want {
		t.Errorf("progress line %q, want %q", got, want)
	}
}
