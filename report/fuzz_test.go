package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// FuzzParse checks that no input makes Parse panic, and that whatever it
// accepts drafts a lab that validates.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(filepath.Base(file), data, "")
		}
	}
	f.Add("x.md", []byte("## Timeline\n| When | Day | Tag |\n|-|-|-|\n| 9:00 pm | Mar 3 | [inject] |"), "markdown")
	f.Add("x.wiki", []byte("{{a|{{b|c}}\n==Timeline==\n{|\n|x||y\n|}\n*Jan 31st 2024 23:59:59 a\n**b"), "wikitext")
	f.Fuzz(func(t *testing.T, name string, data []byte, format string) {
		fm, err := ParseFormat(format)
		if err != nil {
			return
		}
		r, err := Parse(name, data, fm)
		if err != nil {
			return
		}
		lab, err := r.Draft("fuzz")
		if err != nil {
			t.Fatalf("draft: %v", err)
		}
		if _, err := labfile.Parse("labs/fuzz/lab.yaml", lab); err != nil {
			t.Fatalf("drafted lab does not validate: %v\n%s", err, lab)
		}
	})
}
