package libvirt

import (
	"context"
	"fmt"
)

// allCells asks NodeGetMemoryStats for the whole host rather than one NUMA
// cell (VIR_NODE_MEMORY_STATS_ALL_CELLS).
const allCells = -1

// AvailableMemory is the VM host's free memory with its buffers and page
// cache, from libvirtd's node statistics (in KiB there): what the kernel
// could give new VMs now. It is the same on a remote host as here.
func (d *Driver) AvailableMemory(ctx context.Context) (uint64, error) {
	_, n, err := d.l.NodeGetMemoryStats(0, allCells, 0)
	if err != nil {
		return 0, fmt.Errorf("memory of the VM host: %w", translate(err))
	}
	stats, _, err := d.l.NodeGetMemoryStats(n, allCells, 0)
	if err != nil {
		return 0, fmt.Errorf("memory of the VM host: %w", translate(err))
	}
	var kib uint64
	seen := false
	for _, s := range stats {
		switch s.Field {
		case "free", "buffers", "cached":
			kib += s.Value
			seen = seen || s.Field == "free"
		}
	}
	if !seen {
		return 0, fmt.Errorf("memory of the VM host: libvirtd reported no free memory among %d statistics", len(stats))
	}
	return kib * 1024, nil
}
