package provision

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// floodRunner is a guest whose commands matching flood print size bytes
// without a newline and fail; other commands succeed silently.
type floodRunner struct {
	fakeRunner
	flood string
	size  int
}

func (f *floodRunner) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if !strings.Contains(cmd, f.flood) {
		return f.fakeRunner.Run(ctx, cmd, stdin, stdout, stderr)
	}
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for n := 0; n < f.size; n += len(chunk) {
		stdout.Write(chunk)
	}
	return 1, nil
}

// allocated runs fn and returns how many bytes it allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A run step that prints 64 MiB without a newline leaves a short error and
// bounded memory; the provisioning log keeps its first logHead bytes and
// its last logTail, with a line saying how much was dropped between.
func TestRunStepOutputIsCapped(t *testing.T) {
	r := &floodRunner{fakeRunner: *newFakeRunner(nil), flood: "yes", size: 64 << 20}
	logPath := filepath.Join(t.TempDir(), "provision.log")
	log, err := createLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var runErr error
	grew := allocated(func() { runErr = RunScript(context.Background(), r, "yes | tr -d '\\n'", log) })
	if runErr == nil || len(runErr.Error()) > 400 || strings.Contains(runErr.Error(), "\n") {
		t.Fatalf("error is %d bytes: %.200q", len(runErr.Error()), runErr)
	}
	if grew > 16<<20 {
		t.Errorf("64 MiB of output allocated %d MiB", grew>>20)
	}
	fmt.Fprintln(log, "the end")
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(logPath)
	if err != nil || st.Size() > logHead+int64(logTail)+200 {
		t.Fatalf("log holds %v bytes (%v), want at most the first %d MiB and the last %d KiB", st.Size(), err, logHead>>20, logTail>>10)
	}
	data, _ := os.ReadFile(logPath)
	dropped := fmt.Sprintf("\n== vlab: %d bytes of output dropped here;", 64<<20-logHead-int64(logTail)+int64(len("the end\n")))
	if !bytes.Contains(data, []byte(dropped)) || !bytes.HasSuffix(data, []byte("xxxxthe end\n")) {
		t.Errorf("log lacks %q or its tail: ...%q", dropped, data[len(data)-logTail-200:][:300])
	}
}

// The same for a trigger's ready command, run until it times out.
func TestReadyOutputIsCapped(t *testing.T) {
	old := readyTimeout
	readyTimeout = 1500 * time.Millisecond
	defer func() { readyTimeout = old }()
	r := &floodRunner{fakeRunner: *newFakeRunner(nil), flood: "sh -c ", size: 32 << 20}
	ts := []labfile.Trigger{{Name: "web", VM: "b", Command: "serve", Ready: "cat /dev/zero"}}
	var err error
	grew := allocated(func() { err = StartTriggers(context.Background(), r, ts, ClientBinary{}, nil) })
	if err == nil || len(err.Error()) > 600 || !strings.Contains(err.Error(), "trigger web is not ready") {
		t.Fatalf("error is %d bytes: %.300q", len(err.Error()), err)
	}
	if grew > 16<<20 {
		t.Errorf("32 MiB of output per check allocated %d MiB", grew>>20)
	}
}

// Apply streams every step's output to the log, under a line naming the
// step, while the user sees only the progress lines.
func TestApplyWritesLog(t *testing.T) {
	lab, _ := testLab(t)
	r := newFakeRunner(guest(""))
	var progress, log strings.Builder
	_, err := Apply(context.Background(), ApplyOptions{
		Lab: lab, VM: "web", Runner: r, CacheDir: t.TempDir(), ImageDigest: "sha256:img1",
		Status: imageStatus(t), Progress: &progress, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"== vm web: puppet @ ", "Applied catalog", "== vm web: run restart nginx", "== vm web: triggers warm"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(progress.String(), "Applied catalog") || strings.Contains(progress.String(), "restart nginx ...\n") {
		t.Errorf("progress shows more than results:\n%s", progress.String())
	}
}
