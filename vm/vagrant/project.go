package vagrant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/vm"
)

// projectFile keeps, in a project's folder, the machines its Vagrantfile
// is rendered from.
const projectFile = ".vlab-vagrant.json"

// entry records in the index which project and machine a domain is.
type entry struct {
	Dir     string `json:"dir"`
	Machine string `json:"machine"`
	// Alias marks a second domain of the machine: a standby that took
	// over (see standby.go). Destroying it leaves the machine.
	Alias bool `json:"alias,omitempty"`
}

func (d *Driver) indexPath(domain string) string {
	return filepath.Join(d.opt.Index, domain+".json")
}

// lookup finds the project of a domain; it wraps vm.ErrNotFound for a
// domain the driver did not create.
func (d *Driver) lookup(domain string) (entry, error) {
	var e entry
	b, err := os.ReadFile(d.indexPath(domain))
	if errors.Is(err, os.ErrNotExist) {
		return e, fmt.Errorf("vm %s is not a Vagrant machine of vlab: %w", domain, vm.ErrNotFound)
	}
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("read %s: %w", d.indexPath(domain), err)
	}
	return e, nil
}

// LoadProject reads the machines vlab recorded in a project folder.
func LoadProject(dir string) (Project, error) {
	p := Project{Managed: true}
	b, err := os.ReadFile(filepath.Join(dir, projectFile))
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("read %s: %w", filepath.Join(dir, projectFile), err)
	}
	return p, nil
}

// save writes the project's record and its Vagrantfile.
func saveProject(dir string, p Project) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	var vf bytes.Buffer
	if err := Render(&vf, p); err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, projectFile), b); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "Vagrantfile"), vf.Bytes())
}

// add puts m into the project in dir, replacing a machine of its name, and
// records the domain in the index.
func (d *Driver) add(dir, key string, m Machine) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	p, err := LoadProject(dir)
	if err != nil {
		return err
	}
	p.KeyPath = key
	p.Machines = append(without(p.Machines, m.Name), m)
	if err := saveProject(dir, p); err != nil {
		return err
	}
	b, err := json.Marshal(entry{Dir: dir, Machine: m.Name})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.opt.Index, 0o755); err != nil {
		return err
	}
	return writeAtomic(d.indexPath(m.Domain), b)
}

// remove drops a machine from its project and the domain from the index.
func (d *Driver) remove(domain string, e entry) error {
	if _, err := os.Stat(filepath.Join(e.Dir, projectFile)); err == nil {
		p, err := LoadProject(e.Dir)
		if err != nil {
			return err
		}
		p.Machines = without(p.Machines, e.Machine)
		if err := saveProject(e.Dir, p); err != nil {
			return err
		}
	}
	if err := os.Remove(d.indexPath(domain)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func without(ms []Machine, name string) []Machine {
	var out []Machine
	for _, m := range ms {
		if m.Name != name {
			out = append(out, m)
		}
	}
	return out
}

func writeAtomic(path string, data []byte) error { return atomicfile.Write(path, data, 0o644) }
