package libvirt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// fakeLibvirt is an in-memory libvirtd: domains with a state and XML, one
// pool of volumes (save files are volumes too), and networks.
type fakeLibvirt struct {
	mu       sync.Mutex
	pool     *libvirtxml.StoragePool // nil until defined
	domains  map[string]*fakeDomain
	vols     map[string]*fakeVol // by name
	networks map[string]string   // name -> XML
	uploads  []string            // volumes uploaded, in order
	startErr error               // returned by the next DomainCreateWithFlags
	// shortStreams has downloads end after their first byte, as a
	// go-libvirt stream cut short by an early empty packet does.
	shortStreams bool
}

type fakeDomain struct {
	xml string // the live definition (the persistent one when not running)
	// persistent is the defined one when the domain runs with another
	// (restored with a definition of its own); "" when they are the same.
	persistent string
	state      golibvirt.DomainState
	clock      int64 // seconds set through the guest agent
	fwd        int   // host port of the running QEMU's SSH forward, 0 for none
	// announced counts announce-self commands
	announced int
}

// defined is the domain's persistent definition.
func (d *fakeDomain) defined() string {
	if d.persistent != "" {
		return d.persistent
	}
	return d.xml
}

var fakeFwdPort = regexp.MustCompile(`hostfwd=tcp:127\.0\.0\.1:(\d+)-`)

// fwdOf is the SSH forward port in a domain XML, 0 for none.
func fwdOf(x string) int {
	m := fakeFwdPort.FindStringSubmatch(x)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// bindForward fails like QEMU when another running domain holds x's port.
func (f *fakeLibvirt) bindForward(name, x string) error {
	p := fwdOf(x)
	for n, d := range f.domains {
		if p != 0 && n != name && d.fwd == p && d.state != golibvirt.DomainShutoff {
			return lverr(golibvirt.ErrInternalError, "internal error: process exited while connecting to monitor: Could not set up host forwarding rule 'tcp:127.0.0.1:%d-:22'", p)
		}
	}
	return nil
}

// QEMUDomainMonitorCommand knows the two HMP commands that move a port
// forward, and answers as QEMU does.
func (f *fakeLibvirt) QEMUDomainMonitorCommand(d golibvirt.Domain, cmd string, flags uint32) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return "", err
	}
	if flags == 0 && strings.Contains(cmd, `"announce-self"`) {
		x.announced++
		return `{"return":{}}`, nil
	}
	if flags != 1 {
		return "", lverr(golibvirt.ErrInternalError, "fake monitor: unknown QMP command %s", cmd)
	}
	if x.state != golibvirt.DomainRunning && x.state != golibvirt.DomainPaused {
		return "", lverr(golibvirt.ErrOperationInvalid, "Requested operation is not valid: domain is not running")
	}
	var port int
	switch {
	case strings.HasPrefix(cmd, "hostfwd_remove vlabssh tcp:127.0.0.1:"):
		fmt.Sscanf(cmd, "hostfwd_remove vlabssh tcp:127.0.0.1:%d", &port)
		if x.fwd != port {
			return fmt.Sprintf("host forwarding rule for tcp:127.0.0.1:%d not found\r\n", port), nil
		}
		x.fwd = 0
		return fmt.Sprintf("host forwarding rule for tcp:127.0.0.1:%d removed\r\n", port), nil
	case strings.HasPrefix(cmd, "hostfwd_add vlabssh tcp:127.0.0.1:"):
		fmt.Sscanf(cmd, "hostfwd_add vlabssh tcp:127.0.0.1:%d-:22", &port)
		if err := f.bindForward(d.Name, fmt.Sprintf("hostfwd=tcp:127.0.0.1:%d-", port)); err != nil || x.fwd != 0 {
			return fmt.Sprintf("Could not set up host forwarding rule 'tcp:127.0.0.1:%d-:22'\r\n", port), nil
		}
		x.fwd = port
		return "", nil
	}
	return "", lverr(golibvirt.ErrInternalError, "fake monitor does not know %q", cmd)
}

type fakeVol struct {
	path, format, backing string
	capacity              uint64
	data                  []byte
}

// fakeSave is a save file laid out as libvirt writes one: header, domain
// XML, cookie, padding, then a stand-in for QEMU's stream.
func fakeSave(xml string) []byte {
	const dataLen = 8192
	b := make([]byte, saveHeaderLen+dataLen)
	copy(b, saveMagic)
	binary.LittleEndian.PutUint32(b[16:], 2)
	binary.LittleEndian.PutUint32(b[20:], dataLen)
	binary.LittleEndian.PutUint32(b[24:], 1)
	binary.LittleEndian.PutUint32(b[32:], uint32(len(xml)+1))
	copy(b[saveHeaderLen:], xml)
	copy(b[saveHeaderLen+len(xml)+1:], "<cookie/>")
	return append(b, "QEVM-stream"...)
}

// saved is the domain XML recorded in a save file, "" if it is none.
func (v *fakeVol) saved() string {
	h, err := parseSaveHeader(v.data)
	if err != nil || len(v.data) < saveHeaderLen+int(h.dataLen) || !bytes.HasSuffix(v.data, []byte("QEVM-stream")) {
		return ""
	}
	data := v.data[saveHeaderLen:]
	return string(data[:bytes.IndexByte(data, 0)])
}

var _ api = (*fakeLibvirt)(nil)

func newFake() *fakeLibvirt {
	return &fakeLibvirt{domains: map[string]*fakeDomain{}, vols: map[string]*fakeVol{}, networks: map[string]string{}}
}

func lverr(code golibvirt.ErrorNumber, format string, args ...any) error {
	return golibvirt.Error{Code: uint32(code), Message: fmt.Sprintf(format, args...)}
}

func (f *fakeLibvirt) ConnectGetVersion() (uint64, error) { return 10_000_000, nil }
func (f *fakeLibvirt) Disconnect() error                  { return nil }
func (f *fakeLibvirt) ConnectGetDomainCapabilities(_, _, _, virt golibvirt.OptString, _ golibvirt.ConnectGetDomainCapabilitiesFlags) (string, error) {
	if len(virt) == 1 && virt[0] == "kvm" {
		return "", lverr(golibvirt.ErrOperationInvalid, "invalid argument: KVM is not supported by '/usr/bin/qemu-system-x86_64' on this host")
	}
	return "<domainCapabilities/>", nil
}

func (f *fakeLibvirt) DomainLookupByName(name string) (golibvirt.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.domains[name] == nil {
		return golibvirt.Domain{}, lverr(golibvirt.ErrNoDomain, "Domain not found: no domain with matching name '%s'", name)
	}
	return golibvirt.Domain{Name: name}, nil
}

func (f *fakeLibvirt) dom(d golibvirt.Domain) (*fakeDomain, error) {
	if x := f.domains[d.Name]; x != nil {
		return x, nil
	}
	return nil, lverr(golibvirt.ErrNoDomain, "Domain not found: %s", d.Name)
}

// checkDisk fails like QEMU when a domain's disk is not in the pool.
func (f *fakeLibvirt) checkDisk(x string) (string, error) {
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return "", lverr(golibvirt.ErrXMLError, "%v", err)
	}
	if disk := diskOf(&dom); f.byPath(disk) == nil {
		return "", lverr(golibvirt.ErrOperationFailed, "Cannot access storage file '%s'", disk)
	}
	return dom.Name, nil
}

func (f *fakeLibvirt) DomainDefineXMLFlags(x string, _ golibvirt.DomainDefineFlags) (golibvirt.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return golibvirt.Domain{}, lverr(golibvirt.ErrXMLError, "%v", err)
	}
	if d := f.domains[dom.Name]; d != nil {
		d.xml, d.persistent = x, ""
	} else {
		f.domains[dom.Name] = &fakeDomain{xml: x, state: golibvirt.DomainShutoff}
	}
	return golibvirt.Domain{Name: dom.Name}, nil
}

func (f *fakeLibvirt) DomainCreateWithFlags(d golibvirt.Domain, _ uint32) (golibvirt.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return d, err
	}
	if err, f.startErr = f.startErr, nil; err != nil {
		return d, err
	}
	if x.state == golibvirt.DomainRunning {
		return d, lverr(golibvirt.ErrOperationInvalid, "Requested operation is not valid: domain is already running")
	}
	if _, err := f.checkDisk(x.xml); err != nil {
		return d, err
	}
	if err := f.bindForward(d.Name, x.xml); err != nil {
		return d, err
	}
	x.state, x.fwd = golibvirt.DomainRunning, fwdOf(x.xml)
	return d, nil
}

func (f *fakeLibvirt) DomainGetState(d golibvirt.Domain, _ uint32) (int32, int32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return 0, 0, err
	}
	return int32(x.state), 0, nil
}

func (f *fakeLibvirt) DomainGetXMLDesc(d golibvirt.Domain, flags golibvirt.DomainXMLFlags) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return "", err
	}
	if flags&golibvirt.DomainXMLInactive != 0 && x.persistent != "" {
		return x.persistent, nil
	}
	return x.xml, nil
}

// setState moves a domain from one of states to to; others fail.
func (f *fakeLibvirt) setState(d golibvirt.Domain, to golibvirt.DomainState, from ...golibvirt.DomainState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return err
	}
	for _, s := range from {
		if x.state == s {
			x.state = to
			if to == golibvirt.DomainShutoff {
				x.fwd = 0
			}
			return nil
		}
	}
	return lverr(golibvirt.ErrOperationInvalid, "Requested operation is not valid: domain is not running")
}

// QEMUDomainAgentCommand is a guest agent that sets its clock
// (guest-set-time, or running `date -u -s @T`) and reports it exited; it needs a running domain with
// the agent's channel.
func (f *fakeLibvirt) QEMUDomainAgentCommand(d golibvirt.Domain, cmd string, _ int32, _ uint32) (golibvirt.OptString, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return nil, err
	}
	if x.state != golibvirt.DomainRunning {
		return nil, lverr(golibvirt.ErrOperationInvalid, "Requested operation is not valid: domain is not running")
	}
	if !strings.Contains(x.xml, agentChannel) {
		return nil, lverr(golibvirt.ErrAgentUnresponsive, "Guest agent is not responding: QEMU guest agent is not connected")
	}
	var c struct {
		Execute   string `json:"execute"`
		Arguments struct {
			Path string   `json:"path"`
			Arg  []string `json:"arg"`
			PID  int      `json:"pid"`
			Time int64    `json:"time"`
		} `json:"arguments"`
	}
	if err := json.Unmarshal([]byte(cmd), &c); err != nil {
		return nil, lverr(golibvirt.ErrInternalError, "bad agent command %q", cmd)
	}
	switch c.Execute {
	case "guest-exec":
		a := c.Arguments.Arg
		if c.Arguments.Path != "/bin/date" || len(a) != 3 || a[0] != "-u" || a[1] != "-s" || !strings.HasPrefix(a[2], "@") {
			return nil, lverr(golibvirt.ErrInternalError, "fake agent runs only date -u -s @T, got %q", cmd)
		}
		sec, err := strconv.ParseFloat(a[2][1:], 64)
		if err != nil {
			return nil, lverr(golibvirt.ErrInternalError, "date: invalid date %q", a[2])
		}
		x.clock = int64(sec)
		return golibvirt.OptString{`{"return":{"pid":42}}`}, nil
	case "guest-set-time":
		x.clock = c.Arguments.Time / 1e9
		return golibvirt.OptString{`{"return":{}}`}, nil
	case "guest-exec-status":
		if c.Arguments.PID != 42 {
			return nil, lverr(golibvirt.ErrInternalError, "Invalid parameter 'pid'")
		}
		return golibvirt.OptString{`{"return":{"exited":true,"exitcode":0}}`}, nil
	}
	return nil, lverr(golibvirt.ErrInternalError, "The command %s has not been found", c.Execute)
}

func (f *fakeLibvirt) DomainSuspend(d golibvirt.Domain) error {
	return f.setState(d, golibvirt.DomainPaused, golibvirt.DomainRunning)
}

func (f *fakeLibvirt) DomainUpdateDeviceFlags(d golibvirt.Domain, _ string, _ golibvirt.DomainDeviceModifyFlags) error {
	return nil
}

func (f *fakeLibvirt) DomainResume(d golibvirt.Domain) error {
	return f.setState(d, golibvirt.DomainRunning, golibvirt.DomainPaused)
}

func (f *fakeLibvirt) DomainShutdownFlags(d golibvirt.Domain, _ golibvirt.DomainShutdownFlagValues) error {
	return f.setState(d, golibvirt.DomainShutoff, golibvirt.DomainRunning)
}

func (f *fakeLibvirt) DomainDestroyFlags(d golibvirt.Domain, _ golibvirt.DomainDestroyFlagsValues) error {
	return f.setState(d, golibvirt.DomainShutoff, golibvirt.DomainRunning, golibvirt.DomainPaused)
}

func (f *fakeLibvirt) DomainUndefineFlags(d golibvirt.Domain, _ golibvirt.DomainUndefineFlagsValues) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.dom(d); err != nil {
		return err
	}
	delete(f.domains, d.Name)
	return nil
}

// checkConsistent fails the test when a volume's backing file or a
// defined domain's disk is gone: what a real host could no longer boot.
func (f *fakeLibvirt) checkConsistent(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.volNames() {
		v := f.vols[n]
		if v.backing != "" && f.byPath(v.backing) == nil {
			t.Errorf("volume %s is backed by %s, which is gone", n, v.backing)
		}
		if v.saved() != "" {
			if _, err := f.checkDisk(v.saved()); err != nil {
				t.Errorf("save file %s: %v", n, err)
			}
		}
	}
	for name, d := range f.domains {
		if _, err := f.checkDisk(d.xml); err != nil {
			t.Errorf("domain %s: %v", name, err)
		}
	}
}

// volsWithPrefix lists volume names starting with prefix.
func (f *fakeLibvirt) volsWithPrefix(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.volNames() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
