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
// instance's lock). On this machine the pool is a folder vlab can read and
// write itself, so streams are used only for a remote host.

// readVol returns n bytes of volume vol from off.
func (d *Driver) readVol(vol golibvirt.StorageVol, off, n uint64) ([]byte, error) {
	if d.direct {
		f, err := os.Open(d.path(vol.Name))
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
	if d.direct {
		f, err := os.OpenFile(d.path(vol.Name), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(data, 0); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := d.l.StorageVolUpload(vol, bytes.NewReader(data), 0, uint64(len(data)), 0); err != nil {
		return fmt.Errorf("%w", translate(err))
	}
	return nil
}
