package lock

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAcquireWaitsBoundedAndNamesHolder(t *testing.T) {
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "sub", "l")
	a, err := Acquire(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.SetHolder("standby")
	var asked string
	start := time.Now()
	_, err = Acquire(ctx, p, Options{Wait: func(h string) time.Duration { asked = h; return 100 * time.Millisecond }})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "standby") || asked != "standby" {
		t.Fatalf("second Acquire: %v (holder asked %q)", err, asked)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("waited %s, want about 100ms", d)
	}
	// A waiter gets the lock once the holder lets go.
	go func() { time.Sleep(50 * time.Millisecond); a.Unlock() }()
	b, err := Acquire(ctx, p, Options{Wait: Fixed(5 * time.Second)})
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	b.Unlock()
}

func TestAcquireFollowsContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "l")
	a, _ := Acquire(context.Background(), p, Options{})
	defer a.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, p, Options{Wait: Fixed(time.Hour)}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire under a cancelled context: %v", err)
	}
}

func TestAcquireRefusesSymlinkAndNoCreate(t *testing.T) {
	dir := t.TempDir()
	if _, err := Acquire(context.Background(), filepath.Join(dir, "gone", "l"), Options{NoCreate: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NoCreate of a missing lock: %v", err)
	}
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep"), 0o644)
	os.Symlink(target, filepath.Join(dir, "link"))
	if _, err := Acquire(context.Background(), filepath.Join(dir, "link"), Options{}); err == nil {
		t.Error("a lock file that is a symlink was followed")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the symlink's target was written: %q", b)
	}
}

func TestPrivateDirRefusesAnotherUsersFolder(t *testing.T) {
	tmp := t.TempDir()
	uid := os.Geteuid()
	if d, err := ensurePrivate(filepath.Join(tmp, "mine"), uid); err != nil {
		t.Fatal(err)
	} else if fi, _ := os.Stat(d); fi.Mode().Perm() != 0o700 {
		t.Errorf("%s has mode %v", d, fi.Mode())
	}
	open := filepath.Join(tmp, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if _, err := ensurePrivate(open, uid); err == nil {
		t.Error("a world-writable lock folder was accepted")
	}
	os.Symlink(filepath.Join(tmp, "mine"), filepath.Join(tmp, "link"))
	if _, err := ensurePrivate(filepath.Join(tmp, "link"), uid); err == nil {
		t.Error("a symlinked lock folder was accepted")
	}
	if _, err := ensurePrivate(filepath.Join(tmp, "mine"), uid+1); err == nil {
		t.Error("a folder of another user was accepted")
	}
}
