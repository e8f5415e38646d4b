package incident

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

func TestPlay(t *testing.T) {
	s, clock := newSession(t)
	var got []string
	var asked []string
	err := s.Play(context.Background(), PlayOptions{
		Speed:   10,
		Confirm: func(in labfile.Inject) bool { asked = append(asked, in.ID); return true },
		Show:    func(sh Shown) error { got = append(got, sh.Inject.ID); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alert", "graph", "hint", "cause", "fix"}; !slices.Equal(got, want) {
		t.Errorf("revealed %v, want %v", got, want)
	}
	if !slices.Equal(asked, []string{"cause", "fix"}) {
		t.Errorf("asked to confirm %v", asked)
	}
	// 0, 4m, 10m, 20m, 25m at speed 10.
	want := []time.Duration{0, 24 * time.Second, 36 * time.Second, 60 * time.Second, 30 * time.Second}
	if !slices.Equal(clock.Sleeps(), want) {
		t.Errorf("slept %v, want %v", clock.Sleeps(), want)
	}
	list, _ := s.List()
	if list[2].Since != time.Minute {
		t.Errorf("hint revealed %s into the attempt, want 1m", list[2].Since)
	}
}

// TestPlayResumes: play picks up after injects revealed by hand, and stops
// before an unconfirmed cause.
func TestPlayResumes(t *testing.T) {
	s, clock := newSession(t)
	ctx := context.Background()
	s.Next(ctx, false)
	s.Next(ctx, false)
	var got []string
	err := s.Play(ctx, PlayOptions{Speed: 1, Show: func(sh Shown) error { got = append(got, sh.Inject.ID); return nil }})
	if !errors.Is(err, ErrNeedsConfirm) {
		t.Fatalf("got %v, want ErrNeedsConfirm", err)
	}
	if !slices.Equal(got, []string{"hint"}) || !slices.Equal(clock.Sleeps(), []time.Duration{6 * time.Minute, 10 * time.Minute}) {
		t.Errorf("revealed %v after sleeping %v", got, clock.Sleeps())
	}
}

func TestPlayCancelled(t *testing.T) {
	s, _ := newSession(t)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err := s.Play(ctx, PlayOptions{Speed: 1, Show: func(Shown) error { n++; cancel(); return nil }})
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Errorf("got %v after %d reveals, want context.Canceled after 1", err, n)
	}
	if err := s.Play(context.Background(), PlayOptions{Speed: 0}); err == nil {
		t.Error("speed 0 accepted")
	}
}
