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
	"bytes"
	_ "embed"
	"regexp"
	"strconv"
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
const Latest = "kit-14"

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
	{"db", "kit-4", "MariaDB: the primary of a section, or a replica of it"},
	{"cache", "kit-6", "a CDN cache node: nginx terminating TLS in front of varnish, origins from hiera (or etcd, kit-7)"},
	{"conf", "kit-7", "etcd and conftool's pooled state of the lab's servers, which kit-confd renders"},
	{"client", "kit-11", "a lab's observer: extra source addresses, many connections, the triggers' open-files limit"},
	{"app", "kit-13", "an application server: MediaWiki on php-fpm behind nginx, memcached, a config repository deployed with deploy-config"},
}

// Released reports whether tag is a revision of the kit's history that
// vlab carries (a tag in the bundle's list of references).
func Released(tag string) bool {
	if !ValidTag(tag) {
		return false
	}
	head, _, _ := bytes.Cut(history, []byte("\n\n"))
	return bytes.Contains(append(head, '\n'), []byte(" refs/tags/"+tag+"\n"))
}

// RoleAt finds role name as the kit has it at revision tag; false when
// the kit has no such role, or not yet at that revision.
func RoleAt(name, tag string) (Role, bool) {
	n, ok := tagNumber(tag)
	for _, r := range Roles {
		if s, _ := tagNumber(r.Since); ok && r.Name == name && s <= n {
			return r, true
		}
	}
	return Role{}, false
}

func tagNumber(tag string) (int, bool) {
	if !ValidTag(tag) {
		return 0, false
	}
	n, err := strconv.Atoi(tag[len("kit-"):])
	return n, err == nil
}
