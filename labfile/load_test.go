package labfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

func TestLoadFixtures(t *testing.T) {
	for _, tt := range []struct {
		file string
		want []string // every problem, in order; none for a valid lab
	}{
		{"valid-minimal.yaml", nil},
		{"valid-full.yaml", nil},
		{"invalid-unknown-key.yaml", []string{":3: vmz: unknown field vmz"}},
		{"invalid-inject-vm.yaml", []string{
			`:11: injects[0].live.vm: unknown VM "db"; the lab has web`,
			`:15: probes[0].vm: unknown VM "cache"; the lab has web`,
		}},
		{"invalid-attachment.yaml", []string{
			":10: injects[0].attach: graphs/missing.png not found in the lab folder",
			`:15: injects[1].attach: "../../etc/passwd" must be a path inside the lab folder`,
		}},
		{"invalid-regex.yaml", []string{
			":10: probes[0].expect.match: bad pattern: error parsing regexp: missing closing ): `(unclosed`",
			":16: probes[1].expect.value.pattern: needs a capture group around the number, e.g. `errors=([0-9.]+)`",
			`:17: probes[1].expect.value.op: "=<" is not one of < <= > >= == !=`,
		}},
		{"invalid-puppet-paths.yaml", []string{
			`:8: vms[0].provision[0].puppet.manifest: "../site.pp" leaves the puppet tree; give a path inside the repository`,
			`:9: vms[0].provision[0].puppet.modulepath[1]: "modules/../../x" leaves the puppet tree; give a path inside the repository`,
		}},
		{"invalid-syntax.yaml", []string{":2: found unexpected end of stream"}},
		{"invalid-types.yaml", []string{
			`:3: duration: "forever" is not a duration like 90s, 5m or 1h20m`,
			`:6: vms[0].cpus: want a whole number, found "many"`,
			`:7: vms[0].networks: want a list of text, found "lab"`,
			`:9: goals: want a list of text, found a mapping`,
			`:12: injects[0].at: "-5m" is negative`,
			`:14: injects[0].title: want text, found a list`,
		}},
		{"invalid-many.yaml", []string{
			`:1: name: "Hello_World" must be lowercase letters, digits and dashes, at most 40 characters`,
			`:1: title: missing; give the incident a short title`,
			`:6: vms[1].name: "web" is used twice`,
			`:4: vms[0].memory: 64 MiB is out of range 128..65536`,
			`:5: vms[0].networks[0]: unknown network "dmz"; declare it under networks:`,
			`:13: injects[1].at: 1m0s is before the previous inject (5m0s); list injects in timeline order`,
			`:14: injects[1].kind: "rumour" is not one of alert, user-report, graph, chat, log, page, hint, cause, fix`,
		}},
		{"invalid-alias-bomb.yaml", []string{": more than 100000 values once aliases are expanded; a lab file is a short document"}},
		{"invalid-binary.yaml", []string{": binary data, not YAML"}},
	} {
		t.Run(tt.file, func(t *testing.T) { wantProblems(t, tt.file, tt.want) })
	}
}

func TestLoadFull(t *testing.T) {
	lab, err := labfile.Load("testdata/valid-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	client, ok := lab.VM("client")
	if !ok || client.Image != "debian-12" || client.Memory != 1024 || client.CPUs != 1 {
		t.Errorf("VM defaults not applied: %+v", client)
	}
	p := lab.Probes[1]
	if p.Samples != 1 || p.Interval.D() != 2*time.Second || p.Hold != 0 {
		t.Errorf("probe defaults not applied: %+v", p)
	}
	if got := lab.Probes[0]; got.Samples != 10 || got.Hold.D() != 30*time.Second || *got.Expect.Exit != 0 {
		t.Errorf("probe: %+v", got)
	}
	if in := lab.Injects[1]; in.At.D() != 4*time.Minute || in.Live == nil || in.Live.VM != "web" {
		t.Errorf("inject: %+v", in)
	}
	if !lab.Injects[2].Guessed || lab.Solution == nil || len(lab.Solution.Steps) != 2 {
		t.Errorf("guessed or solution lost: %+v", lab)
	}
	if lab.Dir != "testdata" || lab.File != "testdata/valid-full.yaml" {
		t.Errorf("Dir %q File %q", lab.Dir, lab.File)
	}
}

// TestLoadHostile: oversized or deeply nested input gets a clear error
// quickly, never a panic.
func TestLoadHostile(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, data, want string
	}{
		{"huge-file", "name: hello\ntitle: " + strings.Repeat("x", labfile.MaxFileSize), "larger than 1048576 bytes"},
		{"huge-value", "name: hello\nvms: [{name: web}]\ntitle: " + strings.Repeat("ab ", 300000), ""},
		{"deep-flow", "name: " + strings.Repeat("[", 20000), "exceeded max depth"},
		{"deep-block", deepBlock(1000), "unknown field a"},
		{"empty", "", "empty file"},
		{"only-comment", "# nothing\n", "empty file"},
		{"not-a-mapping", "- a\n- b\n", ":1: want a mapping of fields"},
		{"alias-cycle", "name: &a [*a]\n", "an alias refers to the value holding it"},
		{"wide-mapping", "name: hello\nvms:\n- name: web\n  provision:\n  - packages:\n" + wideMapping(20000), ":6: a mapping of 20000 entries; at most 1000"},
		{"many-docs", "name: a\n---\nname: b\n", "a second YAML document"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".yaml")
			os.WriteFile(path, []byte(tt.data), 0o644)
			start := time.Now()
			_, err := labfile.Load(path)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func wideMapping(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "      p%d: \"1\"\n", i)
	}
	return b.String()
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "hello"), 0o755)
	want := filepath.Join(dir, "hello", labfile.FileName)
	os.WriteFile(want, []byte("name: hello\n"), 0o644)
	for _, ref := range []string{"hello", filepath.Join(dir, "hello"), want} {
		if got, err := labfile.Resolve(dir, ref); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v", ref, got, err)
		}
	}
	if _, err := labfile.Resolve(dir, "nope"); err == nil || !strings.Contains(err.Error(), "vlab labs") {
		t.Errorf("missing lab: %v", err)
	}
}

// FuzzParse: no input makes Parse panic, and a lab it accepts has the
// invariants the rest of vlab relies on.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: a\ntitle: t\nvms: [{name: a}]\nprobes: [{name: p, vm: a, command: x, expect: {exit: 0}, interval: 1}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		lab, err := labfile.Parse("testdata/fuzz.yaml", data)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Parse took %s", d)
		}
		if err != nil {
			var inv *labfile.InvalidError
			if !errors.As(err, &inv) || len(inv.Problems) == 0 {
				t.Fatalf("error %v is not an *InvalidError with problems", err)
			}
			return
		}
		if len(lab.VMs) == 0 || !labfile.ValidName(lab.Name) {
			t.Fatalf("accepted a lab without VMs or name: %+v", lab)
		}
		for _, p := range lab.Probes {
			if p.Samples < 1 || p.Interval <= 0 {
				t.Fatalf("accepted probe %+v", p)
			}
		}
	})
}

// TestFormatDoc keeps docs/LAB-FORMAT.md in step with the validator: its
// example is a valid lab, and it names every kind and op.
func TestFormatDoc(t *testing.T) {
	doc, err := os.ReadFile("../docs/LAB-FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	_, example, ok := strings.Cut(string(doc), "## Example\n\n```yaml\n")
	example, _, ok2 := strings.Cut(example, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml block under ## Example")
	}
	lab, err := labfile.Parse("testdata/example.yaml", []byte(example))
	if err != nil {
		t.Fatalf("the documented example is invalid:\n%v", err)
	}
	if ws := lab.Warnings(); len(ws) > 0 || lab.Trainer == nil {
		t.Errorf("the documented example warns or has no trainer section: %v", ws)
	}
	for _, word := range append(append([]string{}, labfile.InjectKinds...), labfile.ValueOps...) {
		if !strings.Contains(string(doc), "`"+word+"`") {
			t.Errorf("docs/LAB-FORMAT.md does not mention `%s`", word)
		}
	}
}

func TestNameMustMatchFolder(t *testing.T) {
	data := []byte("name: shop\ntitle: t\nvms:\n  - name: web\n")
	if _, err := labfile.Parse("labs/shop/lab.yaml", data); err != nil && strings.Contains(err.Error(), "differs") {
		t.Fatalf("matching folder refused: %v", err)
	}
	_, err := labfile.Parse("labs/other/lab.yaml", data)
	if err == nil || !strings.Contains(err.Error(), `name: "shop" differs from the lab's folder "other"`) {
		t.Fatalf("a lab whose name is not its folder's: %v", err)
	}
}

func TestRefName(t *testing.T) {
	for ref, want := range map[string]string{"hello": "hello", "labs/hello/": "hello", "labs/hello/lab.yaml": "hello",
		".": ".", "..": "..", "../x": "x"} {
		if got := labfile.RefName(ref); got != want {
			t.Errorf("RefName(%q) = %q, want %q", ref, got, want)
		}
	}
}

// wantProblems loads testdata/file and checks the problems it has, each
// without the file name; want nil means the file must load.
func wantProblems(t *testing.T, file string, want []string) {
	t.Helper()
	path := filepath.Join("testdata", file)
	lab, err := labfile.Load(path)
	if want == nil {
		if err != nil || lab == nil {
			t.Fatalf("Load: %v", err)
		}
		return
	}
	var inv *labfile.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("got %v, want an *InvalidError", err)
	}
	var got []string
	for _, p := range inv.Problems {
		got = append(got, strings.TrimPrefix(p.Error(), path))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
