package incident

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/confine"
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

// maxAttachment bounds the file an inject attaches.
const maxAttachment = 64 << 20

// copyAttachment copies in's attached file to AttachDir and returns the
// copy's path. A directory is not copied: its real path in the lab folder
// is returned. The attachment is read through the lab folder (os.Root):
// one that leads outside it, through a symlink, is refused.
func (s *Session) copyAttachment(in labfile.Inject) (string, error) {
	src, err := confine.Resolve(s.Lab.Dir, in.Attach)
	if err != nil {
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	}
	f, err := confine.Open(s.Lab.Dir, in.Attach)
	if err != nil {
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	}
	defer f.Close()
	st, err := f.Stat()
	switch {
	case err != nil:
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	case st.IsDir():
		return src, nil
	case !st.Mode().IsRegular():
		return "", fmt.Errorf("inject %q attachment %s is not a file", in.ID, in.Attach)
	case st.Size() > maxAttachment:
		return "", fmt.Errorf("inject %q attachment %s is larger than %d MiB", in.ID, in.Attach, maxAttachment>>20)
	}
	dir := s.AttachDir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(s.Journal.Path()), "attachments")
	}
	dst := filepath.Join(dir, in.ID+"-"+filepath.Base(in.Attach))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	}
	if err := atomicfile.WriteFrom(dst, io.LimitReader(f, maxAttachment), 0o644); err != nil {
		return "", fmt.Errorf("inject %q attachment: %w", in.ID, err)
	}
	return dst, nil
}
