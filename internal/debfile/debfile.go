// Package debfile reads the control fields of a Debian package file with
// Go code alone, so that a .deb from elsewhere (a bundle) is checked
// without dpkg and without running anything it carries. Every size it
// reads is capped.
package debfile

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/ulikunitz/xz"

	"github.com/vlab-dev/vlab/internal/debver"
)

// Limits on what is read of one package file.
const (
	maxMember     = 16 << 20 // control.tar.* as stored in the .deb
	maxControlTar = 64 << 20 // control.tar once decompressed
	maxControl    = 1 << 20  // the control file
	maxEntries    = 256      // entries of control.tar
)

// Control is what a package file says it is.
type Control struct {
	Package      string
	Version      string
	Architecture string
}

func (c Control) String() string { return c.Package + " " + c.Version + " " + c.Architecture }

var (
	packagePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]{0,127}$`)
	archPattern    = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
)

// Read returns the control fields of the package file at path: an ar
// archive whose members are debian-binary (format 2.x) and then
// control.tar, control.tar.gz or control.tar.xz holding ./control.
func Read(path string) (Control, error) {
	f, err := os.Open(path)
	if err != nil {
		return Control{}, err
	}
	defer f.Close()
	c, err := parse(bufio.NewReader(f))
	if err != nil {
		return Control{}, fmt.Errorf("not a Debian package vlab can read: %w", err)
	}
	return c, nil
}

func parse(r io.Reader) (Control, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "!<arch>\n" {
		return Control{}, errors.New("no ar header")
	}
	name, data, err := member(r, 64)
	switch {
	case name != "" && name != "debian-binary":
		return Control{}, fmt.Errorf("its first member is %q, not debian-binary", name)
	case err != nil:
		return Control{}, err
	case !bytes.HasPrefix(data, []byte("2.")):
		return Control{}, errors.New("its debian-binary is not format 2.x")
	}
	name, data, err = member(r, maxMember)
	if err != nil {
		return Control{}, err
	}
	tr, err := controlTar(name, data)
	if err != nil {
		return Control{}, err
	}
	control, err := controlFile(tr)
	if err != nil {
		return Control{}, err
	}
	return fields(control)
}

// member reads the next ar member, at most max bytes, and its padding. The
// name is returned, when it was read, with any error.
func member(r io.Reader, max int64) (string, []byte, error) {
	hdr := make([]byte, 60)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return "", nil, fmt.Errorf("ar member header: %w", err)
	}
	if string(hdr[58:60]) != "`\n" {
		return "", nil, errors.New("bad ar member header")
	}
	name := strings.TrimSuffix(strings.TrimRight(string(hdr[:16]), " "), "/")
	size, err := strconv.ParseInt(strings.TrimRight(string(hdr[48:58]), " "), 10, 64)
	if err != nil || size < 0 {
		return name, nil, fmt.Errorf("ar member %q: bad size", name)
	}
	if size > max {
		return name, nil, fmt.Errorf("ar member %q is %d bytes, more than the %d vlab reads", name, size, max)
	}
	data := make([]byte, size+size%2)
	if _, err := io.ReadFull(r, data); err != nil {
		return name, nil, fmt.Errorf("ar member %q: %w", name, err)
	}
	return name, data[:size], nil
}

// controlTar opens the control member by its compression.
func controlTar(name string, data []byte) (*tar.Reader, error) {
	var r io.Reader
	switch name {
	case "control.tar":
		r = bytes.NewReader(data)
	case "control.tar.gz":
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = gz
	case "control.tar.xz":
		if err := checkXZ(data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		xr, err := xz.ReaderConfig{SingleStream: true}.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r = xr
	default:
		return nil, fmt.Errorf("its second member is %q, not control.tar, control.tar.gz or control.tar.xz", name)
	}
	return tar.NewReader(io.LimitReader(r, maxControlTar)), nil
}

// controlFile returns the content of ./control.
func controlFile(tr *tar.Reader) ([]byte, error) {
	for range maxEntries {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("control.tar: %w", err)
		}
		if strings.TrimPrefix(h.Name, "./") != "control" {
			continue
		}
		if h.Typeflag != tar.TypeReg || h.Size > maxControl {
			return nil, errors.New("its control file is not a regular file of at most 1 MiB")
		}
		return io.ReadAll(tr)
	}
	return nil, errors.New("control.tar has no control file")
}

// fields checks and returns the fields that name the package.
func fields(control []byte) (Control, error) {
	ps := Paragraphs(control)
	if len(ps) != 1 {
		return Control{}, fmt.Errorf("its control file has %d paragraphs, not 1", len(ps))
	}
	c := Control{Package: ps[0]["Package"], Version: ps[0]["Version"], Architecture: ps[0]["Architecture"]}
	if !c.Valid() {
		return Control{}, fmt.Errorf("its control file names no valid Package, Version and Architecture (%.200q)", c.String())
	}
	return c, nil
}

// Valid reports whether c names a package as Debian does: a package name,
// a Debian version and an architecture name, none with anything a
// terminal would act on.
func (c Control) Valid() bool {
	_, err := debver.Parse(c.Version)
	return packagePattern.MatchString(c.Package) && err == nil && c.Version == strings.TrimSpace(c.Version) &&
		archPattern.MatchString(c.Architecture)
}

// Paragraphs splits deb822 text (a control file, a dpkg status or a
// Packages index) into its paragraphs' single-line fields; continuation
// lines of multi-line fields are left out.
func Paragraphs(data []byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if len(cur) > 0 {
				out = append(out, cur)
				cur = map[string]string{}
			}
		case line[0] == ' ' || line[0] == '\t':
		default:
			k, v, _ := strings.Cut(line, ":")
			cur[k] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}
