package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
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

func TestValidateCommand(t *testing.T) {
	dir := labsFixture(t)
	out, err := runLabsApp(t, "--labs", dir, "validate", "hello")
	if err != nil || !strings.Contains(out, "ok: hello, 1 VM, 0 injects, 0 probes") {
		t.Errorf("valid lab: %v\n%s", err, out)
	}

	out, err = runLabsApp(t, "--labs", dir, "validate")
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 1 || !strings.Contains(err.Error(), "1 of 2 labs invalid") {
		t.Fatalf("got %v, want exit 1 for one invalid lab of two", err)
	}
	want := filepath.Join(dir, "broken", "lab.yaml") + ":2: vmz: unknown field vmz"
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}

	out, err = runLabsApp(t, "--labs", dir, "validate", "nope", filepath.Join(dir, "hello"))
	if err == nil || !strings.Contains(out, `no lab "nope"`) || !strings.Contains(out, "ok: hello") {
		t.Errorf("missing lab: %v\n%s", err, out)
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

// TestValidateDeep checks, with no VM and no network, that --deep reports
// a puppet revision the lab's repository lacks and a pinned package it
// cannot check offline, each at its field; plain validate passes the lab.
func TestValidateDeep(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	t.Setenv("VLAB_HOME", t.TempDir())
	dir := t.TempDir()
	lab := filepath.Join(dir, "deep")
	gitIn := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", filepath.Join(lab, "puppet")}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	os.MkdirAll(filepath.Join(lab, "puppet", "manifests"), 0o755)
	os.WriteFile(filepath.Join(lab, "puppet", "manifests", "site.pp"), []byte("notify { 'hi': }\n"), 0o644)
	gitIn("init", "-q", "-b", "main")
	gitIn("add", "-A")
	gitIn("commit", "-q", "-m", "puppet")
	os.WriteFile(filepath.Join(lab, "lab.yaml"), []byte("name: deep\ntitle: Deep\nvms:\n  - name: web\n    provision:\n"+
		"      - puppet:\n          repo: puppet\n          revision: v2-never-tagged\n"+
		"      - packages:\n          nginx: 1.22.1-9\n"), 0o644)

	if out, err := runLabsApp(t, "--labs", dir, "validate", "deep"); err != nil || !strings.Contains(out, "ok: deep") {
		t.Fatalf("plain validate: %v\n%s", err, out)
	}
	out, err := runLabsApp(t, "--labs", dir, "validate", "--deep", "--offline", "deep")
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 1 {
		t.Errorf("--deep: %v, want exit 1", err)
	}
	yaml := filepath.Join(lab, "lab.yaml")
	for _, want := range []string{
		yaml + `:8: vms[0].provision[0].puppet.revision: puppet repo puppet: no commit, tag or branch "v2-never-tagged"; pin one that exists there`,
		yaml + ":9: vms[0].provision[1].packages: pinned packages not checked: vlab is offline (--offline) and the cache holds no package index for these sources;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks\n%s\ngot:\n%s", want, out)
		}
	}
}
