package main

import (
	"testing"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
)

// instanceDir is the folder of instance id under h.
func instanceDir(t testing.TB, h instance.Home, id string) string {
	t.Helper()
	dir, err := h.Instance(id)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// labJSON is one lab as `vlab labs --json` prints it.
type labJSON = labfile.Summary
