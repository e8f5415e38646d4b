package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivers"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// hangingStandby is a driver whose standby preparation never returns, as
// a libvirt call caught in a client deadlock did.
type hangingStandby struct{ *drivertest.Fake }

func (hangingStandby) PrepareStandby(context.Context, string, string, string) error {
	select {}
}

// TestStandbyGivesUpPastItsBudget: a preparation that hangs ends its
// process within the budget, instead of holding the instance's lock for
// good (every later command would wait two minutes and fail).
func TestStandbyGivesUpPastItsBudget(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	if code, _, errOut := f.run(t, "up", "hello"); code != 0 {
		t.Fatalf("up: %s", errOut)
	}
	defer func(b time.Duration) { standbyBudget = b }(standbyBudget)
	standbyBudget = 300 * time.Millisecond
	t.Setenv("VLAB_STANDBY", "1")
	open := func(drivers.Config) instance.Opener {
		return instance.OpenFunc(func(context.Context) (vm.Driver, error) { return hangingStandby{f.drv}, nil })
	}
	start := time.Now()
	var out, errb strings.Builder
	code := runWith(context.Background(), []string{"vlab", "--labs", "../../labs", "standby", "hello"}, strings.NewReader(""), &out, &errb, open)
	if code == 0 || !strings.Contains(errb.String(), "not ready after") || time.Since(start) > 10*time.Second {
		t.Fatalf("standby with a hanging driver: exit %d after %s: %s", code, time.Since(start), errb.String())
	}
}
