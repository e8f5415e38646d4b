// Package debtest builds small Debian package files for tests, in the
// layout dpkg-deb writes.
package debtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"time"

	"github.com/ulikunitz/xz"
)

// Control is the control file of package pkg at version for arch.
func Control(pkg, version, arch string) string {
	return fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: %s\nMaintainer: Test <test@example.org>\nDescription: a test package\n", pkg, version, arch)
}

// Deb returns a package file whose control.tar holds control, compressed
// as comp ("" for none, "gz" or "xz"), and whose data.tar holds payload,
// so that two packages of one name and version can differ.
func Deb(control, comp, payload string) []byte {
	ctl := tarOf(map[string]string{"./control": control, "./postinst": "#!/bin/sh\ntouch /tmp/pwned\n"})
	name := "control.tar"
	switch comp {
	case "gz":
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(ctl)
		w.Close()
		ctl, name = b.Bytes(), name+".gz"
	case "xz":
		var b bytes.Buffer
		w, _ := xz.NewWriter(&b)
		w.Write(ctl)
		w.Close()
		ctl, name = b.Bytes(), name+".xz"
	}
	var out bytes.Buffer
	out.WriteString("!<arch>\n")
	Member(&out, "debian-binary", []byte("2.0\n"))
	Member(&out, name, ctl)
	Member(&out, "data.tar", tarOf(map[string]string{"./usr/share/doc/payload": payload}))
	return out.Bytes()
}

// Member appends one ar member to out, padded to an even length.
func Member(out *bytes.Buffer, name string, data []byte) {
	fmt.Fprintf(out, "%-16s%-12d%-6d%-6d%-8s%-10d`\n", name, 1700000000, 0, 0, "100644", len(data))
	out.Write(data)
	if len(data)%2 == 1 {
		out.WriteByte('\n')
	}
}

func tarOf(files map[string]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, name := range []string{"./control", "./postinst", "./usr/share/doc/payload"} {
		data, ok := files[name]
		if !ok {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: time.Unix(1700000000, 0), Typeflag: tar.TypeReg})
		tw.Write([]byte(data))
	}
	tw.Close()
	return b.Bytes()
}
