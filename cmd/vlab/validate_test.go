package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runLabsApp runs one of `vlab validate` and `vlab labs` alone, with the
// global --labs flag.
func runLabsApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	app := &cli.App{
		Name:           "vlab",
		Writer:         &out,
		ErrWriter:      &out,
		Flags:          []cli.Flag{&cli.StringFlag{Name: "labs", Value: "labs"}},
		Commands:       []*cli.Command{validateCommand(), labsCommand()},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	err := app.Run(append([]string{"vlab"}, args...))
	return out.String(), err
}

// labsFixture makes a labs folder with a valid lab "hello", an invalid
// lab "broken" and a folder without lab.yaml.
func labsFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		if data != "" {
			os.WriteFile(filepath.Join(dir, name, "lab.yaml"), []byte(data), 0o644)
		}
	}
	write("hello", "name: hello\ntitle: Hello,\n  VM\ndifficulty: easy\nduration: 45m\nvms:\n  - name: web\n")
	write("broken", "name: broken\nvmz: []\ntitle: x\nvms: [{name: a, cpus: 0}]\n")
	write("notes", "")
	return dir
}

// TestValidateCommand: validate exits 1 naming how many labs are invalid
// (labfile.Validate's tests check what it prints about each); --deep
// reaches provision's checks.
func TestValidateCommand(t *testing.T) {
	dir := labsFixture(t)
	out, err := runLabsApp(t, "--labs", dir, "validate", "hello")
	if err != nil || !strings.Contains(out, "ok: hello, 1 VM, 0 injects, 0 probes") {
		t.Errorf("valid lab: %v\n%s", err, out)
	}
	out, err = runLabsApp(t, "--labs", dir, "validate")
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 1 || err.Error() != "1 of 2 labs invalid" || !strings.Contains(out, "vmz: unknown field vmz") {
		t.Fatalf("got %v, want exit 1 for one invalid lab of two\n%s", err, out)
	}
	t.Setenv("VLAB_HOME", t.TempDir())
	os.WriteFile(filepath.Join(dir, "hello", "lab.yaml"), []byte("name: hello\ntitle: x\nvms:\n  - name: web\n    provision:\n      - packages:\n          nginx: 1.22.1-9\n"), 0o644)
	out, err = runLabsApp(t, "--labs", dir, "validate", "--deep", "--offline", "hello")
	if !errors.As(err, &ex) || ex.code != 1 || !strings.Contains(out, "pinned packages not checked: vlab is offline (--offline)") {
		t.Errorf("--deep --offline: %v\n%s", err, out)
	}
}

func TestLabsCommand(t *testing.T) {
	dir := labsFixture(t)
	out, err := runLabsApp(t, "--labs", dir, "labs")
	if err != nil {
		t.Fatal(err)
	}
	want := "NAME    TITLE                                       DIFFICULTY  DURATION\n" +
		"broken  (invalid: `vlab validate broken` says why)              \n" +
		"hello   Hello, VM                                   easy        45m\n"
	if out != want {
		t.Errorf("got:\n%q\nwant:\n%q", out, want)
	}

	out, err = runLabsApp(t, "--labs", dir, "labs", "--json")
	var got []labJSON
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got) != 2 || got[1].Duration != "45m" || got[0].Problem == "" {
		t.Errorf("--json: %v\n%s", err, out)
	}

	if _, err := runLabsApp(t, "--labs", filepath.Join(dir, "none"), "labs"); err == nil {
		t.Error("a missing labs folder is not an error")
	}
}
