package labfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/confine"
)

// TestsDir is the folder of a lab's test scripts: other valid fixes,
// cheats and workarounds that `vlab test` replays against the lab.
const TestsDir = "tests"

// ScriptKind is what a test script claims to be, from its name's prefix.
type ScriptKind string

// The kinds of test scripts. A fix must make `vlab check` pass; a cheat
// hides the symptom without fixing the cause and must not; a workaround
// eases the symptom and must not reach resolved either.
const (
	KindFix        ScriptKind = "fix"
	KindCheat      ScriptKind = "cheat"
	KindWorkaround ScriptKind = "workaround"
)

// TestScript is one tests/<kind>-<name>.sh. Its `# vm: NAME` lines split it
// into sections, each run as a shell script of its own on the VM it names,
// in order: what comes before the first such line (the shebang, comments,
// `set -eu`) starts every section. So a fix that spans VMs writes
// `# vm: db`, the commands for db, then `# vm: web` and those for web.
type TestScript struct {
	Name     string // file name without .sh
	Kind     ScriptKind
	Path     string
	Sections []ScriptSection
}

// ScriptSection is the part of a test script run on one VM.
type ScriptSection struct {
	VM   string
	Line int // of its `# vm:` line
	Body string
}

// maxScriptSize caps a test script: it is read whole.
const maxScriptSize = 256 << 10

// TestScripts reads the lab's test scripts, sorted by name. Files in
// tests/ that are not <kind>-<name>.sh are not test scripts and are left
// out. A script that cannot be read or names no VM is an error, and so is
// a tests/ folder or a script that leads outside the lab folder: scripts
// are sent to the guests, and must not be host files.
func (l *Lab) TestScripts() ([]TestScript, error) {
	dir, err := confine.Resolve(l.Dir, TestsDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.Is(err, confine.ErrOutside):
		return nil, fmt.Errorf("%v; keep the lab's test scripts inside the lab folder", err)
	case err != nil:
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return nil, nil // a file named tests holds no scripts
		}
		return nil, err
	}
	var out []TestScript
	for _, e := range entries { // sorted by name
		name, ok := strings.CutSuffix(e.Name(), ".sh")
		if !ok {
			continue
		}
		kind, ok := scriptKind(name)
		if !ok {
			continue
		}
		rel := filepath.Join(TestsDir, e.Name())
		s, err := readScript(l.Dir, rel)
		if err != nil {
			return nil, err
		}
		out = append(out, TestScript{Name: name, Kind: kind, Path: filepath.Join(l.Dir, rel), Sections: s})
	}
	return out, nil
}

func scriptKind(name string) (ScriptKind, bool) {
	for _, k := range []ScriptKind{KindFix, KindCheat, KindWorkaround} {
		if strings.HasPrefix(name, string(k)+"-") {
			return k, true
		}
	}
	return "", false
}

// readScript reads the script rel in the lab folder, opened through
// confine (os.Root), and splits it at its `# vm: NAME` lines.
func readScript(labDir, rel string) ([]ScriptSection, error) {
	fi, err := os.Lstat(filepath.Join(labDir, rel))
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file; a test script lives in the lab folder", rel)
	}
	f, err := confine.Open(labDir, rel)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxScriptSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	if len(b) > maxScriptSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", rel, maxScriptSize)
	}
	var head []string
	var out []ScriptSection
	for i, line := range strings.Split(string(b), "\n") {
		if vm, ok := strings.CutPrefix(strings.TrimSpace(line), "# vm:"); ok {
			out = append(out, ScriptSection{VM: strings.TrimSpace(vm), Line: i + 1, Body: strings.Join(head, "\n") + "\n"})
			continue
		}
		if len(out) == 0 {
			head = append(head, line)
		} else {
			out[len(out)-1].Body += line + "\n"
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no `# vm: NAME` line says which VM it runs on", rel)
	}
	return out, nil
}

// testScripts checks that every test script names VMs of the lab; a
// problem names the script and the line of its `# vm:`.
func (v *validator) testScripts() {
	scripts, err := v.lab.TestScripts()
	if err != nil {
		v.inv.add(0, TestsDir, err.Error())
		return
	}
	for _, s := range scripts {
		for _, sec := range s.Sections {
			if _, ok := v.lab.VM(sec.VM); !ok {
				v.inv.Problems = append(v.inv.Problems, Problem{File: s.Path, Line: sec.Line, Field: "# vm",
					Msg: fmt.Sprintf("%q is not a VM of the lab; it has %s", sec.VM, strings.Join(v.lab.VMNames(), ", "))})
			} else if err := v.lab.observerSection(sec.VM); err != nil {
				v.inv.Problems = append(v.inv.Problems, Problem{File: s.Path, Line: sec.Line, Field: "# vm", Msg: err.Error()})
			}
		}
	}
}
