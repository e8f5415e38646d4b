package provision

import (
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
)

// fakeRunner records what provisioning asks of a guest. respond, when set,
// decides each command's output and exit status.
type fakeRunner struct {
	mu      sync.Mutex
	cmds    []string
	uploads map[string]string // guest path -> host path
	files   map[string]fakeFile
	respond func(cmd string) (stdout string, exit int)
}

type fakeFile struct {
	data []byte
	mode uint32
}

var _ Runner = (*fakeRunner)(nil)

func newFakeRunner(respond func(cmd string) (string, int)) *fakeRunner {
	return &fakeRunner{uploads: map[string]string{}, files: map[string]fakeFile{}, respond: respond}
}

func (f *fakeRunner) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	if f.respond == nil {
		return 0, nil
	}
	out, exit := f.respond(cmd)
	io.WriteString(stdout, out)
	return exit, nil
}

func (f *fakeRunner) Upload(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads[dst] = src
	return nil
}

func (f *fakeRunner) WriteFile(ctx context.Context, path string, data []byte, mode uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = fakeFile{data: append([]byte(nil), data...), mode: mode}
	return nil
}

// ran returns the index of the first command containing each part, in
// order, and fails the test when one is missing or out of order.
func (f *fakeRunner) ran(t *testing.T, parts ...string) {
	t.Helper()
	i := 0
	for _, p := range parts {
		for i < len(f.cmds) && !strings.Contains(f.cmds[i], p) {
			i++
		}
		if i == len(f.cmds) {
			t.Fatalf("no command containing %q (in order); commands:\n%s", p, strings.Join(f.cmds, "\n"))
		}
		i++
	}
}
