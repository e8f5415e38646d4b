package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// AccelProbe finds out whether KVM works on this host by booting a kernel
// under KVM in a child QEMU and waiting a bounded time for its first
// console line. On some hosts /dev/kvm opens and VMs are created, yet
// guests hang; only a real boot tells.
type AccelProbe struct {
	// QEMU is the emulator binary; default qemu-system-x86_64.
	QEMU string
	// Kernel is a bootable kernel image (an image's vmlinuz or the host's).
	Kernel string
	// Timeout bounds the probe; default 6s. Under working KVM the first
	// line comes in well under a second.
	Timeout time.Duration
	// CacheFile, when set, remembers the verdict for this host and QEMU.
	CacheFile string
	// Device is the KVM device; default /dev/kvm.
	Device string
}

// AccelResult is the probe's verdict.
type AccelResult struct {
	Accel  Accel  `json:"accel"`
	Reason string `json:"reason"`
	Key    string `json:"key"`
}

// Detect returns the accelerator to use. VLAB_ACCEL, when set, wins.
func (p AccelProbe) Detect(ctx context.Context) (AccelResult, error) {
	if env := os.Getenv("VLAB_ACCEL"); env != "" {
		a, err := ParseAccel(env)
		if err != nil {
			return AccelResult{}, fmt.Errorf("VLAB_ACCEL: %w", err)
		}
		return AccelResult{Accel: a, Reason: "set by VLAB_ACCEL"}, nil
	}
	qemu := p.qemu()
	key := hostKey(qemu)
	if r, ok := p.cached(key); ok {
		return r, nil
	}
	r := p.probe(ctx, qemu)
	r.Key = key
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	// Without a kernel nothing was tried: the next command, once an image
	// is built, probes for real (a first `vlab doctor` kept TCG for good).
	if r.Reason != noKernel {
		p.store(r)
	}
	return r, nil
}

// noKernel is the reason of a verdict made without a kernel to boot.
const noKernel = "no kernel to test KVM with"

func (p AccelProbe) qemu() string {
	if p.QEMU != "" {
		return p.QEMU
	}
	return "qemu-system-x86_64"
}

func (p AccelProbe) probe(ctx context.Context, qemu string) AccelResult {
	tcg := func(why string) AccelResult { return AccelResult{Accel: AccelTCG, Reason: why} }
	dev := p.Device
	if dev == "" {
		dev = "/dev/kvm"
	}
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return tcg(dev + " not usable: " + err.Error())
	}
	f.Close()
	if p.Kernel == "" {
		return tcg(noKernel)
	}
	timeout := p.Timeout
	if timeout == 0 {
		timeout = 6 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var out syncBuffer
	cmd := exec.CommandContext(ctx, qemu, "-accel", "kvm", "-nodefaults", "-display", "none",
		"-m", "128", "-serial", "stdio", "-no-reboot", "-kernel", p.Kernel,
		"-append", "console=ttyS0 panic=-1 loglevel=7")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = cmd.Run()
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if out.contains("Linux version") {
				return AccelResult{Accel: AccelKVM, Reason: "a KVM test guest booted"}
			}
			return tcg("KVM test guest failed: " + lastLine(out.String()))
		case <-tick.C:
			if out.contains("Linux version") {
				cancel()
				<-done
				return AccelResult{Accel: AccelKVM, Reason: "a KVM test guest booted"}
			}
		case <-ctx.Done():
			<-done
			return tcg(fmt.Sprintf("a KVM test guest printed nothing in %s", timeout))
		}
	}
}

// syncBuffer collects QEMU's output while the probe reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) contains(sub string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Contains(s.b.Bytes(), []byte(sub))
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// hostKey names what the verdict depends on: the QEMU binary and the host kernel.
func hostKey(qemu string) string {
	path, err := exec.LookPath(qemu)
	var info string
	if err == nil {
		if st, err := os.Stat(path); err == nil {
			info = fmt.Sprintf("%s:%d:%d", path, st.Size(), st.ModTime().Unix())
		}
	}
	var u unix.Utsname
	_ = unix.Uname(&u)
	return info + "|" + unix.ByteSliceToString(u.Release[:]) + "|" + unix.ByteSliceToString(u.Version[:])
}

func (p AccelProbe) cached(key string) (AccelResult, bool) {
	if p.CacheFile == "" {
		return AccelResult{}, false
	}
	data, err := os.ReadFile(p.CacheFile)
	if err != nil {
		return AccelResult{}, false
	}
	var r AccelResult
	if json.Unmarshal(data, &r) != nil || r.Key != key {
		return AccelResult{}, false
	}
	return r, true
}

func (p AccelProbe) store(r AccelResult) {
	if p.CacheFile == "" {
		return
	}
	data, _ := json.Marshal(r)
	if err := os.MkdirAll(filepath.Dir(p.CacheFile), 0o755); err == nil {
		_ = os.WriteFile(p.CacheFile, data, 0o644)
	}
}
