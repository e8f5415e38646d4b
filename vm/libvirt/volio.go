package libvirt

import (
	"bytes"
	"fmt"
	"io"
	"os"

	golibvirt "github.com/digitalocean/go-libvirt"
)

// Small reads and writes of pool volumes (save-file headers, console
// tails). go-libvirt's streams can deadlock when a stream's last packet
// races its caller's return (digitalocean/go-libvirt#241; seen here as a
// standby preparation hung in its second header download, holding the
// instance's lock, and as a remote host's golden store hung in a full
// test run). So they go through the pool's files wherever vlab reaches
// them (this machine; a remote host over SFTP, poolfiles.go), and through
// libvirtd's streams only where it does not.

// readVol returns n bytes of volume vol from off.
func (d *Driver) readVol(vol golibvirt.StorageVol, off, n uint64) ([]byte, error) {
	if d.files != nil {
		f, err := d.files.Open(d.path(vol.Name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b := make([]byte, n)
		m, err := f.ReadAt(b, int64(off))
		if err == io.EOF {
			err = nil
		}
		return b[:m], err
	}
	var buf bytes.Buffer
	if err := d.l.StorageVolDownload(vol, &buf, off, n, 0); err != nil {
		return nil, translate(err)
	}
	// go-libvirt ends a stream at the first empty packet; a short read
	// must not pass for a file's content (a save-file header cut short
	// read as "not a complete libvirt QEMU save file").
	if _, size, _, err := d.l.StorageVolGetInfo(vol); err == nil && off+n <= size && uint64(buf.Len()) < n {
		return nil, fmt.Errorf("volume %s: read %d of %d bytes at %d; try again", vol.Name, buf.Len(), n, off)
	}
	return buf.Bytes(), nil
}

// writeVolHead overwrites the start of volume vol with data.
func (d *Driver) writeVolHead(vol golibvirt.StorageVol, data []byte) error {
	if d.files != nil {
		return d.writeHead(vol.Name, data)
	}
	if err := d.l.StorageVolUpload(vol, bytes.NewReader(data), 0, uint64(len(data)), 0); err != nil {
		return fmt.Errorf("%w", translate(err))
	}
	return nil
}

// writeHead overwrites the start of the pool's file name with data.
func (d *Driver) writeHead(name string, data []byte) error {
	f, err := d.files.OpenFile(d.path(name), os.O_WRONLY)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
