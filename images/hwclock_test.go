package images

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestHwclockStandIn: the stand-in is a valid x86-64 executable that exits
// 0 whatever its arguments (run here when the host is x86-64 Linux).
func TestHwclockStandIn(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hwclock")
	if err := os.WriteFile(p, hwclockStandIn(), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(p)
	if err != nil {
		t.Fatalf("not an ELF file: %v", err)
	}
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC || len(f.Progs) != 1 {
		t.Errorf("machine %v, type %v, %d segments", f.Machine, f.Type, len(f.Progs))
	}
	f.Close()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("cannot run an x86-64 Linux program here")
	}
	if out, err := exec.Command(p, "-w").CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("hwclock -w: %v %q, want exit 0 and no output", err, out)
	}
}
