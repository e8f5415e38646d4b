// Package kit is vlab's kit: a small production as a puppet code base
// (kit/puppet: roles → profiles → modules, hiera per host, per role and
// in common, one site.pp) that labs pin at a revision and break with a
// commit of their own. A revision is a tag kit-N of the kit's own history,
// kept in kit/history.bundle and carried inside vlab (embedded here), so
// that it resolves offline, in a shallow clone of vlab's repository and in
// a `vlab bundle`. scripts/kit-release appends a revision; docs/KIT.md
// describes the roles and their hiera knobs.
package kit

import (
	_ "embed"
	"regexp"
)

//go:embed history.bundle
var history []byte

// History returns the kit's history as a git bundle: branch main and the
// tags kit-1, kit-2, ...
func History() []byte { return history }

// Name is how a lab refers to the kit's history in messages.
const Name = "vlab's kit"

var tagPattern = regexp.MustCompile(`^kit-[1-9][0-9]{0,5}$`)

// ValidTag reports whether s names a kit revision, such as kit-3.
func ValidTag(s string) bool { return tagPattern.MatchString(s) }

// Latest is the newest kit revision: what a new lab pins. `go test ./kit`
// fails when it is not the history's newest tag.
const Latest = "kit-5"

// A Role is one of the kit's roles, as a lab names it in a puppet step.
type Role struct {
	Name    string
	Since   string // the first kit revision that has it
	Summary string
}

// Roles are the kit's roles at Latest. `go test ./kit` checks them against
// kit/puppet/modules/role; docs/KIT.md describes their knobs.
var Roles = []Role{
	{"edge", "kit-1", "nginx in front of application servers: sites, rate limits, long-polls"},
	{"web", "kit-3", "the edge and a small static application server on one node"},
	{"db", "kit-4", "MariaDB: the primary of a section, or a replica of it"},
}
