package incident

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// TestUpAndResetStartAttempts: Up and Reset, on the fake driver, each
// leave a new attempt in the instance's journal, by "up" then "reset".
func TestUpAndResetStartAttempts(t *testing.T) {
	ctx := context.Background()
	home := instance.Home{Dir: t.TempDir()}
	store := &images.Store{Dir: home.Images()}
	if _, err := store.Import(ctx, "debian-12", images.Files{Disk: imagestest.Disk(t)}); err != nil {
		t.Fatal(err)
	}
	drv := drivertest.NewFakeSSH(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	m := &instance.Manager{Home: home, Images: store, BootTimeout: 10 * time.Second, NoStandby: true,
		Driver: instance.OpenFunc(func(context.Context) (vm.Driver, error) { return drv, nil }),
		Accel:  instance.AccelFunc(func(context.Context) (vm.Accel, error) { return vm.AccelTCG, nil })}
	defer m.Close()
	lab := &labfile.Lab{Name: "shop", Dir: t.TempDir(), VMs: []labfile.VM{{Name: "box", Image: "debian-12", Memory: 256, CPUs: 1}}}

	inst, err := Up(ctx, m, lab, instance.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reset(ctx, m, "shop"); err != nil {
		t.Fatal(err)
	}
	j, err := Open(inst.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	as, err := j.Attempts()
	if err != nil || len(as) != 2 || as[0].By != "up" || as[1].By != "reset" {
		t.Errorf("attempts after up and reset: %+v, %v", as, err)
	}
	if _, err := Reset(ctx, m, "nosuch"); err == nil {
		t.Error("reset of an instance that does not exist: no error")
	}
}
