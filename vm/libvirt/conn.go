// Package libvirt drives VMs through libvirtd's RPC protocol with go-libvirt
// (no cgo). Base images are uploaded into a storage pool, each VM runs on a
// qcow2 overlay, and golden states are memory save files restored onto fresh
// overlays, so everything works the same on a remote libvirt host.
package libvirt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/vm"
	"golang.org/x/sys/unix"
)

// api lists the go-libvirt calls this package makes; *golibvirt.Libvirt
// satisfies it and tests use a fake.
type api interface {
	ConnectGetVersion() (uint64, error)
	NodeGetMemoryStats(nparams int32, cellNum int32, flags uint32) ([]golibvirt.NodeGetMemoryStats, int32, error)
	ConnectGetDomainCapabilities(emulatorbin, arch, machine, virttype golibvirt.OptString, flags golibvirt.ConnectGetDomainCapabilitiesFlags) (string, error)
	Disconnect() error
	DomainLookupByName(name string) (golibvirt.Domain, error)
	DomainDefineXMLFlags(xml string, flags golibvirt.DomainDefineFlags) (golibvirt.Domain, error)
	DomainCreateWithFlags(d golibvirt.Domain, flags uint32) (golibvirt.Domain, error)
	DomainGetState(d golibvirt.Domain, flags uint32) (int32, int32, error)
	DomainGetXMLDesc(d golibvirt.Domain, flags golibvirt.DomainXMLFlags) (string, error)
	DomainSuspend(d golibvirt.Domain) error
	DomainUpdateDeviceFlags(d golibvirt.Domain, xml string, flags golibvirt.DomainDeviceModifyFlags) error
	QEMUDomainAgentCommand(d golibvirt.Domain, cmd string, timeout int32, flags uint32) (golibvirt.OptString, error)
	DomainResume(d golibvirt.Domain) error
	QEMUDomainMonitorCommand(d golibvirt.Domain, cmd string, flags uint32) (string, error)
	DomainShutdownFlags(d golibvirt.Domain, flags golibvirt.DomainShutdownFlagValues) error
	DomainDestroyFlags(d golibvirt.Domain, flags golibvirt.DomainDestroyFlagsValues) error
	DomainUndefineFlags(d golibvirt.Domain, flags golibvirt.DomainUndefineFlagsValues) error
	DomainSaveFlags(d golibvirt.Domain, to string, dxml golibvirt.OptString, flags uint32) error
	DomainRestoreFlags(from string, dxml golibvirt.OptString, flags uint32) error
	DomainSaveImageGetXMLDesc(file string, flags uint32) (string, error)
	DomainSnapshotCreateXML(d golibvirt.Domain, xml string, flags uint32) (golibvirt.DomainSnapshot, error)
	DomainSnapshotLookupByName(d golibvirt.Domain, name string, flags uint32) (golibvirt.DomainSnapshot, error)
	DomainRevertToSnapshot(s golibvirt.DomainSnapshot, flags uint32) error
	DomainSnapshotDelete(s golibvirt.DomainSnapshot, flags golibvirt.DomainSnapshotDeleteFlags) error
	StoragePoolLookupByName(name string) (golibvirt.StoragePool, error)
	StoragePoolDefineXML(xml string, flags uint32) (golibvirt.StoragePool, error)
	StoragePoolBuild(p golibvirt.StoragePool, flags golibvirt.StoragePoolBuildFlags) error
	StoragePoolCreate(p golibvirt.StoragePool, flags golibvirt.StoragePoolCreateFlags) error
	StoragePoolSetAutostart(p golibvirt.StoragePool, autostart int32) error
	StoragePoolGetXMLDesc(p golibvirt.StoragePool, flags golibvirt.StorageXMLFlags) (string, error)
	StoragePoolRefresh(p golibvirt.StoragePool, flags uint32) error
	StoragePoolListAllVolumes(p golibvirt.StoragePool, need int32, flags uint32) ([]golibvirt.StorageVol, uint32, error)
	StorageVolCreateXML(p golibvirt.StoragePool, xml string, flags golibvirt.StorageVolCreateFlags) (golibvirt.StorageVol, error)
	StorageVolCreateXMLFrom(p golibvirt.StoragePool, xml string, clone golibvirt.StorageVol, flags golibvirt.StorageVolCreateFlags) (golibvirt.StorageVol, error)
	StorageVolLookupByName(p golibvirt.StoragePool, name string) (golibvirt.StorageVol, error)
	StorageVolGetPath(v golibvirt.StorageVol) (string, error)
	StorageVolGetInfo(v golibvirt.StorageVol) (int8, uint64, uint64, error)
	StorageVolDelete(v golibvirt.StorageVol, flags golibvirt.StorageVolDeleteFlags) error
	StorageVolUpload(v golibvirt.StorageVol, r io.Reader, offset, length uint64, flags golibvirt.StorageVolUploadFlags) error
	StorageVolDownload(v golibvirt.StorageVol, w io.Writer, offset, length uint64, flags golibvirt.StorageVolDownloadFlags) error
	NetworkLookupByName(name string) (golibvirt.Network, error)
	NetworkCreateXML(xml string) (golibvirt.Network, error)
	NetworkDestroy(n golibvirt.Network) error
	DomainSetMetadata(d golibvirt.Domain, typ int32, metadata, key, uri golibvirt.OptString, flags golibvirt.DomainModificationImpact) error
	NetworkGetXMLDesc(n golibvirt.Network, flags uint32) (string, error)
	ConnectListAllDomains(need int32, flags golibvirt.ConnectListAllDomainsFlags) ([]golibvirt.Domain, uint32, error)
	ConnectListAllNetworks(need int32, flags golibvirt.ConnectListAllNetworksFlags) ([]golibvirt.Network, uint32, error)
}

var _ api = (*golibvirt.Libvirt)(nil)

// DefaultURI is the libvirt connection vlab uses unless told otherwise.
const DefaultURI = "qemu:///system"

// Options configure a Driver.
type Options struct {
	// URI is the libvirt URI: qemu:///system, or
	// qemu+ssh://[user@]host[:port]/system for a remote libvirt host.
	URI string
	// Pool is the storage pool holding images, overlays and saved states.
	Pool string
	// PoolDir is where the pool is created if it does not exist.
	PoolDir string
	// Socket overrides the local libvirtd socket path (a URI's socket
	// parameter names the one on a remote host).
	Socket string
}

func (o *Options) fill() {
	if o.URI == "" {
		o.URI = DefaultURI
	}
	if o.Pool == "" {
		o.Pool = "vlab"
	}
	if o.PoolDir == "" {
		o.PoolDir = "/var/lib/libvirt/images/vlab"
	}
}

// Driver is the libvirt implementation of vm.Driver.
type Driver struct {
	l    api
	opt  Options
	pool golibvirt.StoragePool
	dir  string      // pool directory on the libvirt host
	ssh  *ssh.Client // the connection to a remote libvirt host, or nil
	// files reaches the pool's folder without libvirtd (poolfiles.go), or
	// is nil; local says it is this machine's, where vlab copies files
	// itself (on a remote host libvirtd copies them there).
	files poolFiles
	local bool
	sftp  *sftp.Client
	// filesWhy says why a remote host's pool files go through libvirtd.
	filesWhy string
}

var (
	_ vm.Driver     = (*Driver)(nil)
	_ vm.Clock      = (*Driver)(nil)
	_ vm.HostDialer = (*Driver)(nil)
)

// Connect dials libvirtd, on this machine or over SSH on a remote host, and
// makes sure vlab's storage pool exists.
func Connect(ctx context.Context, opt Options) (*Driver, error) {
	opt.fill()
	t, err := parseURI(opt.URI)
	if err != nil {
		return nil, err
	}
	d := &Driver{opt: opt}
	var dialer socket.Dialer
	if t.ssh == "" {
		dopts := []dialers.LocalOption{dialers.WithLocalTimeout(5 * time.Second)}
		if opt.Socket != "" {
			dopts = append(dopts, dialers.WithSocket(opt.Socket))
		} else if t.socket != "" {
			dopts = append(dopts, dialers.WithSocket(t.socket))
		}
		dialer = dialers.NewLocal(dopts...)
	} else {
		if d.ssh, err = dialHost(ctx, t); err != nil {
			return nil, fmt.Errorf("%w: %v", vm.ErrUnavailable, err)
		}
		dialer = sshSocket{c: d.ssh, path: t.socketPath()}
	}
	l := golibvirt.NewWithDialer(dialer)
	if err := l.ConnectToURI(golibvirt.QEMUSystem); err != nil {
		d.closeSSH()
		hint := "start it (`systemctl start libvirtd`, or scripts/setup-host)"
		if t.ssh != "" {
			hint = "is libvirtd running there, and may " + t.user + " use its socket?"
		}
		return nil, fmt.Errorf("%w: connect to libvirtd (%s): %v; %s", vm.ErrUnavailable, opt.URI, err, hint)
	}
	d.l = l
	if err := d.ensurePool(ctx); err != nil {
		d.Close()
		return nil, err
	}
	// The pool's files are read and written directly on this machine by
	// a user who may (root: the pool is libvirt's; a member of the
	// libvirt group goes through libvirtd), and over SFTP on a remote
	// host whose login may.
	switch {
	case t.ssh == "" && opt.Socket == "" && t.socket == "" && unix.Access(d.dir, unix.R_OK|unix.W_OK|unix.X_OK) == nil:
		d.files, d.local = localFiles{}, true
	case d.ssh != nil:
		if d.sftp, err = remoteFiles(d.ssh, d.dir); err == nil {
			d.files = sftpFiles{d.sftp}
		} else {
			d.filesWhy = err.Error()
		}
	}
	return d, nil
}

func (d *Driver) closeSSH() {
	if d.sftp != nil {
		d.sftp.Close()
	}
	if d.ssh != nil {
		d.ssh.Close()
	}
}

func newDriver(l api, opt Options) *Driver {
	opt.fill()
	return &Driver{l: l, opt: opt}
}

// Close disconnects from libvirtd.
func (d *Driver) Close() error {
	err := d.l.Disconnect()
	d.closeSSH()
	return err
}

// translate maps libvirt error codes to vm errors.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var le golibvirt.Error
	if errors.As(err, &le) {
		switch golibvirt.ErrorNumber(le.Code) {
		case golibvirt.ErrNoDomain, golibvirt.ErrNoStorageVol, golibvirt.ErrNoStoragePool,
			golibvirt.ErrNoDomainSnapshot, golibvirt.ErrNoNetwork:
			return fmt.Errorf("%w: %s", vm.ErrNotFound, oneLine(le.Message))
		case golibvirt.ErrDomExist, golibvirt.ErrStorageVolExist, golibvirt.ErrNetworkExist:
			return fmt.Errorf("%w: %s", vm.ErrExists, oneLine(le.Message))
		}
		return errors.New(oneLine(le.Message))
	}
	if errors.Is(err, golibvirt.ErrUnsupported) {
		return err
	}
	return err
}

// oneLine folds libvirt's multi-line messages (a failed child process and
// its output) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}

func notFound(err error) bool { return errors.Is(translate(err), vm.ErrNotFound) }
