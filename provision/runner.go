// Package provision turns a booted VM into an incident's environment: it runs
// commands and copies files over SSH, applies puppet at a pinned revision and
// installs pinned Debian packages.
package provision

import (
	"context"
	"io"
)

// Runner runs commands in one guest and copies files into it. The SSH client
// in this package implements it; tests use fakes.
type Runner interface {
	// Run runs cmd with /bin/sh -c in the guest. It returns the command's exit
	// status; err is non-nil only when the command could not be run or its
	// exit status is unknown (connection lost, context cancelled).
	Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (exit int, err error)
	// Upload copies a local file or directory tree to dst in the guest,
	// creating parent directories. Existing files are replaced.
	Upload(ctx context.Context, src, dst string) error
	// WriteFile writes data to path in the guest with the given mode.
	WriteFile(ctx context.Context, path string, data []byte, mode uint32) error
}
