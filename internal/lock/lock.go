// Package lock takes exclusive advisory locks (flock) on files between vlab
// processes. Every wait is bounded and follows a context, so that no
// command hangs forever behind another process's lock, and the holder can
// leave a word in the file saying who it is.
package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrBusy is wrapped when the lock stays held past the wait.
var ErrBusy = errors.New("held by another process")

// Options tune Acquire.
type Options struct {
	// Wait says how long to wait for the current holder, given what it
	// wrote in the file (see SetHolder); nil or 0 fails at once.
	Wait func(holder string) time.Duration
	// NoCreate refuses a lock file that does not exist (wrapping
	// os.ErrNotExist) instead of creating it and its folder.
	NoCreate bool
}

// File is a held lock.
type File struct{ f *os.File }

// poll is how often a busy lock is tried again.
const poll = 20 * time.Millisecond

// Acquire takes the lock on path.
func Acquire(ctx context.Context, path string, opt Options) (*File, error) {
	flags := os.O_RDWR | syscall.O_NOFOLLOW | syscall.O_CLOEXEC
	if !opt.NoCreate {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	var deadline time.Time
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &File{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		holder := readHolder(f)
		if deadline.IsZero() {
			var wait time.Duration
			if opt.Wait != nil {
				wait = opt.Wait(holder)
			}
			deadline = time.Now().Add(wait)
		}
		if !time.Now().Before(deadline) {
			f.Close()
			if holder != "" {
				return nil, fmt.Errorf("lock %s: %w (%s)", path, ErrBusy, holder)
			}
			return nil, fmt.Errorf("lock %s: %w", path, ErrBusy)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func readHolder(f *os.File) string {
	b := make([]byte, 256)
	n, _ := f.ReadAt(b, 0)
	return string(b[:n])
}

// SetHolder writes who holds the lock into the file, for waiters.
func (l *File) SetHolder(s string) {
	l.f.Truncate(0)
	l.f.WriteAt([]byte(s), 0)
}

// Unlock releases the lock.
func (l *File) Unlock() { l.f.Close() }

// Fixed returns a Wait that waits d whoever holds the lock.
func Fixed(d time.Duration) func(string) time.Duration {
	return func(string) time.Duration { return d }
}

// PrivateDir is a folder for lock files of work shared by all vlab
// processes of this machine that no other local user can create or fill
// first: /run/vlab when run as root, else one per user in the temporary
// folder, which must be this user's own and not a symlink.
func PrivateDir() (string, error) {
	uid := os.Geteuid()
	dir := "/run/vlab"
	if uid != 0 {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("vlab-%d", uid))
	}
	return ensurePrivate(dir, uid)
}

func ensurePrivate(dir string, uid int) (string, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != uid || fi.Mode().Perm()&0o022 != 0 {
		return "", fmt.Errorf("lock folder %s is not a private folder of this user; remove it and try again", dir)
	}
	return dir, nil
}
