package debfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/internal/debfile/debtest"
)

func writeDeb(t *testing.T, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.deb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRead(t *testing.T) {
	want := Control{Package: "nginx", Version: "1:1.22.1-9", Architecture: "amd64"}
	for _, comp := range []string{"", "gz", "xz"} {
		t.Run("control.tar."+comp, func(t *testing.T) {
			got, err := Read(writeDeb(t, debtest.Deb(debtest.Control("nginx", "1:1.22.1-9", "amd64"), comp, "x")))
			if err != nil || got != want {
				t.Errorf("Read = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

// A package built by dpkg-deb, as Debian's are (control.tar.xz by default).
func TestReadDpkgDeb(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	for _, z := range []string{"xz", "gzip", "none"} {
		t.Run(z, func(t *testing.T) {
			dir := t.TempDir()
			os.MkdirAll(filepath.Join(dir, "pkg/DEBIAN"), 0o755)
			os.WriteFile(filepath.Join(dir, "pkg/DEBIAN/control"), []byte(debtest.Control("hello", "2.10-3", "all")), 0o644)
			deb := filepath.Join(dir, "hello.deb")
			if out, err := exec.Command("dpkg-deb", "--root-owner-group", "-Z"+z, "--build", filepath.Join(dir, "pkg"), deb).CombinedOutput(); err != nil {
				t.Fatalf("dpkg-deb: %v: %s", err, out)
			}
			got, err := Read(deb)
			if err != nil || got != (Control{Package: "hello", Version: "2.10-3", Architecture: "all"}) {
				t.Errorf("Read = %+v, %v", got, err)
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	good := debtest.Control("nginx", "1.22.1-9", "amd64")
	var onlyBinary bytes.Buffer
	onlyBinary.WriteString("!<arch>\n")
	debtest.Member(&onlyBinary, "debian-binary", []byte("2.0\n"))
	var zst bytes.Buffer
	zst.WriteString("!<arch>\n")
	debtest.Member(&zst, "debian-binary", []byte("2.0\n"))
	debtest.Member(&zst, "control.tar.zst", []byte("(\xb5/\xfd"))
	var huge bytes.Buffer
	huge.WriteString("!<arch>\n")
	debtest.Member(&huge, "debian-binary", []byte("2.0\n"))
	huge.WriteString("control.tar.gz  1700000000  0     0     100644  9999999999`\n")
	bigDict := debtest.Deb(good, "xz", "x")
	at := bytes.Index(bigDict, []byte("control.tar.xz"))
	if i := bytes.Index(bigDict[at:], []byte{0x21, 0x01}); i < 0 {
		t.Fatal("no LZMA2 filter in the test package")
	} else {
		bigDict[at+i+2] = 40 // a 4 GiB dictionary
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"not ar", []byte("PK\x03\x04 a zip"), "no ar header"},
		{"only debian-binary", onlyBinary.Bytes(), "ar member header"},
		{"data first", append([]byte("!<arch>\n"), debtest.Deb(good, "gz", "x")[72:]...), "not debian-binary"},
		{"zstd control", zst.Bytes(), "control.tar.zst"},
		{"a huge member", huge.Bytes(), "more than"},
		{"a 4 GiB dictionary", bigDict, "dictionary larger"},
		{"no package name", debtest.Deb("Version: 1.0\nArchitecture: amd64\n", "gz", "x"), "no valid Package"},
		{"a bad version", debtest.Deb(debtest.Control("nginx", "latest", "amd64"), "gz", "x"), "no valid Package"},
		{"two paragraphs", debtest.Deb(good+"\n"+good, "gz", "x"), "2 paragraphs"},
		{"an escape in the name", debtest.Deb(debtest.Control("ngi\x1b]52;c;x\x07nx", "1.0", "amd64"), "gz", "x"), "no valid Package"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(writeDeb(t, c.data))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Read = %v, want %q", err, c.want)
			}
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("the error carries an escape sequence: %q", err)
			}
		})
	}
}

func TestParagraphs(t *testing.T) {
	ps := Paragraphs([]byte("Package: a\nDescription: x\n more\n\n\nPackage: b\nStatus: install ok installed\n"))
	if len(ps) != 2 || ps[0]["Package"] != "a" || ps[0]["Description"] != "x" || ps[1]["Status"] != "install ok installed" {
		t.Errorf("Paragraphs = %v", ps)
	}
}

// FuzzParse: no input panics or reads past its caps.
func FuzzParse(f *testing.F) {
	for _, comp := range []string{"", "gz", "xz"} {
		f.Add(debtest.Deb(debtest.Control("nginx", "1.22.1-9", "amd64"), comp, "x"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parse(bytes.NewReader(data))
	})
}
