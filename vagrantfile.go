// Package vlab holds files that ship inside the vlab binary; the code lives
// in the sub-packages.
package vlab

import _ "embed"

// VagrantfileTemplate is Vagrantfile.tmpl, the text/template each Vagrant
// project of vlab is rendered from.
//
//go:embed Vagrantfile.tmpl
var VagrantfileTemplate string
