package classroom

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	for _, tt := range []struct {
		name string
		room Room
		// per instance, saved per instance, need, fits, fits without standbys
		per, saved, need int64
		fits, lean       int
		refusal          string // empty: the room fits
	}{
		{name: "hello with standbys fits",
			room: Room{Trainees: 3, VMMiB: []int{512}, Standby: true, AvailableMiB: 8192},
			per:  2*(512+128) + SharerMiB, need: 3 * 1328, fits: (8192 - 512) / 1328, lean: (8192 - 512) / 640},
		{name: "without standbys each VM counts once",
			room: Room{Trainees: 3, VMMiB: []int{512, 256}, AvailableMiB: 4096},
			per:  640 + 384, need: 3 * 1024, fits: 3, lean: 3},
		{name: "too small a host says how many fit and what standby=false gives",
			room: Room{Trainees: 15, VMMiB: []int{1024}, Standby: true, AvailableMiB: 16384},
			per:  2*1152 + SharerMiB, need: 15 * 2352, fits: 6, lean: 13,
			refusal: "a room of 15 needs ~34.5 GiB, the host has 15.5 GiB available: 6 trainees fit; use `vlab --standby=false class up` to fit ~13"},
		{name: "KSM measured on running instances counts for new ones",
			room: Room{Trainees: 10, VMMiB: []int{1024}, Standby: true, AvailableMiB: 16384, KSMSavedMiB: 1000, Running: 2},
			per:  2352, saved: 500, need: 10 * 1852, fits: 8, lean: 17,
			refusal: "a room of 10 needs ~18.1 GiB, the host has 15.5 GiB available: 8 trainees fit (KSM counted as measured: ~500 MiB saved per instance); use `vlab --standby=false class up` to fit ~17"},
		{name: "KSM saving with nothing running is not counted",
			room: Room{Trainees: 1, VMMiB: []int{512}, AvailableMiB: 1000, KSMSavedMiB: 4000},
			per:  640, need: 640, fits: 0, lean: 0,
			refusal: "a room of 1 needs ~0.6 GiB, the host has 0.5 GiB available: 0 trainees fit"},
		{name: "KSM never counted above half an instance",
			room: Room{Trainees: 4, VMMiB: []int{512}, AvailableMiB: 512 + 1280, KSMSavedMiB: 1 << 20, Running: 1},
			per:  640, saved: 320, need: 4 * 320, fits: 4, lean: 4},
		{name: "a host below its reserve fits none",
			room: Room{Trainees: 2, VMMiB: []int{256}, AvailableMiB: 300},
			per:  384, need: 768, fits: 0, lean: 0,
			refusal: "a room of 2 needs ~0.8 GiB, the host has 0.0 GiB available: 0 trainees fit"},
		{name: "one fits",
			room: Room{Trainees: 2, VMMiB: []int{512}, Standby: true, AvailableMiB: 512 + 1350},
			per:  1328, need: 2656, fits: 1, lean: 2,
			refusal: "a room of 2 needs ~2.6 GiB, the host has 1.3 GiB available: 1 trainee fit; use `vlab --standby=false class up` to fit ~2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := Plan(tt.room)
			if f.PerInstanceMiB != tt.per || f.SavedMiB != tt.saved || f.NeedMiB != tt.need || f.Fits != tt.fits || f.FitsNoStandby != tt.lean {
				t.Errorf("Plan = %+v, want per %d saved %d need %d fits %d lean %d", f, tt.per, tt.saved, tt.need, tt.fits, tt.lean)
			}
			if got := f.Refusal(tt.room); got != tt.refusal {
				t.Errorf("Refusal =\n  %q\nwant\n  %q", got, tt.refusal)
			}
		})
	}
}

func TestReadHost(t *testing.T) {
	dir := t.TempDir()
	meminfo := filepath.Join(dir, "meminfo")
	os.WriteFile(meminfo, []byte("MemTotal:       16384000 kB\nMemFree:  100 kB\nMemAvailable:    8388608 kB\n"), 0o644)
	ksm := filepath.Join(dir, "ksm")
	os.Mkdir(ksm, 0o755)
	pages := int64(1<<30) / int64(os.Getpagesize()) // 1 GiB shared
	os.WriteFile(filepath.Join(ksm, "pages_sharing"), []byte(strconv.FormatInt(pages, 10)+"\n"), 0o644)

	os.WriteFile(filepath.Join(ksm, "run"), []byte("0\n"), 0o644)
	h, err := ReadHost(meminfo, ksm)
	if err != nil || h.AvailableMiB != 8192 || h.KSMSavedMiB != 0 {
		t.Errorf("KSM off: %+v, %v; want 8192 MiB available and no saving counted", h, err)
	}
	os.WriteFile(filepath.Join(ksm, "run"), []byte("1\n"), 0o644)
	if h, err = ReadHost(meminfo, ksm); err != nil || h.KSMSavedMiB != 1024 {
		t.Errorf("KSM on: %+v, %v; want 1024 MiB saved", h, err)
	}
	if h, err = ReadHost(meminfo, filepath.Join(dir, "no-ksm")); err != nil || h.KSMSavedMiB != 0 {
		t.Errorf("no KSM: %+v, %v", h, err)
	}
	os.WriteFile(meminfo, []byte("MemTotal: 1 kB\n"), 0o644)
	if _, err := ReadHost(meminfo, ksm); err == nil || !strings.Contains(err.Error(), "no MemAvailable") {
		t.Errorf("meminfo without MemAvailable: %v", err)
	}
}
