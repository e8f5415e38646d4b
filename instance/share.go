package instance

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/provision"
)

// The warm-up's login to a standby (warmStandby) is kept by the background
// preparer and shared with the instance's other vlab processes
// (provision.Share) once the standby runs the VM: `vlab ssh`, `check` and
// the rest then open a session on it instead of a key exchange and login
// in the guest.

// shareSocket is where the shared connection to domain dom of VM vmName is
// served, or "" when the instance's folder is too deep for a Unix socket.
func (i *Instance) shareSocket(vmName, dom string) string {
	name := "ssh-" + vmName
	if strings.HasSuffix(dom, standbySuffix) {
		name += standbySuffix
	}
	p := filepath.Join(i.Dir, name+".sock")
	if len(p) > 100 { // sun_path holds 108 bytes
		return ""
	}
	return p
}

// sharedLogins are the logins one PrepareStandby kept.
type sharedLogins struct {
	inst   *Instance
	logins []sharedLogin
}

// sharedLogin is a login to domain dom, which is or will be VM vm.
type sharedLogin struct {
	vm, dom string
	s       *provision.SSH
}

// liveLogins logs in to each running VM of the instance whose domain no
// process shares yet, for ServeShared.
func (m *Manager) liveLogins(ctx context.Context, inst *Instance) []sharedLogin {
	var out []sharedLogin
	for _, n := range inst.State.VMNames() {
		if inst.commandWaits() {
			break // the instance's lock is wanted: no login is worth it
		}
		dom := inst.State.VMs[n].Domain
		sock := inst.shareSocket(n, dom)
		if sock == "" {
			continue
		}
		if s := inst.dialShared(ctx, n); s != nil {
			s.Close()
			continue
		}
		cfg, err := inst.sshConfig(ctx, n)
		if err != nil {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		s, err := provision.Dial(dctx, cfg)
		cancel()
		if err != nil {
			m.progress("vm %s: no login to share: %v", n, err)
			continue
		}
		out = append(out, sharedLogin{n, dom, s})
	}
	return out
}

// ServeShared serves every login the standby preparations of this Manager
// kept (Share) on its socket (provision.Share), until they all end: a
// standby's login ends when its domain does, at the latest when the domain
// is restored again as the standby after next. Before the reset that takes
// the standby over, no command uses it (Instance.Dial goes by the domain
// that runs the VM).
func (m *Manager) ServeShared(ctx context.Context) {
	m.mu.Lock()
	all := m.shared
	m.shared = nil
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, sl := range all {
		for _, l := range sl.logins {
			key, err := sl.inst.sshKey(l.vm)
			sock := sl.inst.shareSocket(l.vm, l.dom)
			if err != nil || sock == "" {
				l.s.Close()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer l.s.Close()
				if err := provision.Share(ctx, l.s, sock, key); err != nil {
					m.progress("vm %s: shared login: %v", l.vm, err)
				}
			}()
		}
	}
	wg.Wait()
}

// dialShared connects through the login shared for the domain that runs
// VM vmName now (Manager.Share), or returns nil: there is none, or it
// does not answer, and the caller dials the guest.
func (i *Instance) dialShared(ctx context.Context, vmName string) *provision.SSH {
	sock := i.shareSocket(vmName, i.State.VMs[vmName].Domain)
	if sock == "" {
		return nil
	}
	if _, err := os.Stat(sock); err != nil {
		return nil
	}
	key, err := i.sshKey(vmName)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := provision.DialShared(ctx, sock, key)
	if err != nil {
		return nil
	}
	return s
}
