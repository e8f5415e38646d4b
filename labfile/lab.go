// Package labfile reads and checks incident lab definitions (lab.yaml): a
// folder under labs/ holding lab.yaml and the files it refers to.
package labfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the lab definition inside a lab folder.
const FileName = "lab.yaml"

// Lab is one incident lab as written in lab.yaml. Title and Summary are
// what the trainee is told (the symptom); Trainer holds what only the
// trainer sees (the cause).
type Lab struct {
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	// Requires is the vlab version the lab needs, e.g. ">= 0.3".
	Requires   string    `yaml:"requires,omitempty"`
	Date       string    `yaml:"date,omitempty"`
	Report     string    `yaml:"report,omitempty"`
	Summary    string    `yaml:"summary,omitempty"`
	Trainer    *Trainer  `yaml:"trainer,omitempty"`
	Difficulty string    `yaml:"difficulty,omitempty"`
	Services   []string  `yaml:"services,omitempty"`
	Duration   Duration  `yaml:"duration,omitempty"`
	Goals      []string  `yaml:"goals,omitempty"`
	VMs        []VM      `yaml:"vms"`
	Networks   []Network `yaml:"networks,omitempty"`
	Triggers   []Trigger `yaml:"triggers,omitempty"`
	Injects    []Inject  `yaml:"injects,omitempty"`
	Probes     []Probe   `yaml:"probes,omitempty"`
	Solution   *Solution `yaml:"solution,omitempty"`
	// Outage holds the real incident's own times, for the debrief.
	Outage *Outage `yaml:"outage,omitempty"`

	// Dir is the lab's folder; relative paths in the lab are resolved against it.
	Dir string `yaml:"-"`
	// File is the path lab.yaml was read from.
	File string `yaml:"-"`

	// doc is the parsed YAML, kept so that problems found after loading
	// (see Problem) get the line of their field.
	doc *yaml.Node
}

// VM is one virtual machine of a lab.
type VM struct {
	Name      string   `yaml:"name"`
	Image     string   `yaml:"image"`
	Memory    int      `yaml:"memory,omitempty"` // MiB
	CPUs      int      `yaml:"cpus,omitempty"`
	Networks  []string `yaml:"networks,omitempty"`
	Provision []Step   `yaml:"provision,omitempty"`
	// Observer marks the VM the trainee does not get (see observer.go).
	Observer bool `yaml:"observer,omitempty"`
	// Names are service names that resolve to the VM in every VM of the
	// lab (its /etc/hosts), such as upload.example.org for the edge.
	Names []string `yaml:"names,omitempty"`
	// Disk is the size of the VM's root disk (e.g. 10G), at least its
	// image's; its filesystem grows to fill it. Empty keeps the image's.
	Disk string `yaml:"disk,omitempty"`
	// Disks are filesystems of their own, each mounted at a path.
	Disks []Disk `yaml:"disks,omitempty"`
}

// Network is a lab-internal network joining some of the lab's VMs; the host
// is not on it.
type Network struct {
	Name string `yaml:"name"`
}

// Step is one provisioning step; exactly one of its action fields is set.
type Step struct {
	Name     string            `yaml:"name,omitempty"`
	Puppet   *Puppet           `yaml:"puppet,omitempty"`
	Packages map[string]string `yaml:"packages,omitempty"`
	File     *File             `yaml:"file,omitempty"`
	Run      string            `yaml:"run,omitempty"`
	Git      *Git              `yaml:"git,omitempty"`
}

// Git puts a clone of a repository at a pinned revision into a guest: an
// application's or a configuration's, with its history up to the
// revision, so that a deploy or a revert in it is real.
type Git struct {
	// Repo is a folder or git bundle in the lab folder, or a git URL, as
	// for puppet steps.
	Repo     string `yaml:"repo"`
	Revision string `yaml:"revision"`
	// Dest is the clone's folder in the guest.
	Dest string `yaml:"dest"`
}

// Puppet applies a puppet tree at a pinned revision.
type Puppet struct {
	Repo       string   `yaml:"repo,omitempty"`
	Revision   string   `yaml:"revision,omitempty"`
	Manifest   string   `yaml:"manifest,omitempty"`
	ModulePath []string `yaml:"modulepath,omitempty"`
	Hiera      string   `yaml:"hiera,omitempty"`
	// Kit pins vlab's kit at a revision (kit-N); see kitstep.go.
	Kit string `yaml:"kit,omitempty"`
	// Role is the VM's role, written for puppet as the fact vlab_role.
	Role string `yaml:"role,omitempty"`
	// Clone, when set, is where the guest keeps a clone of the repository
	// with its history, from which puppet is applied.
	Clone string `yaml:"clone,omitempty"`
	// Data is hiera data of the lab's own (key → value), committed into
	// the clone as data/lab.yaml, which the kit's hierarchy reads between
	// a host's data and its role's.
	Data map[string]any `yaml:"data,omitempty"`
}

// File copies a file or directory from the lab folder into a guest.
type File struct {
	Src   string `yaml:"src"`
	Dest  string `yaml:"dest"`
	Mode  string `yaml:"mode,omitempty"`
	Owner string `yaml:"owner,omitempty"`
}

// Outage is when the real incident was mitigated and resolved, as
// offsets from the outage's start (the injects' clock).
type Outage struct {
	Mitigated Duration `yaml:"mitigated,omitempty"`
	Resolved  Duration `yaml:"resolved,omitempty"`
}

// Trigger is a client that reproduces the incident's traffic or load; it
// runs as a systemd unit in a guest.
type Trigger struct {
	Name string `yaml:"name"`
	VM   string `yaml:"vm"`
	// Role is RoleIncident (default: the trainee may stop it as a fix) or
	// RoleTraffic (users' traffic, which must keep flowing).
	Role string `yaml:"role,omitempty"`
	// Exactly one of Command (run with /bin/sh) and Client (vlab's
	// traffic client) says what the trigger runs.
	Command     string  `yaml:"command,omitempty"`
	Client      *Client `yaml:"client,omitempty"`
	Description string  `yaml:"description,omitempty"`
	// Ready is a shell command that succeeds once the trigger's load is
	// flowing (a server listening, a client connected). The golden state is
	// saved only then, so that a reset does not replay the start-up.
	Ready string `yaml:"ready,omitempty"`
}

// Inject is one hint from the incident's timeline.
type Inject struct {
	ID      string   `yaml:"id"`
	At      Duration `yaml:"at"`
	Kind    string   `yaml:"kind"`
	Title   string   `yaml:"title"`
	Body    string   `yaml:"body,omitempty"`
	Attach  string   `yaml:"attach,omitempty"`
	Live    *Live    `yaml:"live,omitempty"`
	Guessed bool     `yaml:"guessed,omitempty"`
}

// Live is a command run in a VM when an inject is revealed; its output
// becomes part of the inject.
type Live struct {
	VM      string `yaml:"vm"`
	Command string `yaml:"command"`
}

// Solution is the fix applied on the day of the incident.
type Solution struct {
	Summary string         `yaml:"summary,omitempty"`
	Steps   []SolutionStep `yaml:"steps"`
}

// SolutionStep is one action of the reference fix in one VM.
type SolutionStep struct {
	VM   string `yaml:"vm"`
	Run  string `yaml:"run,omitempty"`
	File *File  `yaml:"file,omitempty"`
}

// InjectKinds lists the kinds an inject may have, in the order of a
// typical incident.
var InjectKinds = []string{"alert", "user-report", "graph", "chat", "log", "page", "hint", "cause", "fix"}

// Duration is a time.Duration written in lab.yaml as "90s", "5m" or "1h20m".
type Duration time.Duration

// UnmarshalYAML accepts Go duration strings and plain integers of seconds.
// Its errors are *yaml.TypeError so that decoding goes on and every
// problem of a file is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	bad := func(format string, args ...any) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
	}
	if n.Kind != yaml.ScalarNode {
		return bad("want a duration like 90s, 5m or 1h20m")
	}
	if secs, err := strconv.Atoi(n.Value); err == nil {
		if secs < 0 || secs > maxDurationSeconds {
			return bad("%d seconds is out of range", secs)
		}
		*d = Duration(time.Duration(secs) * time.Second)
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return bad("%q is not a duration like 90s, 5m or 1h20m", n.Value)
	}
	if v < 0 {
		return bad("%q is negative", n.Value)
	}
	*d = Duration(v)
	return nil
}

// maxDurationSeconds keeps whole seconds from overflowing time.Duration.
const maxDurationSeconds = 1 << 32

// MarshalYAML writes the duration in Go's notation.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// ValidName reports whether s can name a lab, VM, network, trigger or inject:
// lowercase letters, digits and inner dashes, at most 40 characters.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// VM returns the lab's VM called name.
func (l *Lab) VM(name string) (*VM, bool) {
	for i := range l.VMs {
		if l.VMs[i].Name == name {
			return &l.VMs[i], true
		}
	}
	return nil, false
}

// VMNames lists the lab's VMs in the order they are defined.
func (l *Lab) VMNames() []string {
	names := make([]string, len(l.VMs))
	for i, v := range l.VMs {
		names[i] = v.Name
	}
	return names
}

func (l *Lab) applyDefaults() {
	for i := range l.VMs {
		v := &l.VMs[i]
		if v.Memory == 0 {
			v.Memory = 1024
		}
		if v.CPUs == 0 {
			v.CPUs = 1
		}
		if v.Image == "" {
			v.Image = "debian-12"
		}
		for j := range v.Provision {
			if pp := v.Provision[j].Puppet; pp != nil {
				pp.kitDefaults()
			}
		}
	}
	for i := range l.Probes {
		p := &l.Probes[i]
		if p.Samples == 0 {
			p.Samples = 1
		}
		if p.Interval == 0 {
			p.Interval = Duration(2 * time.Second)
		}
		p.applyDefaults()
	}
	l.fillClientDefaults()
}

// String names the lab for messages.
func (l *Lab) String() string {
	if l.Title == "" {
		return l.Name
	}
	return fmt.Sprintf("%s (%s)", l.Name, strings.TrimSpace(l.Title))
}

// ParseMode reads a file mode written in octal, such as "0644" or "755".
func ParseMode(s string) (uint32, error) {
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("%q is not an octal file mode like 0644", s)
	}
	return uint32(m), nil
}
