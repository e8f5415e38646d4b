// Package instance runs labs: it turns a lab definition into running VMs on a
// driver, keeps each instance's state on disk (atomically, under a lock) and
// implements up, down, destroy, reset and the SSH access every other command
// uses. One lab can run as several instances on one host, one per trainee.
package instance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/lock"
)

// ErrNotFound is returned when an instance does not exist.
var ErrNotFound = errors.New("no such lab instance")

// Phase is where an instance is in its life.
type Phase string

// The phases an instance goes through. An instance found in a phase other
// than Ready or Stopped was interrupted; `vlab up` picks it up again.
const (
	PhaseCreating     Phase = "creating"
	PhaseProvisioning Phase = "provisioning"
	PhaseSnapshotting Phase = "snapshotting"
	PhaseReady        Phase = "ready"
	PhaseStopped      Phase = "stopped"
)

// State is what vlab remembers about one instance.
type State struct {
	ID string `json:"id"`
	// UID is random and made once per instance: every domain, volume and
	// network of the instance carries it in its name and its labels, so
	// that two instances (of any user or VLAB_HOME) never share one, and
	// destroy removes only what provably is the instance's.
	UID    string `json:"uid"`
	Lab    string `json:"lab"`
	LabDir string `json:"lab_dir"`
	Driver string `json:"driver"`
	// Connect is the libvirt URI of a remote VM host; empty for this machine.
	Connect string              `json:"connect,omitempty"`
	Accel   string              `json:"accel"`
	Phase   Phase               `json:"phase"`
	Created time.Time           `json:"created"`
	Updated time.Time           `json:"updated"`
	VMs     map[string]*VMState `json:"vms"`
	// Networks are the hypervisor names of the instance's lab networks.
	Networks []string          `json:"networks,omitempty"`
	Golden   *Golden           `json:"golden,omitempty"`
	Extra    map[string]string `json:"extra,omitempty"`
}

// VMState is one VM of an instance.
type VMState struct {
	Domain  string `json:"domain"`
	SSHPort int    `json:"ssh_port"`
	HostKey string `json:"host_key,omitempty"`
	Image   string `json:"image"`
	Digest  string `json:"image_digest"`
	// Standby tells that the other domain of the VM's pair (see partner)
	// holds the golden state, restored and paused, ready to take over.
	Standby bool `json:"standby,omitempty"`
	// Observer marks the lab's observer: the trainee does not get it, and
	// it takes the observer's key, not the trainee's.
	Observer bool `json:"observer,omitempty"`
	// Triggers tells that the lab runs triggers in the VM: they are frozen
	// in the golden state and thawed by every VM back from it (warm.go).
	Triggers bool `json:"triggers,omitempty"`
}

// Golden records the saved state every reset returns to.
type Golden struct {
	Key   string    `json:"key"`
	Tag   string    `json:"tag"`
	Taken time.Time `json:"taken"`
}

// TraineeVMNames returns the VMs the trainee may enter, sorted: all but
// the observer.
func (s *State) TraineeVMNames() []string {
	var out []string
	for _, n := range s.VMNames() {
		if !s.VMs[n].Observer {
			out = append(out, n)
		}
	}
	return out
}

// VMNames returns the instance's VM names, sorted.
func (s *State) VMNames() []string {
	var out []string
	for n := range s.VMs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// ValidID tells whether s can name an instance.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// CheckID says what is wrong with s as an instance name. It is the one
// rule for every command: an instance name becomes a folder under
// VLAB_HOME, so nothing but this may reach the file system.
func CheckID(s string) error {
	if !ValidID(s) {
		return fmt.Errorf("instance name %q: use 1-40 of a-z, 0-9 and -, starting with a letter or digit", s)
	}
	return nil
}

// Home is vlab's data folder: images, package cache, instances.
type Home struct{ Dir string }

// DefaultHome is $VLAB_HOME, else $XDG_DATA_HOME/vlab, else ~/.local/share/vlab.
func DefaultHome() (Home, error) {
	if d := os.Getenv("VLAB_HOME"); d != "" {
		return Home{Dir: d}, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return Home{Dir: filepath.Join(d, "vlab")}, nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return Home{}, fmt.Errorf("find vlab's data folder: %w; set VLAB_HOME", err)
	}
	return Home{Dir: filepath.Join(h, ".local", "share", "vlab")}, nil
}

// Images is the image store's folder.
func (h Home) Images() string { return filepath.Join(h.Dir, "images") }

// Cache is the folder for fetched packages and puppet mirrors.
func (h Home) Cache() string { return filepath.Join(h.Dir, "cache") }

// Instance is the folder of instance id, refusing an id that is not a
// valid instance name (".", "..", "a/b" would name a folder elsewhere).
func (h Home) Instance(id string) (string, error) {
	if err := CheckID(id); err != nil {
		return "", err
	}
	return filepath.Join(h.Dir, "instances", id), nil
}

// IDs lists the instances that have state on disk.
func (h Home) IDs() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(h.Dir, "instances"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidID(e.Name()) {
			if _, err := os.Stat(filepath.Join(h.Dir, "instances", e.Name(), stateFile)); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	return out, nil
}

const (
	stateFile = "state.json"
	keyFile   = "id_ed25519"
	// observerKeyFile is the key of the lab's observer VM: the trainee's
	// key (keyFile) does not open it.
	observerKeyFile = "observer_ed25519"
	lockName        = "lock"
)

// LoadState reads an instance's state.
func LoadState(dir string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", filepath.Base(dir), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w; `vlab destroy %s` removes the instance", filepath.Join(dir, stateFile), err, filepath.Base(dir))
	}
	if s.VMs == nil {
		s.VMs = map[string]*VMState{}
	}
	return &s, nil
}

// SaveState writes the state atomically: a crash leaves the old or the new.
func SaveState(dir string, s *State) error {
	s.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, stateFile), append(b, '\n'), 0o644)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}

// ErrBusy is returned when another vlab process holds an instance's lock.
var ErrBusy = errors.New("instance is busy")

// lockDir takes the instance's lock for a command, failing at once when
// another vlab holds it; a standby being warmed in the background holds it
// for seconds, and cuts its warm-up short while the command waits
// (commandWaits).
func lockDir(ctx context.Context, dir string) (func(), error) {
	waiting := filepath.Join(dir, commandWaiting)
	os.WriteFile(waiting, nil, 0o644)
	unlock, err := lockAs(ctx, dir, "", 0)
	os.Remove(waiting)
	return unlock, err
}

// StandbyLog is the file in an instance's folder where the background
// standby preparation writes what it did.
const StandbyLog = "standby.log"

// holderStandby marks the lock as held by a standby being prepared in the
// background: commands wait for it (seconds) instead of failing.
const holderStandby = "standby"

// standbyWait bounds how long a command waits for a standby's preparation.
const standbyWait = 2 * time.Minute

// StandbyBudget bounds a standby's preparation: its process gives up (and
// so lets go of the instance's lock) before a command waiting for it would.
const StandbyBudget = standbyWait - 20*time.Second

// lockAs takes the instance's lock and writes holder into the lock file.
// A lock held by a standby preparation is waited for up to standbyWait;
// wait > 0 waits that long for any holder.
// The standby preparation only locks an instance that exists: it must not
// bring back the folder of one destroyed meanwhile.
func lockAs(ctx context.Context, dir, holder string, wait time.Duration) (func(), error) {
	l, err := lock.Acquire(ctx, filepath.Join(dir, lockName), lock.Options{
		NoCreate: holder == holderStandby,
		Wait: func(h string) time.Duration {
			if h == holderStandby {
				return max(wait, standbyWait)
			}
			return wait
		},
	})
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%s: %w", filepath.Base(dir), ErrNotFound)
	case errors.Is(err, lock.ErrBusy) && strings.Contains(err.Error(), "("+holderStandby+")"):
		return nil, fmt.Errorf("%s: %w: its standby is still being prepared (see %s); try again, or use --standby=false", filepath.Base(dir), ErrBusy, filepath.Join(dir, StandbyLog))
	case errors.Is(err, lock.ErrBusy):
		return nil, fmt.Errorf("%s: %w: another vlab command is working on it; wait for it to finish", filepath.Base(dir), ErrBusy)
	case err != nil:
		return nil, err
	}
	l.SetHolder(holder)
	return l.Unlock, nil
}

// DomainName is the hypervisor name of one VM of an instance. The
// instance's uid makes it unique among every user's and every VLAB_HOME's
// instances on one libvirtd; the id is there for people reading `virsh list`.
func DomainName(uid, id, vmName string) string {
	return "vlab-" + uid + "-" + id + "-" + vmName
}

// newUID makes an instance's uid: 8 random hex digits.
func newUID() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

var uidPattern = regexp.MustCompile(`^[0-9a-f]{8}$`)

// labels are what the instance's domains and networks carry in the
// hypervisor, to be found and proven its own.
func (s *State) labels() map[string]string {
	return map[string]string{"uid": s.UID, "instance": s.ID, "lab": s.Lab}
}
