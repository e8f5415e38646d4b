package incident

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe"
)

const (
	// maxLiveOutput bounds what a live inject shows of its command's output.
	maxLiveOutput = 16 << 10
	// liveTimeout bounds a live inject's command.
	liveTimeout = 30 * time.Second
)

// Live is what a live inject's command showed at reveal time.
type Live struct {
	VM      string
	Command string
	// Output is stdout and stderr together, cut at 16 KiB.
	Output    string
	Truncated bool
	Exit      int
	// Err says why the command could not be run; the inject is shown
	// without its output then.
	Err string
}

// runLive runs l in its VM. Failure does not stop the inject from being
// revealed: it is reported in Live.Err.
func runLive(ctx context.Context, dial probe.Dialer, l labfile.Live) *Live {
	out := &Live{VM: l.VM, Command: l.Command}
	if dial == nil {
		out.Err = "no connection to the lab's VMs"
		return out
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	r, err := dial(ctx, l.VM)
	if err != nil {
		out.Err = fmt.Sprintf("connect to %s: %v", l.VM, err)
		return out
	}
	buf := &probe.Capped{Max: maxLiveOutput}
	out.Exit, err = r.Run(ctx, l.Command, nil, buf, buf)
	out.Output, out.Truncated = buf.String(), buf.Truncated()
	if err != nil {
		out.Err = fmt.Sprintf("run in %s: %v", l.VM, err)
	}
	return out
}

// copyAttachment copies in's attached file to AttachDir and returns the
// copy's path. A directory is not copied: its path in the lab folder is
// returned.
func (s *Session) copyAttachment(in labfile.Inject) (string, error) {
	src := filepath.Join(s.Lab.Dir, in.Attach)
	if abs, err := filepath.Abs(src); err == nil {
		src = abs
	}
	st, err := os.Stat(src)
	if err != nil {
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	}
	if !st.Mode().IsRegular() {
		return src, nil
	}
	dir := s.AttachDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(s.Journal.Path()), "attachments")
	}
	dst := filepath.Join(dir, in.ID+"-"+filepath.Base(in.Attach))
	if err := copyFile(src, dst); err != nil {
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	}
	return dst, nil
}

// copyFile writes src to dst through a temporary file, so dst is never
// half written.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return atomicfile.WriteFrom(dst, in, 0o644)
}
