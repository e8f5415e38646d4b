// Package debver parses and orders Debian package version strings
// ([epoch:]upstream[-revision]) by the rules of Debian policy §5.6.12 and
// dpkg: "~" sorts before everything, letters before other characters, and
// runs of digits compare as numbers. Debian versions are not semver.
package debver

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Version is a parsed Debian version string.
type Version struct {
	Epoch    uint32
	Upstream string
	Revision string // empty when the version has no hyphen
}

// Parse reads a Debian version string. It rejects what dpkg and policy
// reject: an empty part, a non-numeric epoch, an upstream version that does
// not start with a digit, and characters outside [A-Za-z0-9.+~-] (no hyphen
// in the revision).
func Parse(s string) (Version, error) {
	var v Version
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return v, fmt.Errorf("debian version %q is empty", orig)
	}
	if strings.ContainsAny(s, " \t\n") {
		return v, fmt.Errorf("debian version %q has embedded spaces", orig)
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		e, err := parseEpoch(s[:i])
		if err != nil {
			return v, fmt.Errorf("debian version %q: %w", orig, err)
		}
		v.Epoch, s = e, s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.Revision, s = s[i+1:], s[:i]
		if v.Revision == "" {
			return v, fmt.Errorf("debian version %q: revision after the last hyphen is empty", orig)
		}
	}
	v.Upstream = s
	if err := v.check(); err != nil {
		return v, fmt.Errorf("debian version %q: %w", orig, err)
	}
	return v, nil
}

func parseEpoch(s string) (uint32, error) {
	if s == "" {
		return 0, fmt.Errorf("epoch before the colon is empty")
	}
	for _, c := range []byte(s) {
		if !isDigit(c) {
			return 0, fmt.Errorf("epoch %q is not a number", s)
		}
	}
	e, err := strconv.ParseUint(s, 10, 32)
	if err != nil || e > math.MaxInt32 {
		return 0, fmt.Errorf("epoch %q is too big", s)
	}
	return uint32(e), nil
}

func (v Version) check() error {
	if v.Upstream == "" {
		return fmt.Errorf("upstream version is empty")
	}
	if !isDigit(v.Upstream[0]) {
		return fmt.Errorf("upstream version %q does not start with a digit", v.Upstream)
	}
	for _, c := range []byte(v.Upstream) {
		if !isAlnum(c) && !strings.ContainsRune(".+~-", rune(c)) {
			return fmt.Errorf("invalid character %q in upstream version %q", c, v.Upstream)
		}
	}
	for _, c := range []byte(v.Revision) {
		if !isAlnum(c) && !strings.ContainsRune(".+~", rune(c)) {
			return fmt.Errorf("invalid character %q in revision %q", c, v.Revision)
		}
	}
	return nil
}

// MustParse is Parse for constants in tests and tables; it panics on an
// invalid version.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String writes the version as dpkg does: the epoch only when it is not 0,
// the revision only when there is one.
func (v Version) String() string {
	s := v.Upstream
	if v.Epoch != 0 {
		s = strconv.FormatUint(uint64(v.Epoch), 10) + ":" + s
	}
	if v.Revision != "" {
		s += "-" + v.Revision
	}
	return s
}

// Compare returns -1, 0 or +1 as v sorts before, equal to or after w.
// Versions that differ only in an explicit "0:" epoch or a "-0" revision
// are equal, as in dpkg.
func (v Version) Compare(w Version) int {
	switch {
	case v.Epoch < w.Epoch:
		return -1
	case v.Epoch > w.Epoch:
		return 1
	}
	if c := comparePart(v.Upstream, w.Upstream); c != 0 {
		return c
	}
	return comparePart(v.Revision, w.Revision)
}

// Equal reports whether v and w are the same version for dpkg.
func (v Version) Equal(w Version) bool { return v.Compare(w) == 0 }

// Compare parses a and b and compares them like Version.Compare.
func Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

// comparePart is dpkg's verrevcmp: alternate non-digit runs compared
// character by character with order, and digit runs compared as numbers.
func comparePart(a, b string) int {
	for a != "" || b != "" {
		var na, nb string
		na, a = span(a, false)
		nb, b = span(b, false)
		if c := compareLexical(na, nb); c != 0 {
			return c
		}
		na, a = span(a, true)
		nb, b = span(b, true)
		if c := compareNumeric(na, nb); c != 0 {
			return c
		}
	}
	return 0
}

// span splits s after its leading run of digits (digits true) or of
// non-digits (digits false).
func span(s string, digits bool) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}

func compareLexical(a, b string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		oa, ob := order(a, i), order(b, i)
		if oa != ob {
			return sign(oa - ob)
		}
	}
	return 0
}

// order ranks the character at s[i]: "~" before the end of the string,
// the end before letters, letters before everything else.
func order(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case c == '~':
		return -1
	case isAlpha(c):
		return int(c)
	default:
		return int(c) + 256
	}
}

func compareNumeric(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
