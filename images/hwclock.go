package images

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
)

// The guest agent's guest-set-time, which sets a guest's clock after every
// restore, then runs `/sbin/hwclock -w` to copy the clock to the RTC. The
// real hwclock busy-waits up to a second for the RTC to tick, and even
// /bin/true costs 0.1 s to start under TCG (dynamic linking); without a
// /sbin/hwclock the agent refuses guest-set-time altogether. A QEMU
// guest's RTC follows the host's clock anyway, so vlab's images move the
// real one aside to /sbin/hwclock.rtc (a dpkg diversion: package upgrades
// keep it there) and put in its place the smallest program that exits 0:
// one static x86-64 ELF segment, three instructions, no loader.

// hwclockStandIn is the stand-in: exit(0) on x86-64 Linux.
func hwclockStandIn() []byte {
	const base = 0x400000
	code := []byte{
		0xb8, 0x3c, 0x00, 0x00, 0x00, // mov eax, 60 (exit)
		0x31, 0xff, // xor edi, edi
		0x0f, 0x05, // syscall
	}
	hdrs := uint64(binary.Size(elf.Header64{}) + binary.Size(elf.Prog64{}))
	size := hdrs + uint64(len(code))
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Entry: base + hdrs, Phoff: uint64(binary.Size(elf.Header64{})),
		Ehsize: uint16(binary.Size(elf.Header64{})), Phentsize: uint16(binary.Size(elf.Prog64{})), Phnum: 1,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	p := elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X), Vaddr: base, Paddr: base,
		Filesz: size, Memsz: size, Align: 0x1000}
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, h)
	binary.Write(&b, binary.LittleEndian, p)
	b.Write(code)
	return b.Bytes()
}

// quickHwclock diverts the image's hwclock to hwclock.rtc and installs the
// stand-in.
func quickHwclock(ctx context.Context, b *builder, root string) error {
	if err := b.exec(ctx, "dpkg-divert", "--root="+root, "--local", "--rename", "--divert", "/sbin/hwclock.rtc", "--add", "/sbin/hwclock"); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "sbin/hwclock"), hwclockStandIn(), 0o755)
}
