package labfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

func writeTestLab(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shop")
	os.MkdirAll(filepath.Join(dir, "tests"), 0o755)
	os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte("name: shop\ntitle: t\nvms:\n  - name: web\n  - name: db\n"), 0o644)
	for n, body := range scripts {
		os.WriteFile(filepath.Join(dir, "tests", n), []byte(body), 0o755)
	}
	return filepath.Join(dir, "lab.yaml")
}

func TestTestScriptsSections(t *testing.T) {
	p := writeTestLab(t, map[string]string{
		"fix-two.sh":   "#!/bin/sh\nset -eu\n# vm: db\nmysql -e 'x'\n# vm: web\nsystemctl restart app\n",
		"cheat-one.sh": "#!/bin/sh\n# vm: web\n# a comment\ntrue\n",
		"README.md":    "not a script",
		"helper.sh":    "# vm: nosuch\n", // not <kind>-<name>.sh: not a test script
	})
	lab, err := labfile.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := lab.TestScripts()
	if err != nil || len(s) != 2 {
		t.Fatalf("TestScripts = %+v, %v", s, err)
	}
	if s[0].Name != "cheat-one" || s[0].Kind != labfile.KindCheat || len(s[0].Sections) != 1 || s[0].Sections[0].VM != "web" {
		t.Errorf("cheat-one: %+v", s[0])
	}
	fix := s[1]
	if fix.Kind != labfile.KindFix || len(fix.Sections) != 2 {
		t.Fatalf("fix-two: %+v", fix)
	}
	if db := fix.Sections[0]; db.VM != "db" || db.Line != 3 || db.Body != "#!/bin/sh\nset -eu\nmysql -e 'x'\n" {
		t.Errorf("db section %+v", db)
	}
	if web := fix.Sections[1]; web.VM != "web" || web.Body != "#!/bin/sh\nset -eu\nsystemctl restart app\n\n" {
		t.Errorf("web section %q", web.Body)
	}
}

func TestTestScriptsValidated(t *testing.T) {
	for _, tt := range []struct {
		name, body, want string
	}{
		{"fix-nosuch.sh", "#!/bin/sh\n# vm: nosuch\ntrue\n", `fix-nosuch.sh:2: # vm: "nosuch" is not a VM of the lab; it has web, db`},
		{"cheat-novm.sh", "#!/bin/sh\ntrue\n", "cheat-novm.sh: no `# vm: NAME` line"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := labfile.Load(writeTestLab(t, map[string]string{tt.name: tt.body}))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want %q", err, tt.want)
			}
		})
	}
}
