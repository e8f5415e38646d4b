package labfile

import (
	gpath "path"
	"regexp"

	"github.com/vlab-dev/vlab/kit"
)

// A puppet step on vlab's kit names the kit revision (kit: kit-N) and the
// VM's role. Without repo it applies the kit itself at that revision;
// with repo, the lab's own repository (a bundle in the lab folder), whose
// revision adds the incident as commits on top of the kit's: it must hold
// kit-N's commit in its history. The tree has the kit's layout, so
// manifest, modulepath and hiera default to it; and the guest gets a real
// clone with its history (clone:) that the kit's puppet-run applies.

// DefaultKitClone is where a kit step's clone goes in the guest.
const DefaultKitClone = "/etc/puppet/code/kit"

var (
	roleName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	// guestDir is a folder vlab writes into a guest's config (the facts
	// file) and commands: letters, digits and ._-/ only.
	guestDir  = regexp.MustCompile(`^/[A-Za-z0-9._/-]{1,200}$`)
	hieraName = regexp.MustCompile(`^(lookup_options|[a-z][a-z0-9_]*(::[a-z][a-z0-9_]*)+)$`)
)

// kitDefaults fills in a kit step's revision, layout and clone.
func (pp *Puppet) kitDefaults() {
	if pp.Kit == "" {
		return
	}
	if pp.Repo == "" && pp.Revision == "" {
		pp.Revision = pp.Kit
	}
	if pp.Manifest == "" {
		pp.Manifest = "manifests/site.pp"
	}
	if pp.ModulePath == nil {
		pp.ModulePath = []string{"modules"}
	}
	if pp.Hiera == "" {
		pp.Hiera = "hiera.yaml"
	}
	if pp.Clone == "" {
		pp.Clone = DefaultKitClone
	}
}

// puppetStep checks a puppet step: a repository at a revision, or the kit.
func (v *validator) puppetStep(p path, pp *Puppet) {
	switch {
	case pp.Kit != "" && !kit.ValidTag(pp.Kit):
		v.errf(p.with("kit"), "%q is not a kit revision such as kit-1 (scripts/kit-release lists them)", pp.Kit)
	case pp.Kit != "" && !kit.Released(pp.Kit):
		v.errf(p.with("kit"), "%s is not a released revision of the kit; the newest is %s (docs/KIT.md)", pp.Kit, kit.Latest)
	case pp.Repo == "" && pp.Kit == "":
		v.errf(p.with("repo"), "missing; a local path or a git URL, or kit: for vlab's kit")
	case pp.Repo != "":
		v.puppetRepo(p.with("repo"), pp.Repo)
	}
	if pp.Kit != "" && pp.Repo == "" && pp.Revision != pp.Kit {
		v.errf(p.with("revision"), "%q: the kit's revision is its kit: tag; give repo: for commits of the lab's own", pp.Revision)
	}
	if pp.Revision == "" {
		v.errf(p.with("revision"), "missing; pin a commit, tag or branch")
	}
	if pp.Kit != "" && !roleName.MatchString(pp.Role) {
		v.errf(p.with("role"), "%q: a kit step names the VM's role, a puppet class name under role:: such as edge", pp.Role)
	} else if _, ok := kit.RoleAt(pp.Role, pp.Kit); pp.Repo == "" && kit.Released(pp.Kit) && !ok {
		// Commits of the lab's own (repo:) may add roles; the kit alone has its own.
		v.errf(p.with("role"), "%q: the kit has no such role at %s (docs/KIT.md lists the roles and the revision each came in)", pp.Role, pp.Kit)
	}
	if pp.Role != "" && pp.Kit == "" && !roleName.MatchString(pp.Role) {
		v.errf(p.with("role"), "%q is not a role name such as edge", pp.Role)
	}
	if pp.Clone != "" && !cleanGuestDir(pp.Clone) {
		v.errf(p.with("clone"), "%q: the clone's folder is a clean absolute path in the guest, such as %s", pp.Clone, DefaultKitClone)
	}
	if len(pp.Data) > 0 && pp.Clone == "" {
		v.errf(p.with("data"), "hiera data is committed into the guest's clone: give clone: (a kit step has one)")
	}
	for k := range pp.Data {
		if !hieraName.MatchString(k) {
			v.errf(p.with("data", k), "%q is not a hiera key such as profile::nginx_edge::worker_connections", k)
		}
	}
	v.treePaths(p, pp)
}

// cleanGuestDir reports whether s is a clean absolute folder of the guest,
// other than /, written with letters, digits and ._-/ only.
func cleanGuestDir(s string) bool {
	return guestDir.MatchString(s) && gpath.Clean(s) == s && s != "/"
}
