package debfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// maxDict is the largest LZMA2 dictionary accepted: xz -9 uses 64 MiB. The
// decoder allocates what a block header asks for, up to 4 GiB, so each
// header is read first.
const maxDict = 64 << 20

// checkXZ checks that data is exactly one xz stream whose blocks all use
// LZMA2 alone with a dictionary of at most maxDict. It walks the stream's
// index (found from the footer) to find every block header.
func checkXZ(data []byte) error {
	if len(data) < 24 || !bytes.HasPrefix(data, []byte{0xfd, '7', 'z', 'X', 'Z', 0}) || !bytes.HasSuffix(data, []byte("YZ")) {
		return errors.New("not a single xz stream")
	}
	footer := data[len(data)-12:]
	indexSize := (int(binary.LittleEndian.Uint32(footer[4:8])) + 1) * 4
	indexAt := len(data) - 12 - indexSize
	if indexSize > len(data) || indexAt < 12 {
		return errors.New("xz index out of range")
	}
	blocks, err := xzIndex(data[indexAt:len(data)-12], uint64(indexAt))
	if err != nil {
		return err
	}
	at := 12
	for _, unpadded := range blocks {
		if at >= indexAt {
			return errors.New("xz index lists more blocks than the stream holds")
		}
		if err := xzBlockHeader(data[at:indexAt]); err != nil {
			return err
		}
		at += int((unpadded + 3) &^ 3)
	}
	if at != indexAt {
		return errors.New("xz blocks and index do not add up")
	}
	return nil
}

// xzIndex returns the unpadded size of each block the index lists, each
// at most limit.
func xzIndex(idx []byte, limit uint64) ([]uint64, error) {
	bad := errors.New("bad xz index")
	if len(idx) < 8 || idx[0] != 0 {
		return nil, bad
	}
	p := idx[1:]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(idx)) {
		return nil, bad
	}
	p = p[k:]
	sizes := make([]uint64, 0, n)
	for range n {
		unpadded, k := binary.Uvarint(p)
		if k <= 0 || unpadded < 5 || unpadded > limit {
			return nil, bad
		}
		p = p[k:]
		if _, k = binary.Uvarint(p); k <= 0 {
			return nil, bad
		}
		p = p[k:]
		sizes = append(sizes, unpadded)
	}
	return sizes, nil
}

// xzBlockHeader checks one block header: LZMA2 as its only filter, with a
// dictionary of at most maxDict.
func xzBlockHeader(b []byte) error {
	if len(b) < 2 || b[0] == 0 || (int(b[0])+1)*4 > len(b) {
		return errors.New("bad xz block header")
	}
	hdr := b[:(int(b[0])+1)*4]
	flags := hdr[1]
	if flags&0x03 != 0 || flags&0x3c != 0 {
		return errors.New("xz block uses filters other than LZMA2 alone")
	}
	p := hdr[2:]
	for _, present := range []bool{flags&0x40 != 0, flags&0x80 != 0} {
		if present {
			_, k := binary.Uvarint(p)
			if k <= 0 {
				return errors.New("bad xz block header")
			}
			p = p[k:]
		}
	}
	id, k := binary.Uvarint(p)
	if k <= 0 || id != 0x21 || len(p) < k+2 || p[k] != 1 {
		return errors.New("xz block uses filters other than LZMA2 alone")
	}
	d := p[k+1]
	if d > 40 {
		return errors.New("bad xz dictionary size")
	}
	if d == 40 || uint64(2|d&1)<<(d/2+11) > maxDict {
		return fmt.Errorf("xz dictionary larger than %d MiB", maxDict>>20)
	}
	return nil
}
