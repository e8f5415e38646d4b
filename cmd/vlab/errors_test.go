package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
)

// runVlab runs the CLI in-process with a private VLAB_HOME.
func runVlab(t *testing.T, home string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("VLAB_HOME", home)
	t.Setenv("VLAB_ACCEL", "tcg")
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"vlab"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeLab(t *testing.T, dir, name, yaml string) string {
	t.Helper()
	d := filepath.Join(dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "lab.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestErrorsAreOneClearLine checks that bad input gets a short error that
// names the thing and what to do, never a panic or a stack trace.
func TestErrorsAreOneClearLine(t *testing.T) {
	home := t.TempDir()
	labsDir := t.TempDir()
	writeLab(t, labsDir, "broken", "name: broken\ntitle: x\nvms:\n  - name: a\n    memroy: 512\n")
	writeLab(t, labsDir, "noimage", "name: noimage\ntitle: x\nvms:\n  - name: a\n    image: nope\n")
	writeLab(t, labsDir, "ok", "name: ok\ntitle: x\nvms:\n  - name: a\n    image: fake\n")
	if _, err := (&images.Store{Dir: filepath.Join(home, "images")}).Import(context.Background(), "fake", images.Files{Disk: imagestest.Disk(t)}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VLAB_LIBVIRT_SOCKET", filepath.Join(t.TempDir(), "no-libvirt-sock"))
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown lab", []string{"--labs", labsDir, "up", "nosuch"}, []string{"nosuch"}},
		{"malformed lab", []string{"--labs", labsDir, "up", "broken"}, []string{"broken/lab.yaml:5", "memroy"}},
		{"missing image", []string{"--labs", labsDir, "up", "noimage"}, []string{`image "nope" is not built`, "vlab images build nope"}},
		{"libvirtd down", []string{"--labs", labsDir, "up", "ok"}, []string{"hypervisor unreachable", "scripts/setup-host"}},
		{"no instance", []string{"ssh", "ghost", "--", "true"}, []string{"ghost", "no such lab instance", "vlab up"}},
		{"missing argument", []string{"up"}, []string{"missing lab", "usage"}},
		{"unknown image recipe", []string{"images", "build", "centos"}, []string{`no recipe for image "centos"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runVlab(t, home, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine") {
				t.Errorf("stack trace on stderr: %s", errOut)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n > 3 {
				t.Errorf("error is %d lines: %s", n+1, errOut)
			}
		})
	}
	// destroy of an instance that never existed is not an error.
	if code, _, errOut := runVlab(t, home, "destroy", "ghost"); code != 0 {
		t.Errorf("destroy of a missing instance: exit %d: %s", code, errOut)
	}
}

// Destroying an instance that is not there succeeds (a rerun) but says
// where it looked: a wrong VLAB_HOME must not pass for a destroy.
func TestDestroyMissingSaysWhere(t *testing.T) {
	home := t.TempDir()
	code, _, errOut := runVlab(t, home, "destroy", "ghost")
	if code != 0 || !strings.Contains(errOut, "no instance ghost in "+home) || strings.Contains(errOut, "ghost destroyed") {
		t.Errorf("destroy of a missing instance: exit %d, %q", code, errOut)
	}
}
