package images

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestShow: the list table and its JSON show a broken tag beside good
// images, the table saying on problems how to remove it, and Describe
// says what a removal did.
func TestShow(t *testing.T) {
	img := &Image{Manifest: Manifest{Name: "debian-12", Digest: strings.Repeat("ab", 32), Source: SourceBuild,
		Built: time.Date(2025, 1, 2, 3, 4, 0, 0, time.Local), Kernel: "6.1.0-28-amd64", Size: 700 << 20}}
	ents := []Entry{{Name: "debian-12", Image: img}, {Name: "gone", Err: errors.New("image folder missing")}}
	var out, problems, js strings.Builder
	if err := WriteTable(&out, &problems, ents); err != nil {
		t.Fatal(err)
	}
	want := "NAME       DIGEST        SIZE    BUILT             SOURCE      KERNEL\n" +
		"debian-12  abababababab  700 MB  2025-01-02 03:04  mmdebstrap  6.1.0-28-amd64\n" +
		"gone       -             -       -                 broken      -\n"
	if out.String() != want || problems.String() != "image gone is broken (image folder missing); `vlab images rm gone` removes its tag\n" {
		t.Errorf("table:\n%q\nwant\n%q\nproblems: %q", out.String(), want, problems.String())
	}
	if err := WriteJSON(&js, ents); err != nil {
		t.Fatal(err)
	}
	if s := js.String(); !strings.Contains(s, `"name":"debian-12"`) || !strings.Contains(s, `{"tag":"gone","broken":"image folder missing"}`) {
		t.Errorf("json: %s", s)
	}
	if js.Reset(); WriteJSON(&js, nil) != nil || js.String() != "[]\n" {
		t.Errorf("json of no image: %q", js.String())
	}
	for r, want := range map[Removal]string{
		{}:                           "no image x: nothing removed",
		{Tag: true, Folder: "/d"}:    "removed image x and its files",
		{Tag: true}:                  "removed image x; its files stay, another tag uses them",
		{Tag: true, Broken: errGone}: "removed the broken tag x (its image folder was missing or unreadable)",
	} {
		if got := r.Describe("x"); got != want {
			t.Errorf("%+v: %q, want %q", r, got, want)
		}
	}
}

var errGone = errors.New("gone")
