package main

import (
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/provision"
)

// provisioner applies labs' provision steps; what guests print goes in
// full to provision-<vm>.log in the instance's folder dir.
func (e *env) provisioner(dir string) instance.Provisioner {
	return provision.NewLabProvisioner(provision.LabProvisionerOptions{CacheDir: e.home.Cache(), Progress: e.stderr, Verbose: e.verbose(), LogDir: dir})
}

// startAttempt records in the instance's journal that the trainee got a
// fresh lab.
func (e *env) startAttempt(inst *instance.Instance, by string) error {
	j, err := incident.Open(inst.Dir)
	if err != nil {
		return err
	}
	defer j.Close()
	s := incident.Session{Journal: j}
	return s.StartAttempt(by)
}
