package digest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	os.WriteFile(p, []byte("abc"), 0o644)
	n, sum, err := File(context.Background(), p)
	if err != nil || n != 3 || sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("File = %d %s %v", n, sum, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := File(ctx, p); !errors.Is(err, context.Canceled) {
		t.Errorf("File under a cancelled context: %v", err)
	}
}
