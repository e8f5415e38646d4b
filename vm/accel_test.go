package vm

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeQEMU writes a script standing in for qemu-system-x86_64.
func fakeQEMU(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qemu")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAccelProbe(t *testing.T) {
	t.Setenv("VLAB_ACCEL", "")
	dev := filepath.Join(t.TempDir(), "kvm")
	os.WriteFile(dev, nil, 0o666)
	kernel := filepath.Join(t.TempDir(), "vmlinuz")
	os.WriteFile(kernel, []byte("k"), 0o644)
	for _, tt := range []struct {
		name, qemu, dev, kernel string
		want                    Accel
	}{
		{"guest boots", "echo 'Linux version 6.1'; sleep 30", dev, kernel, AccelKVM},
		{"guest hangs", "sleep 30", dev, kernel, AccelTCG},
		{"qemu fails", "echo 'kvm: no' >&2; exit 1", dev, kernel, AccelTCG},
		{"no device", "echo 'Linux version'", filepath.Join(t.TempDir(), "none"), kernel, AccelTCG},
		{"no kernel", "echo 'Linux version'", dev, "", AccelTCG},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := AccelProbe{QEMU: fakeQEMU(t, tt.qemu), Kernel: tt.kernel, Device: tt.dev, Timeout: time.Second}
			start := time.Now()
			r, err := p.Detect(context.Background())
			if err != nil || r.Accel != tt.want {
				t.Errorf("Detect = %+v, %v; want %s", r, err, tt.want)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("probe took %s, want it bounded by its timeout", d)
			}
		})
	}
}

func TestAccelProbeOverrideAndCache(t *testing.T) {
	t.Setenv("VLAB_ACCEL", "kvm")
	if r, err := (AccelProbe{}).Detect(context.Background()); err != nil || r.Accel != AccelKVM {
		t.Errorf("VLAB_ACCEL=kvm: %+v, %v", r, err)
	}
	t.Setenv("VLAB_ACCEL", "fast")
	if _, err := (AccelProbe{}).Detect(context.Background()); err == nil {
		t.Error("VLAB_ACCEL=fast accepted")
	}
	t.Setenv("VLAB_ACCEL", "")
	cache := filepath.Join(t.TempDir(), "accel.json")
	p := AccelProbe{QEMU: fakeQEMU(t, "exit 1"), Device: filepath.Join(t.TempDir(), "none"), CacheFile: cache}
	first, _ := p.Detect(context.Background())
	p.Device = "" // a second probe would now look at the real device: the cache must answer
	second, _ := p.Detect(context.Background())
	if second.Reason != first.Reason {
		t.Errorf("cached verdict %+v, first %+v", second, first)
	}
}

// TestAccelProbeNoKernelNotKept: a verdict made before any image was
// built (no kernel to boot) is not kept: once a kernel is there, the next
// command probes for real. A first `vlab doctor` kept TCG for good.
func TestAccelProbeNoKernelNotKept(t *testing.T) {
	t.Setenv("VLAB_ACCEL", "")
	dev := filepath.Join(t.TempDir(), "kvm")
	os.WriteFile(dev, nil, 0o666)
	kernel := filepath.Join(t.TempDir(), "vmlinuz")
	os.WriteFile(kernel, []byte("k"), 0o644)
	p := AccelProbe{QEMU: fakeQEMU(t, "echo 'Linux version 6.1'; sleep 30"), Device: dev,
		CacheFile: filepath.Join(t.TempDir(), "accel.json"), Timeout: time.Second}
	if r, err := p.Detect(context.Background()); err != nil || r.Accel != AccelTCG {
		t.Fatalf("without a kernel: %+v, %v", r, err)
	}
	p.Kernel = kernel
	if r, err := p.Detect(context.Background()); err != nil || r.Accel != AccelKVM {
		t.Errorf("with a kernel after one was missing: %+v, %v; want a real probe saying KVM", r, err)
	}
}
