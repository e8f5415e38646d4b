// Package vlab holds files that ship inside the vlab binary; the code lives
// in the sub-packages. It exists only because go:embed cannot reach a
// parent folder: Vagrantfile.tmpl stays at the top of the repository, where
// the design names it and where a Vagrant user looks for it, so the Go file
// that embeds it must stand beside it.
package vlab

import _ "embed"

// VagrantfileTemplate is Vagrantfile.tmpl, the text/template each Vagrant
// project of vlab is rendered from.
//
//go:embed Vagrantfile.tmpl
var VagrantfileTemplate string
