package labfile

import (
	"strings"
	"testing"
)

func TestPinnedVersionMustBeDebian(t *testing.T) {
	_, err := Parse("x/lab.yaml", []byte("name: x\ntitle: t\nvms:\n  - name: a\n    provision:\n      - packages: {nginx: \"1.2 beta\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "packages.nginx") {
		t.Fatalf("err = %v, want a problem at packages.nginx", err)
	}
}

// TestRequires: a lab may state the vlab it needs; a newer one than this
// is a problem at the line of requires:.
func TestRequires(t *testing.T) {
	lab := func(req string) []byte {
		return []byte("name: x\ntitle: t\nrequires: \"" + req + "\"\nvms:\n  - name: a\n")
	}
	if l, err := Parse("x/lab.yaml", lab(">= 0.3")); err != nil || l.Requires != ">= 0.3" {
		t.Errorf("requires >= 0.3: %v", err)
	}
	for req, want := range map[string]string{
		">= 99.0": "x/lab.yaml:3: requires: the lab needs vlab >= 99.0, this is vlab",
		"latest":  `x/lab.yaml:3: requires: "latest" is not a version requirement`,
	} {
		_, err := Parse("x/lab.yaml", lab(req))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("requires %q: %v, want %q", req, err, want)
		}
	}
}
