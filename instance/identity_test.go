package instance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// TestNamesNeverCollide: instance shop with VM db-web and instance shop-db
// with VM web were one domain under the old naming; each instance now has
// its own uid in every name and label.
func TestNamesNeverCollide(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := &labfile.Lab{Name: "shop", Dir: t.TempDir(), VMs: []labfile.VM{{Name: "db-web", Image: "debian-12", Memory: 256, CPUs: 1}}}
	b := &labfile.Lab{Name: "shop-db", Dir: t.TempDir(), VMs: []labfile.VM{{Name: "web", Image: "debian-12", Memory: 256, CPUs: 1}}}
	ia, err := e.m.Up(ctx, a, UpOptions{ID: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	ib, err := e.again().Up(ctx, b, UpOptions{ID: "shop-db"})
	if err != nil {
		t.Fatal(err)
	}
	da, db := ia.State.VMs["db-web"].Domain, ib.State.VMs["web"].Domain
	if da == db || ia.State.UID == ib.State.UID || !strings.Contains(da, ia.State.UID) {
		t.Fatalf("domains %s and %s (uids %s, %s)", da, db, ia.State.UID, ib.State.UID)
	}
	if l, _ := e.drv.VMLabels(ctx, da); l["uid"] != ia.State.UID || l["vm"] != "db-web" {
		t.Errorf("labels of %s: %v", da, l)
	}
	if err := e.again().Destroy(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.drv.State(ctx, db); st != vm.StateRunning {
		t.Errorf("destroying shop took shop-db's VM with it: %s", st)
	}
}

// TestUpRefusesAForeignDomain: a domain of the instance's name that does
// not carry its uid is not destroyed by up.
func TestUpRefusesAForeignDomain(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := instDir(t, e.m.Home, "shop")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, uidFile), []byte("0badc0de\n"), 0o644)
	foreign := vm.Spec{Name: DomainName("0badc0de", "shop", "web"), Memory: 256, CPUs: 1, SSHPort: 1, Accel: vm.AccelTCG,
		Image: vm.Image{Name: "debian-12", Digest: "0123456789abcdef0123", Disk: "d"}, Labels: map[string]string{"uid": "someone"}}
	if err := e.drv.Create(ctx, foreign); err != nil {
		t.Fatal(err)
	}
	_, err := e.m.Up(ctx, e.lab, UpOptions{Provisioner: e.p})
	if !errors.Is(err, errNotOwn) || !strings.Contains(err.Error(), foreign.Name) {
		t.Fatalf("up over a foreign domain: %v", err)
	}
	if st, _ := e.drv.State(ctx, foreign.Name); st != vm.StateRunning {
		t.Errorf("the foreign domain is %s", st)
	}
	// destroy leaves it alone too, and still removes the instance.
	if err := e.again().Destroy(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.drv.State(ctx, foreign.Name); st != vm.StateRunning {
		t.Errorf("destroy removed a domain that is not the instance's: %s", st)
	}
}

// TestUpRefusesAForeignNetwork: a lab network of the instance's name made
// by somebody else is not joined.
func TestUpRefusesAForeignNetwork(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := instDir(t, e.m.Home, "shop")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, uidFile), []byte("0badc0de\n"), 0o644)
	net := NetworkName("0badc0de", "shop", "back")
	e.drv.EnsureNetwork(ctx, net, map[string]string{"uid": "someone"})
	if _, err := e.m.Up(ctx, e.lab, UpOptions{Provisioner: e.p}); !errors.Is(err, vm.ErrExists) {
		t.Fatalf("up joined a foreign network: %v", err)
	}
	if err := e.again().Destroy(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.drv.NetworkLabels(ctx, net); err != nil {
		t.Errorf("destroy removed a network that is not the instance's: %v", err)
	}
}

// TestDestroyFromBrokenState: with state.json truncated, destroy still
// removes every domain (standby partners too) and network the instance
// made, by its uid, and status shows the instance broken beside the others.
func TestDestroyFromBrokenState(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := e.up(t, e.m)
	other := *e.lab
	other.Name = "other"
	if _, err := e.again().Up(ctx, &other, UpOptions{ID: "other"}); err != nil {
		t.Fatal(err)
	}
	uid := inst.State.UID
	// A standby partner, as the libvirt driver makes it: same labels.
	web := inst.State.VMs["web"]
	fv, _ := e.drv.VM(web.Domain)
	spec := fv.Spec
	spec.Name, spec.SSHPort = web.Domain+standbySuffix, spec.SSHPort+1
	if err := e.drv.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(inst.Dir, stateFile), []byte(`{"id": "sh`), 0o644)

	rows, err := e.again().Status(ctx)
	if err != nil {
		t.Fatalf("status with one broken instance: %v", err)
	}
	var broken, fine bool
	for _, r := range rows {
		broken = broken || (r.Instance == "shop" && r.State == "broken" && r.Error != "")
		fine = fine || (r.Instance == "other" && r.State == "running")
	}
	if !broken || !fine {
		t.Errorf("status rows %+v; want shop broken and other running", rows)
	}

	if err := e.again().Destroy(ctx, "shop"); err != nil {
		t.Fatalf("destroy from a truncated state: %v", err)
	}
	if left, _ := e.drv.FindVMs(ctx, map[string]string{"uid": uid}); len(left) > 0 {
		t.Errorf("destroy left %v", left)
	}
	if left, _ := e.drv.FindNetworks(ctx, map[string]string{"uid": uid}); len(left) > 0 {
		t.Errorf("destroy left networks %v", left)
	}
	if _, err := os.Stat(inst.Dir); !os.IsNotExist(err) {
		t.Errorf("instance folder: %v", err)
	}
	if rows, err := e.again().Status(ctx, "other"); err != nil || len(rows) != 2 {
		t.Errorf("the other instance after destroy: %v %v", rows, err)
	}
}

// TestDestroyWithoutUID: with state.json and the uid file both corrupt,
// destroy removes the instance's folder, destroys nothing in libvirt
// (nothing is proven the instance's) and says in one line what to check.
func TestDestroyWithoutUID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	inst := e.up(t, e.m)
	uid := inst.State.UID
	os.WriteFile(filepath.Join(inst.Dir, stateFile), []byte(`{"id": "sh`), 0o644)
	os.WriteFile(filepath.Join(inst.Dir, uidFile), []byte("\x00garbage\n"), 0o644)
	var progress strings.Builder
	m := e.again()
	m.Progress = &progress
	if err := m.Destroy(ctx, "shop"); err != nil {
		t.Fatalf("destroy with no readable state or uid: %v", err)
	}
	if _, err := os.Stat(inst.Dir); !os.IsNotExist(err) {
		t.Errorf("instance folder: %v", err)
	}
	if left, _ := e.drv.FindVMs(ctx, map[string]string{"uid": uid}); len(left) != 2 {
		t.Errorf("destroy touched domains it could not prove the instance's: %v left", left)
	}
	if left, _ := e.drv.FindNetworks(ctx, map[string]string{"uid": uid}); len(left) != 1 {
		t.Errorf("destroy touched networks it could not prove the instance's: %v left", left)
	}
	if msg := progress.String(); strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "virsh list --all") || !strings.Contains(msg, "shop") {
		t.Errorf("destroy said %q; want one line naming the instance and what to check", msg)
	}
}

// portMover is the fake with the port-restorer role the libvirt driver has.
type portMover struct {
	bare
	f *drivertest.Fake
}

func (p portMover) RestoreOnPort(ctx context.Context, name, tag string, port int) error {
	return p.f.RestoreOnPort(ctx, name, tag, port)
}

// TestRestoreMovesATakenPort: the golden state holds the SSH port it was
// saved with; when another program took it meanwhile, up (and reset)
// bring the VM back on a new port, recorded in the state, instead of
// failing.
func TestRestoreMovesATakenPort(t *testing.T) {
	e := newEnv(t)
	e.m.Driver = opener(portMover{bare{e.drv}, e.drv})
	ctx := context.Background()
	inst := e.up(t, e.m)
	if err := e.again().Down(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	old := inst.State.VMs["web"].SSHPort
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(old)))
	if err != nil {
		t.Skipf("port %d taken by something else already: %v", old, err)
	}
	defer l.Close()
	m := e.again()
	m.Driver = e.m.Driver
	inst = e.up(t, m)
	if p := inst.State.VMs["web"].SSHPort; p == old || p == 0 {
		t.Fatalf("web still on port %d", p)
	}
	s, err := inst.Dial(ctx, "web")
	if err != nil {
		t.Fatalf("ssh to web on its new port: %v", err)
	}
	s.Close()
	if st, _ := LoadState(inst.Dir); st.VMs["web"].SSHPort != inst.State.VMs["web"].SSHPort {
		t.Errorf("the new port is not recorded: %d", st.VMs["web"].SSHPort)
	}
}

// hostileConsole is a driver whose guests never answer SSH (they listen
// elsewhere) and whose console prints an escape sequence that would write
// the user's clipboard.
type hostileConsole struct{ bare }

func (h hostileConsole) Create(ctx context.Context, spec vm.Spec) error {
	spec.SSHPort++ // nothing answers where vlab will look
	return h.bare.Create(ctx, spec)
}

func (hostileConsole) ConsoleTail(context.Context, string, int) (string, error) {
	return "\x1b]52;c;cHduZWQ=\x07kernel panic", nil
}

// TestBootErrorConsoleSanitised: the console tail of a VM that does not
// boot comes from the guest; it reaches the terminal without escapes.
func TestBootErrorConsoleSanitised(t *testing.T) {
	e := newEnv(t)
	e.m.Driver = opener(hostileConsole{bare{e.drv}})
	e.m.BootTimeout = 500 * time.Millisecond
	_, err := e.m.Up(context.Background(), e.lab, UpOptions{Provisioner: e.p})
	var be *BootError
	if !errors.As(err, &be) || !strings.Contains(be.Msg, "kernel panic") {
		t.Fatalf("up of a VM that never answers: %v", err)
	}
	if strings.ContainsRune(be.Msg, 0x1b) || strings.ContainsRune(be.Msg, 0x07) {
		t.Errorf("console tail printed raw: %q", be.Msg)
	}
}

// takenOnHost is a driver whose VM host (another machine) has the first
// SSH port vlab picks for each VM taken, although it is free here.
type takenOnHost struct {
	bare
	refused map[string]int
}

func (h takenOnHost) Create(ctx context.Context, spec vm.Spec) error {
	if _, ok := h.refused[spec.Name]; !ok {
		h.refused[spec.Name] = spec.SSHPort
		return fmt.Errorf("vm %s: hostfwd 127.0.0.1:%d on the host: %w", spec.Name, spec.SSHPort, vm.ErrPortInUse)
	}
	return h.bare.Create(ctx, spec)
}

// TestPortTakenOnTheVMHost: ports are chosen free on this machine, but
// bound on the VM's host; one taken there moves the VM to another port.
func TestPortTakenOnTheVMHost(t *testing.T) {
	e := newEnv(t)
	refused := map[string]int{}
	e.m.Driver = opener(takenOnHost{bare{e.drv}, refused})
	inst := e.up(t, e.m)
	v := inst.State.VMs["web"]
	if refused[v.Domain] == 0 || v.SSHPort == refused[v.Domain] {
		t.Fatalf("web on port %d; the host refused %d", v.SSHPort, refused[v.Domain])
	}
	s, err := inst.Dial(context.Background(), "web")
	if err != nil {
		t.Fatalf("ssh to web on its second port: %v", err)
	}
	s.Close()
}
