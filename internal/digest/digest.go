// Package digest computes the sha256 of files, the one way vlab names
// content (images, packages, bundles, provisioning keys).
package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/vlab-dev/vlab/internal/staging"
)

// File returns the size and hex sha256 of the file at path. It stops when
// ctx is done (checked between blocks), so hashing a disk image can be
// cancelled.
func File(ctx context.Context, path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := staging.Copy(ctx, h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}
