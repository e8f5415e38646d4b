package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Key returns the hex sha256 of a canonical encoding of inputs: each one as
// JSON (map keys sorted, struct fields in declaration order), prefixed by its
// length so that inputs cannot run into each other. It names golden states
// and cached package closures: a change to any input changes the key, map
// ordering never does.
func Key(inputs ...any) (string, error) {
	h := sha256.New()
	for i, in := range inputs {
		data, err := json.Marshal(in)
		if err != nil {
			return "", fmt.Errorf("key input %d (%T): %w", i, in, err)
		}
		h.Write([]byte(strconv.Itoa(len(data)) + ":"))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FileDigest is the content of one file or directory tree, as it shapes a
// golden state: every path below it with its mode and content digest.
type FileDigest struct {
	Entries []FileEntry `json:"entries"`
}

// FileEntry is one file, directory or symlink of a FileDigest; Path is
// relative to the digested root ("." for the root itself).
type FileEntry struct {
	Path   string `json:"path"`
	Mode   string `json:"mode"`
	SHA256 string `json:"sha256,omitempty"` // file content, or the link target
}

// DigestPath walks path (a file or a directory) in lexical order and
// records what Key needs to notice any change to it.
func DigestPath(path string) (FileDigest, error) {
	var d FileDigest
	err := filepath.WalkDir(path, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		entry, err := digestEntry(path, p, e)
		if err == nil {
			d.Entries = append(d.Entries, entry)
		}
		return err
	})
	if err != nil {
		return d, fmt.Errorf("digest %s: %w", path, err)
	}
	return d, nil
}

func digestEntry(root, p string, e fs.DirEntry) (FileEntry, error) {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return FileEntry{}, err
	}
	info, err := e.Info()
	if err != nil {
		return FileEntry{}, err
	}
	entry := FileEntry{Path: filepath.ToSlash(rel), Mode: info.Mode().String()}
	switch {
	case info.Mode().IsRegular():
		entry.SHA256, err = fileSHA256(p)
	case info.Mode()&fs.ModeSymlink != 0:
		var target string
		target, err = os.Readlink(p)
		sum := sha256.Sum256([]byte(target))
		entry.SHA256 = hex.EncodeToString(sum[:])
	}
	return entry, err
}
