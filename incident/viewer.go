package incident

import (
	"os"
	"os/exec"
)

// OpenViewer opens path with the desktop's viewer (xdg-open) when a
// graphical session is present (DISPLAY or WAYLAND_DISPLAY set), without
// waiting for it. It reports whether a viewer was started; failure is not
// an error because the path has been printed anyway.
func OpenViewer(path string) bool {
	cmd := viewerCommand(os.Getenv, exec.LookPath, path)
	if cmd == nil {
		return false
	}
	if err := cmd.Start(); err != nil {
		return false
	}
	go cmd.Wait() // reap it; the viewer may outlive vlab
	return true
}

// viewerCommand returns the command that opens path, or nil when there is
// no desktop to open it on.
func viewerCommand(getenv func(string) string, lookPath func(string) (string, error), path string) *exec.Cmd {
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	opener, err := lookPath("xdg-open")
	if err != nil {
		return nil
	}
	return exec.Command(opener, path)
}
