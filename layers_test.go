package vlab

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// layers lists vlab's packages from the top down (README, Layout). An
// import may point to its own layer or one below, never up: a lower layer
// that needs something from above declares an interface and is handed an
// implementation. A package missing here fails the test: place it.
var layers = [][]string{
	{"cmd/"},
	{"instance", "incident", "report", "bundle", "export", "labtest", "classroom", "web"},
	{"vm", "provision", "images", "probe", "hostcheck"},
	{"labfile", "traffic", "kit"},
	{"internal/"},
}

// layerOf returns the layer of a package path relative to the module.
func layerOf(rel string) int {
	for i, l := range layers {
		for _, p := range l {
			if rel == p || strings.HasPrefix(rel, strings.TrimSuffix(p, "/")+"/") {
				return i
			}
		}
	}
	return -1
}

func TestImportsPointDown(t *testing.T) {
	const mod = "github.com/vlab-dev/vlab"
	out, err := exec.Command("go", "list", "-deps", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, mod+"/")
		if !ok {
			continue // the module root holds only embedded files; others are dependencies
		}
		from := layerOf(rel)
		if from < 0 {
			t.Errorf("package %s is in no layer: add it to layers (and README's Layout)", rel)
			continue
		}
		for _, imp := range p.Imports {
			to, ok := strings.CutPrefix(imp, mod+"/")
			if !ok {
				continue
			}
			if l := layerOf(to); l >= 0 && l < from {
				t.Errorf("%s (layer %d) imports %s (layer %d), which is above it", rel, from, to, l)
			}
		}
	}
}
