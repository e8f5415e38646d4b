package classroom

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// QEMUOverheadMiB is what one QEMU process is counted to hold beyond its
// guest's memory: its code and libraries, the device models and, under
// TCG, the cache of translated guest code. It is an estimate, not a
// measurement; scripts/bench-class prints the resident memory of each
// instance's QEMUs to compare it with on a given host.
const QEMUOverheadMiB = 128

// SharerMiB is what an instance's background processes hold with
// standbys: two `vlab standby` processes, each serving the warm-up's
// logins of one domain of each pair (measured: 23 MB resident each).
const SharerMiB = 2 * 24

// HostReserveMiB is kept out of the host's available memory for what else
// runs there during a class: libvirtd, sshd and the trainees' sessions,
// vlab itself, the page cache the restores read through.
const HostReserveMiB = 512

// Room is what the capacity check weighs: the instances asked for, what
// one needs, and what the host has now.
type Room struct {
	// Trainees is the number of instances to start.
	Trainees int
	// VMMiB is the memory of each of the lab's VMs.
	VMMiB []int
	// Standby counts each VM twice: a paused standby holds all its memory.
	Standby bool
	// AvailableMiB is the host's MemAvailable, which already holds what
	// KSM freed for the instances running now.
	AvailableMiB int64
	// KSMSavedMiB is what KSM saves now (pages_sharing), zero when KSM
	// does not run; Running is the number of instances running on the
	// host, among which that saving is measured.
	KSMSavedMiB int64
	Running     int
}

// Fit is the capacity check's answer.
type Fit struct {
	// PerInstanceMiB is what one instance needs before KSM; SavedMiB what
	// KSM is counted to save on each new one.
	PerInstanceMiB int64
	SavedMiB       int64
	// NeedMiB is what the room needs; HaveMiB what the host can give.
	NeedMiB int64
	HaveMiB int64
	// Fits is how many instances fit, FitsNoStandby how many would
	// without standbys.
	Fits          int
	FitsNoStandby int
}

// OK tells whether the whole room fits.
func (f Fit) OK(r Room) bool { return f.Fits >= r.Trainees }

// perInstance is one instance's memory in MiB: each VM's memory, twice
// with standbys, a QEMU's overhead for each of its QEMU processes, and
// with standbys the processes that share their logins.
func perInstance(vms []int, standby bool) int64 {
	copies := int64(1)
	if standby {
		copies = 2
	}
	var sum int64
	for _, m := range vms {
		sum += copies * (int64(m) + QEMUOverheadMiB)
	}
	if standby {
		sum += SharerMiB
	}
	return sum
}

// savedPerInstance is what KSM is counted to save on each new instance:
// what it saves now, shared out among the instances running now (a new
// instance of the same lab shares at least as much with them), never more
// than half of one instance's need. Nothing is counted when nothing runs:
// a saving not measured is not counted.
func savedPerInstance(r Room, need int64) int64 {
	if r.Running <= 0 || r.KSMSavedMiB <= 0 {
		return 0
	}
	return min(r.KSMSavedMiB/int64(r.Running), need/2)
}

// fits is how many instances of need MiB, each saving saved, fit in have.
func fits(have, need, saved int64) int {
	if need-saved <= 0 || have <= 0 {
		return 0
	}
	return int(have / (need - saved))
}

// Plan weighs the room against the host.
func Plan(r Room) Fit {
	f := Fit{PerInstanceMiB: perInstance(r.VMMiB, r.Standby)}
	f.SavedMiB = savedPerInstance(r, f.PerInstanceMiB)
	f.NeedMiB = int64(r.Trainees) * (f.PerInstanceMiB - f.SavedMiB)
	f.HaveMiB = max(0, r.AvailableMiB-HostReserveMiB)
	f.Fits = fits(f.HaveMiB, f.PerInstanceMiB, f.SavedMiB)
	// Without standbys a new instance holds less for KSM to merge: its
	// saving is counted in proportion.
	lean := perInstance(r.VMMiB, false)
	leanSaved := f.SavedMiB
	if f.PerInstanceMiB > 0 {
		leanSaved = f.SavedMiB * lean / f.PerInstanceMiB
	}
	f.FitsNoStandby = fits(f.HaveMiB, lean, leanSaved)
	return f
}

// Refusal is the one line that says the room does not fit and how many
// would; empty when it fits.
func (f Fit) Refusal(r Room) string {
	if f.OK(r) {
		return ""
	}
	msg := fmt.Sprintf("a room of %d needs ~%s, the host has %s available: %s fit", r.Trainees,
		gib(f.NeedMiB), gib(f.HaveMiB), termtext.Count(f.Fits, "trainee"))
	if f.SavedMiB > 0 {
		msg += fmt.Sprintf(" (KSM counted as measured: ~%d MiB saved per instance)", f.SavedMiB)
	}
	if r.Standby && f.FitsNoStandby > f.Fits {
		msg += fmt.Sprintf("; use `vlab --standby=false class up` to fit ~%d", f.FitsNoStandby)
	}
	return msg
}

func gib(mib int64) string { return fmt.Sprintf("%.1f GiB", float64(mib)/1024) }

// HostMemory is what the host has now, read from the kernel.
type HostMemory struct {
	AvailableMiB int64
	// KSMSavedMiB is zero when KSM is off or missing.
	KSMSavedMiB int64
}

// ReadHost reads MemAvailable from meminfo (/proc/meminfo) and, when KSM
// runs, what it saves now from ksmDir (/sys/kernel/mm/ksm): pages_sharing
// pages, each a page another process no longer holds.
func ReadHost(meminfo, ksmDir string) (HostMemory, error) {
	b, err := os.ReadFile(meminfo)
	if err != nil {
		return HostMemory{}, fmt.Errorf("read the host's free memory: %w; --force skips the capacity check", err)
	}
	var h HostMemory
	if h.AvailableMiB, err = memAvailable(b); err != nil {
		return HostMemory{}, fmt.Errorf("%s: %w; --force skips the capacity check", meminfo, err)
	}
	if run, err := os.ReadFile(filepath.Join(ksmDir, "run")); err != nil || strings.TrimSpace(string(run)) != "1" {
		return h, nil // off or missing: nothing saved that new instances would get
	}
	sharing, err := os.ReadFile(filepath.Join(ksmDir, "pages_sharing"))
	if err != nil {
		return h, nil
	}
	pages, err := strconv.ParseInt(strings.TrimSpace(string(sharing)), 10, 64)
	if err == nil && pages > 0 {
		h.KSMSavedMiB = pages * int64(os.Getpagesize()) >> 20
	}
	return h, nil
}

// memAvailable finds "MemAvailable: N kB" in the text of /proc/meminfo.
func memAvailable(b []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("MemAvailable %q: %w", f[1], err)
			}
			return kb >> 10, nil
		}
	}
	return 0, errors.New("no MemAvailable line (Linux 3.14 or later has one)")
}
