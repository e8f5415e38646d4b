package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/cmdrun"
)

// DiskInfo is what `qemu-img info` says about a qcow2 disk.
type DiskInfo struct {
	Format      string `json:"format"`
	VirtualSize uint64 `json:"virtual-size"`
	Backing     string `json:"backing-filename"`
	FullBacking string `json:"full-backing-filename"`
	Specific    struct {
		Data struct {
			DataFile string `json:"data-file"`
		} `json:"data"`
	} `json:"format-specific"`
}

// CheckDisk reads path as a qcow2 image with `qemu-img info` and refuses
// one that makes QEMU read another file: a backing file (which could be
// any host file, /etc/shadow included) or an external data file. The
// format is always given to qemu-img, never probed.
func CheckDisk(ctx context.Context, path string) (*DiskInfo, error) {
	if err := qcow2Magic(path); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path) // never a "json:" or "file:" pseudo-name
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "qemu-img", "info", "--output=json", "-f", "qcow2", abs)
	out, err := cmdrun.Output(ctx, cmd, nil)
	if ce := (*cmdrun.Error)(nil); errors.As(err, &ce) {
		ce.Cmd = "qemu-img info" // the disk is named once, in front
	}
	if err := toolError(ctx, err, "qemu-img", "apt-get install qemu-utils"); err != nil {
		return nil, fmt.Errorf("disk image %s: %w", path, err)
	}
	var info DiskInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("disk image %s: qemu-img info: %w", path, err)
	}
	switch {
	case info.Format != "qcow2":
		return nil, fmt.Errorf("disk image %s is %q, not qcow2; convert it with `qemu-img convert -O qcow2`", path, info.Format)
	case info.Backing != "" || info.FullBacking != "":
		return nil, fmt.Errorf("disk image %s has a backing file (%q); vlab takes standalone disks only: flatten it with `qemu-img convert -O qcow2`", path, strings.TrimSpace(info.Backing+" "+info.FullBacking))
	case info.Specific.Data.DataFile != "":
		return nil, fmt.Errorf("disk image %s keeps its data in another file (%q); vlab takes standalone disks only: flatten it with `qemu-img convert -O qcow2`", path, info.Specific.Data.DataFile)
	}
	return &info, nil
}
