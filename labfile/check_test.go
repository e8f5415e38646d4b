package labfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkFixture makes a labs folder with a valid lab "hello", an invalid
// lab "broken" and a folder without lab.yaml.
func checkFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		if data != "" {
			os.WriteFile(filepath.Join(dir, name, FileName), []byte(data), 0o644)
		}
	}
	write("hello", "name: hello\ntitle: Hello,\n  VM\ndifficulty: easy\nduration: 45m\nvms:\n  - name: web\n")
	write("broken", "name: broken\nvmz: []\ntitle: x\nvms: [{name: a, cpus: 0}]\n")
	write("notes", "")
	return dir
}

func TestValidate(t *testing.T) {
	dir := checkFixture(t)
	var out bytes.Buffer
	total, bad, err := Validate(&out, dir, []string{"hello"}, nil)
	if err != nil || total != 1 || bad != 0 || !strings.Contains(out.String(), "ok: hello, 1 VM, 0 injects, 0 probes") {
		t.Errorf("valid lab: %d, %d, %v\n%s", total, bad, err, out.String())
	}

	out.Reset()
	total, bad, err = Validate(&out, dir, nil, nil)
	if err != nil || total != 2 || bad != 1 {
		t.Fatalf("every lab: %d of %d invalid, %v; want 1 of 2", bad, total, err)
	}
	want := filepath.Join(dir, "broken", FileName) + ":2: vmz: unknown field vmz"
	if !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}

	out.Reset()
	_, bad, _ = Validate(&out, dir, []string{"nope", filepath.Join(dir, "hello")}, nil)
	if bad != 1 || !strings.Contains(out.String(), `no lab "nope"`) || !strings.Contains(out.String(), "ok: hello") {
		t.Errorf("missing lab: %d invalid\n%s", bad, out.String())
	}

	if _, _, err := Validate(&out, filepath.Join(dir, "none"), nil, nil); err == nil {
		t.Error("a labs folder that does not exist is not an error")
	}
}

// TestValidateMore: more's notes are printed, and its problems make a
// lab that loads invalid.
func TestValidateMore(t *testing.T) {
	dir := checkFixture(t)
	var out bytes.Buffer
	more := func(l *Lab) Findings {
		return Findings{Notes: []string{"checked offline"}, Problems: []Problem{l.Problem("no such package", "vms", 0)}}
	}
	_, bad, err := Validate(&out, dir, []string{"hello"}, more)
	file := filepath.Join(dir, "hello", FileName)
	if err != nil || bad != 1 || !strings.Contains(out.String(), file+": note: checked offline\n") ||
		!strings.Contains(out.String(), file+":7: vms[0]: no such package\n") || strings.Contains(out.String(), "ok:") {
		t.Errorf("with more: %d invalid, %v\n%s", bad, err, out.String())
	}
}
