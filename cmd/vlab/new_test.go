package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runNewApp runs `vlab new` through the real command line, flags after
// arguments included.
func runNewApp(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), append([]string{"vlab", "new"}, args...), strings.NewReader(""), &out, &out)
	if code != 0 {
		return out.String(), errors.New(strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

func TestNewCommand(t *testing.T) {
	report, err := filepath.Abs("../../report/testdata/wikitech.wiki")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"flags first", []string{"--labs", dir, "--from-report", report, "search"}, "5 injects from 8 timeline entries of a wikitext report", ""},
		{"flags after the name", []string{"search2", "--labs=" + dir, "--from-report", report, "--format", "wikitext"}, "created " + filepath.Join(dir, "search2", "lab.yaml"), ""},
		{"blank", []string{"--labs", dir, "blank"}, "run `vlab validate blank`", ""},
		{"exists", []string{"--labs", dir, "search"}, "", "already exists; choose another name"},
		{"no name", []string{"--labs", dir}, "", "missing lab name"},
		{"two names", []string{"--labs", dir, "a", "b"}, "", "one lab name please"},
		{"flag without value", []string{"x", "--labs"}, "", "flag --labs needs a value"},
		{"help after the name", []string{"x", "--help"}, "--from-report value", ""},
		{"unknown flag", []string{"x", "--force"}, "", "flag provided but not defined: -force"},
		{"bad format", []string{"--labs", dir, "--format", "rst", "x"}, "", `unknown report format "rst"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runNewApp(t, tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("error = %v, want one line containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output %q does not contain %q", out, tt.wantOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "search", "report.md")); err != nil {
		t.Errorf("report.md not written: %v", err)
	}
}

func TestNewUsesGlobalLabs(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"vlab", "--labs", dir, "new", "x"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "x", "lab.yaml")); err != nil {
		t.Errorf("lab not created under the global --labs: %v", err)
	}
}
