package instance

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpawnerStartsDetached: the standby command gets the instance ID as
// its last argument and the environment it was given, and writes to the
// instance's standby.log.
func TestSpawnerStartsDetached(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	dir := instDir(t, h, "shop")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := Spawner{Home: h, Argv: []string{"/bin/sh", "-c", `echo "prepare $1 as $VLAB_TEST_WHO"`, "sh"},
		Env: []string{"VLAB_TEST_WHO=standby"}}
	if err := s.StartStandby("shop"); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, StandbyLog)
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(log); strings.Contains(string(b), "\n") {
			if string(b) != "prepare shop as standby\n" {
				t.Fatalf("standby.log: %q", b)
			}
			return
		}
	}
	t.Fatal("the standby command never wrote to standby.log")
}

func TestSpawnerRefusesBadID(t *testing.T) {
	s := Spawner{Home: Home{Dir: t.TempDir()}, Argv: []string{"/bin/true"}}
	if err := s.StartStandby("../x"); err == nil {
		t.Fatal("Spawner started a standby for ../x")
	}
}
