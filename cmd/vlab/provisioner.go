package main

import (
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/provision"
)

// provisioner applies labs' provision steps; what guests print goes in
// full to provision-<vm>.log in the instance's folder dir.
func (e *env) provisioner(dir string) instance.Provisioner {
	return provision.NewLabProvisioner(provision.LabProvisionerOptions{CacheDir: e.home.Cache(), Progress: e.stderr, Verbose: e.verbose(), LogDir: dir})
}
