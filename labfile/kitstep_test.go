package labfile_test

import (
	"testing"

	"github.com/vlab-dev/vlab/kit"
	"github.com/vlab-dev/vlab/labfile"
)

func TestKitSteps(t *testing.T) {
	wantProblems(t, "kit-steps.yaml", []string{
		`:9: vms[1].provision[0].puppet.kit: "v1" is not a kit revision such as kit-1 (scripts/kit-release lists them)`,
		`:9: vms[1].provision[0].puppet.role: "Edge-1": a kit step names the VM's role, a puppet class name under role:: such as edge`,
		`:10: vms[1].provision[1].puppet.revision: "main": the kit's revision is its kit: tag; give repo: for commits of the lab's own`,
		`:11: vms[1].provision[2].puppet.clone: "tmp/x": the clone's folder is a clean absolute path in the guest, such as /etc/puppet/code/kit`,
		`:12: vms[1].provision[3].puppet.repo: missing; a local path or a git URL, or kit: for vlab's kit`,
		`:12: vms[1].provision[3].puppet.revision: missing; pin a commit, tag or branch`,
		`:13: vms[1].provision[4].puppet.repo: p.bundle not found in the lab folder`,
		`:13: vms[1].provision[4].puppet.data: hiera data is committed into the guest's clone: give clone: (a kit step has one)`,
		`:13: vms[1].provision[4].puppet.data.x: "x" is not a hiera key such as profile::nginx_edge::worker_connections`,
		`:14: vms[1].provision[5].puppet.data.nginx worker: "nginx worker" is not a hiera key such as profile::nginx_edge::worker_connections`,
		`:15: vms[1].provision[6].git.repo: missing.bundle not found in the lab folder`,
		`:15: vms[1].provision[6].git.revision: missing; pin a commit, tag or branch`,
		`:15: vms[1].provision[6].git.dest: "srv/app": the clone's folder is a clean absolute path in the guest, such as /srv/deploy/shop-config`,
		`:16: vms[1].provision[7].puppet.kit: kit-99 is not a released revision of the kit; the newest is ` + kit.Latest + ` (docs/KIT.md)`,
		`:17: vms[1].provision[8].puppet.role: "db": the kit has no such role at kit-2 (docs/KIT.md lists the roles and the revision each came in)`,
	})
}

func TestKitStepDefaults(t *testing.T) {
	lab, err := labfile.Parse("kit.yaml", []byte("name: k\ntitle: k\nvms:\n  - name: web\n    provision:\n      - puppet: {kit: kit-1, role: edge}\n"))
	if err != nil {
		t.Fatal(err)
	}
	pp := lab.VMs[0].Provision[0].Puppet
	if pp.Revision != "kit-1" || pp.Manifest != "manifests/site.pp" || len(pp.ModulePath) != 1 || pp.Hiera != "hiera.yaml" || pp.Clone != labfile.DefaultKitClone {
		t.Errorf("kit step defaults: %+v", pp)
	}
}

func TestServiceNames(t *testing.T) {
	wantProblems(t, "invalid-names.yaml", []string{
		`:8: vms[0].names[1]: "-bad.example" is not a host name such as upload.example.org`,
		`:8: vms[0].names[2]: "app" already names vm app`,
		`:10: vms[1].names[0]: "www.shop.example" already names vm edge`,
		`:10: vms[1].names: names resolve over a lab network: give the VM networks:`,
	})
}
