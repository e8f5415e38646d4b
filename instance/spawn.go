package instance

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Spawner is the StandbyStarter of the CLI: it starts the standby
// preparation of an instance as a process of its own, in its own session
// (a Ctrl-C in the trainee's terminal does not reach it), logging to the
// instance's StandbyLog. The command that started it ends at once; the
// preparation then waits for the instance's lock.
type Spawner struct {
	Home Home
	// Argv is the command that prepares the standbys of the instance whose
	// ID is appended to it (vlab's hidden `standby` verb); Argv[0] is the
	// program's path.
	Argv []string
	// Env is the process's environment; nil is this process's.
	Env []string
}

var _ StandbyStarter = Spawner{}

// StartStandby starts Argv with id appended, detached.
func (s Spawner) StartStandby(id string) error {
	if len(s.Argv) == 0 {
		return fmt.Errorf("standby of %s: no command to start", id)
	}
	dir, err := s.Home.Instance(id)
	if err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(dir, StandbyLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(s.Argv[0], append(s.Argv[1:len(s.Argv):len(s.Argv)], id)...)
	cmd.Env = s.Env
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s standby: %w", s.Argv[0], err)
	}
	return cmd.Process.Release()
}
