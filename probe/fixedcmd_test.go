package probe

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/probe/probetest"
)

// shellGuest answers commands by running them with the real /bin/sh, with
// PATH holding only stub tools that record their arguments (one a line)
// and stdin in dir, so that a test sees the argv a guest's tool would get.
func shellGuest(t *testing.T, tools ...string) (probetest.Answer, string) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	for _, tool := range tools {
		// Builtins only: PATH has nothing else, and a stub cat must not call itself.
		stub := "#!/bin/sh\nprintf '%s\\n' \"${0##*/}\" \"$@\" >>" + dir + "/argv\n" +
			"while IFS= read -r l; do printf '%s\\n' \"$l\"; done >>" + dir + "/stdin\n"
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return func(cmd, stdin string) probetest.Reply {
		c := exec.CommandContext(context.Background(), "/bin/sh", "-c", cmd)
		c.Env = []string{"PATH=" + bin}
		c.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		c.Stdout, c.Stderr = &out, &errOut
		c.Run()
		return probetest.Reply{Stdout: out.String(), Stderr: errOut.String(), Exit: c.ProcessState.ExitCode()}
	}, dir
}

// TestFixedCommandsArgv: what a typed probe runs reaches each tool as the
// words vlab meant, whatever quotes or dollars the lab's values hold.
func TestFixedCommandsArgv(t *testing.T) {
	for _, tt := range []struct {
		name, spec string
		tools      []string
		argv       string
		stdin      string
	}{
		{"http", `http: {url: "http://127.0.0.1/a?b='$(x)'&c", method: POST, timeout: 2s}`, []string{"curl"},
			"curl --silent --show-error --globoff --proto =http,https --max-time 2 --write-out %{stderr}vlab-http %{http_code} %{time_total}\\n " +
				"--dump-header - --request POST --url http://127.0.0.1/a?b='$(x)'&c", ""},
		{"http head", `http: {url: "http://127.0.0.1/", method: HEAD}`, []string{"curl"},
			"curl --silent --show-error --globoff --proto =http,https --max-time 5 --write-out %{stderr}vlab-http %{http_code} %{time_total}\\n --head --url http://127.0.0.1/", ""},
		{"tcp", `tcp: {host: db, port: 3306, timeout: 1500ms}`, []string{"timeout", "bash"},
			`timeout 2 bash -c exec 3<>"/dev/tcp/$0/$1" db 3306`, ""},
		{"systemd", `systemd: {unit: "getty@tty1.service"}`, []string{"systemctl"},
			"systemctl show --property=LoadState,ActiveState,SubState -- getty@tty1.service", ""},
		{"disk-free", `disk-free: {path: "/srv/it's $HOME", min: 1G}`, []string{"df"}, "df -P -B1 -- /srv/it's $HOME", ""},
		{"rate file", `rate: {file: "/run/a b", min: 1}`, []string{"cat", "head"}, "cat /proc/uptime head -c 65536 -- /run/a b", ""},
		{"rate unit", `rate: {unit: nginx.service, property: NRestarts, max: 1}`, []string{"cat", "systemctl"},
			"cat /proc/uptime systemctl show --value --property=NRestarts -- nginx.service", ""},
		{"sql", `sql: {query: "SELECT '$(id)'", database: shop, equals: "1"}`, []string{"mysql"},
			"mysql --batch --connect-timeout=10 --skip-column-names --database=shop", "SELECT '$(id)';\n"},
		{"replication-lag", `replication-lag: {max: 5s}`, []string{"mariadb", "mysql"}, "mariadb --batch --connect-timeout=10", "SHOW SLAVE STATUS;\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			answer, dir := shellGuest(t, tt.tools...)
			checkTyped(t, typedLab(t, tt.spec), answer)
			data, _ := os.ReadFile(filepath.Join(dir, "argv"))
			got := strings.Join(strings.Split(strings.TrimSpace(string(data)), "\n"), " ")
			if got != tt.argv {
				t.Errorf("argv\n %s\nwant\n %s", got, tt.argv)
			}
			in, _ := os.ReadFile(filepath.Join(dir, "stdin"))
			if string(in) != tt.stdin {
				t.Errorf("stdin %q, want %q", in, tt.stdin)
			}
		})
	}
}

// TestFixedCommandsMissingTool: a tool missing in the guest makes the
// probe an error that names it, never a failure.
func TestFixedCommandsMissingTool(t *testing.T) {
	for _, tt := range []struct{ spec, msg string }{
		{`http: {url: "http://127.0.0.1/"}`, "curl missing in vm web"},
		{`tcp: {port: 22}`, "timeout and bash missing in vm web"},
		{`systemd: {unit: nginx.service}`, "systemctl missing in vm web"},
		{`disk-free: {path: /, min: 1G}`, "df missing in vm web"},
		{`sql: {query: "SELECT 1", equals: "1"}`, "the mariadb (or mysql) client missing in vm web"},
	} {
		answer, _ := shellGuest(t)
		r, _, _ := checkTyped(t, typedLab(t, tt.spec), answer)
		if res := r.Results[0]; res.Status != Error || !strings.Contains(res.Message, tt.msg) || r.ExitCode() != 2 {
			t.Errorf("%s: got %s %q (exit %d), want an error containing %q", tt.spec, res.Status, res.Message, r.ExitCode(), tt.msg)
		}
	}
}
