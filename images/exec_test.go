package images

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/internal/cmdrun"
)

// A failed build tool is one line naming it; its last lines are kept for
// --verbose, and everything it printed went to Verbose.
func TestExecError(t *testing.T) {
	var verbose bytes.Buffer
	b := &builder{opt: BuildOptions{Verbose: &verbose}}
	err := b.exec(context.Background(), "sh", "-c", "exec >&2; echo working; echo mkfs failed; exit 4")
	var ce *cmdrun.Error
	if !errors.As(err, &ce) || ce.Tail() != "working\nmkfs failed" {
		t.Fatalf("exec: %#v", err)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, `"sh -c exec >&2;`) || !strings.HasSuffix(msg, "status 4: mkfs failed") {
		t.Errorf("Error() = %q", msg)
	}
	if verbose.String() != "working\nmkfs failed\n" {
		t.Errorf("verbose got %q", verbose.String())
	}
	err = b.exec(context.Background(), "vlab-no-such-tool")
	if err == nil || err.Error() != "vlab-no-such-tool not found: install it (scripts/setup-host installs everything vlab needs)" {
		t.Errorf("missing tool: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.exec(ctx, "true"); err != context.Canceled {
		t.Errorf("cancelled: %v", err)
	}
}

func TestCheckDiskBroken(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	p := filepath.Join(t.TempDir(), "broken.qcow2")
	os.WriteFile(p, append([]byte("QFI\xfb"), make([]byte, 1024)...), 0o644)
	_, err := CheckDisk(context.Background(), p)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "disk image "+p+": ") || !strings.Contains(err.Error(), `"qemu-img info" exited with status 1: qemu-img: `) {
		t.Errorf("CheckDisk of a broken disk: %v, want one line naming the disk and qemu-img", err)
	}
}
