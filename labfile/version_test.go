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
