// Package release says which version of vlab this is and whether it meets
// what a lab requires. The version comes from the source below unless the
// build sets it:
//
//	go build -ldflags "-X github.com/vlab-dev/vlab/internal/release.version=0.3.0" ./cmd/vlab
package release

import (
	"fmt"

	goversion "github.com/hashicorp/go-version"
)

// version is vlab's version: a release ("0.3.0") or a development build
// leading to one ("0.3.0-dev"). It is a variable so that -ldflags -X can
// set it.
var version = "0.3.0-dev"

// fallback is used when the build set a version that is not one.
const fallback = "0.3.0-dev"

// Version returns vlab's version as the build or the source gives it.
func Version() string { return version }

// Check reports whether this vlab meets requirement, a constraint such as
// ">= 0.3" or ">= 0.3, < 1.0". The error says which when it does not, or
// that requirement is not a constraint.
func Check(requirement string) error { return check(requirement, version) }

// check checks requirement against version ver. A development build
// counts as the release it leads to, so that the labs beside it, which
// require that release, work with it.
func check(requirement, ver string) error {
	c, err := goversion.NewConstraint(requirement)
	if err != nil {
		return fmt.Errorf("%q is not a version requirement like \">= 0.3\"", requirement)
	}
	v, err := goversion.NewVersion(ver)
	if err != nil { // a build that set a version that is none
		ver, v = fallback, goversion.Must(goversion.NewVersion(fallback))
	}
	if !c.Check(v.Core()) {
		return fmt.Errorf("the lab needs vlab %s, this is vlab %s: upgrade vlab", c, ver)
	}
	return nil
}
