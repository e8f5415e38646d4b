package debver

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// compareCases are ordered pairs: a sorts before b (want -1), or equal (0).
var compareCases = []struct {
	a, b string
	want int
}{
	{"2.0", "1:1.0", -1},           // epoch beats everything
	{"1.0~rc1", "1.0", -1},         // tilde before the end
	{"1.0~rc1", "1.0~rc2", -1},     //
	{"1.0~~", "1.0~", -1},          // more tildes sort earlier
	{"1.0~~a", "1.0~", -1},         //
	{"1.0-1", "1.0-1+deb12u1", -1}, // security updates sort after
	{"1.0-1+deb12u1", "1.0-1+deb12u2", -1},
	{"1.0-1+deb12u9", "1.0-1+deb12u10", -1}, // digit runs numerically
	{"2.30-1~bpo", "2.30-1", -1},            // backports sort before the release
	{"2.30-1~bpo12+1", "2.30-1", -1},        //
	{"1.0", "1.0a", -1},                     // end before letters
	{"1.0a", "1.0+", -1},                    // letters before non-letters
	{"1.0Z", "1.0a", -1},                    // ASCII order among letters
	{"1.0.", "1.0a", 1},                     // "." is a non-letter
	{"1.9", "1.10", -1},                     //
	{"1.002", "1.2", 0},                     // leading zeros do not count
	{"1.0", "0:1.0", 0},                     // explicit zero epoch
	{"1.0", "1.0-0", 0},                     // empty revision equals "0"
	{"1.22.1-9", "1.22.1-9+deb12u2", -1},
	{"1.18.0-6.1+deb11u3", "1.22.1-9", -1},
	{"1:0.63-4", "1:0.63-4", 0},
	{"10", "9", 1},
	{"1.0-1", "1.0-a", -1},                                // revisions use the same rules
	{"1-2-3", "1-2-4", -1},                                // upstream "1-2", revision "3"
	{"1.0+dfsg-1", "1.0-1", 1},                            // "+" beats the end
	{"99999999999999999999", "100000000000000000000", -1}, // beyond uint64
}

func TestCompare(t *testing.T) {
	for _, tt := range compareCases {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			got, err := Compare(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if back, _ := Compare(tt.b, tt.a); back != -tt.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tt.b, tt.a, back, -tt.want)
			}
		})
	}
}

// TestCompareMatchesDpkg checks every table case against the host's dpkg
// when there is one.
func TestCompareMatchesDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg on this host")
	}
	ops := map[int]string{-1: "lt", 0: "eq", 1: "gt"}
	for _, tt := range compareCases {
		err := exec.Command("dpkg", "--compare-versions", tt.a, ops[tt.want], tt.b).Run()
		if err != nil {
			t.Errorf("dpkg disagrees: %s %s %s is false", tt.a, ops[tt.want], tt.b)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Version
	}{
		{"1.22.1-9", Version{0, "1.22.1", "9"}},
		{"1:0.63-4", Version{1, "0.63", "4"}},
		{"2.36-9+deb12u4", Version{0, "2.36", "9+deb12u4"}},
		{"1.2-3-4", Version{0, "1.2-3", "4"}},
		{"7.0~rc1", Version{0, "7.0~rc1", ""}},
		{" 3.1 ", Version{0, "3.1", ""}},
	} {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range []struct{ in, wantErr string }{
		{"", "is empty"},
		{"a1.0", `does not start with a digit`},
		{":1.0", "epoch before the colon is empty"},
		{"x:1.0", `epoch "x" is not a number`},
		{"-1:1.0", `epoch "-1" is not a number`},
		{"99999999999:1.0", "too big"},
		{"1.0-", "revision after the last hyphen is empty"},
		{"1:", "upstream version is empty"},
		{"-1", "upstream version is empty"},
		{"1.0_1", `invalid character '_' in upstream version`},
		{"1.0-1_2", `invalid character '_' in revision`},
		{"1:2:3", `invalid character ':' in upstream version`},
		{"1.0 beta", "embedded spaces"},
		{"1.0-é", "invalid character"},
	} {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error containing %q", tt.in, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "debian version") {
			t.Errorf("Parse(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"0:1.0-1":   "1.0-1",
		"2:1.0~rc1": "2:1.0~rc1",
		"1.2-3-4":   "1.2-3-4",
		"1:0.63-4":  "1:0.63-4",
	} {
		if got := MustParse(in).String(); got != want {
			t.Errorf("MustParse(%q).String() = %q, want %q", in, got, want)
		}
	}
}

func TestSortsLikeDebian(t *testing.T) {
	vs := []Version{MustParse("1.22.1-9+deb12u2"), MustParse("1.18.0-6.1"), MustParse("1.22.1-9"),
		MustParse("1:1.0"), MustParse("1.22.1-9~bpo11+1"), MustParse("1.22.1~rc1-1")}
	slices.SortFunc(vs, Version.Compare)
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{"1.18.0-6.1", "1.22.1~rc1-1", "1.22.1-9~bpo11+1", "1.22.1-9", "1.22.1-9+deb12u2", "1:1.0"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted = %v, want %v", got, want)
	}
}
