package classroom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/lock"
)

// ErrNoClass is wrapped when a lab has no roster in VLAB_HOME.
var ErrNoClass = errors.New("no class of this lab")

// Roster is a class: the lab and its trainees, each with their instance.
type Roster struct {
	Lab      string    `json:"lab"`
	Trainees []Trainee `json:"trainees"`
	Updated  time.Time `json:"updated"`
}

// Trainee is one trainee of a class and the instance that is theirs.
type Trainee struct {
	Name     string `json:"name"`
	Instance string `json:"instance"`
}

// MaxTrainees bounds a room; more is a typo or the wrong file.
const MaxTrainees = 500

// maxTraineesFile bounds the file of trainee names that is read.
const maxTraineesFile = 64 << 10

// InstanceID is trainee's instance of lab: "<lab>-<trainee>", which must be
// a valid instance name (instance.CheckID), so at most 40 characters.
func InstanceID(lab, trainee string) (string, error) {
	id := lab + "-" + trainee
	if trainee == "" || strings.HasPrefix(trainee, "-") || !instance.ValidID(id) {
		room := 40 - len(lab) - 1
		if room < 1 {
			return "", fmt.Errorf("lab name %q is too long for a class: its trainees' instances are named <lab>-<trainee>, at most 40 characters", lab)
		}
		return "", fmt.Errorf("trainee %q: use 1-%d of a-z, 0-9 and -, starting with a letter or digit (the instance is named %s-<trainee>)", trainee, room, lab)
	}
	return id, nil
}

// ParseTrainees reads the --trainees value: a file with one name a line
// (blank lines and # comments skipped) when it names a path (it holds a /
// or a ., and no comma), else names separated by commas. Every problem is
// reported.
func ParseTrainees(lab, value string) ([]Trainee, error) {
	names := strings.Split(value, ",")
	from := "--trainees"
	if strings.ContainsAny(value, "/.") && !strings.Contains(value, ",") {
		b, err := readCapped(value)
		if err != nil {
			return nil, fmt.Errorf("trainees file: %w", err)
		}
		names, from = nil, value
		for _, l := range strings.Split(string(b), "\n") {
			if l, _, _ = strings.Cut(l, "#"); strings.TrimSpace(l) != "" {
				names = append(names, strings.TrimSpace(l))
			}
		}
	}
	var out []Trainee
	var errs []error
	for _, n := range names {
		n = strings.TrimSpace(n)
		id, err := InstanceID(lab, n)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", from, err))
		case slices.ContainsFunc(out, func(t Trainee) bool { return t.Name == n }):
			errs = append(errs, fmt.Errorf("%s: trainee %q is named twice", from, n))
		default:
			out = append(out, Trainee{Name: n, Instance: id})
		}
	}
	if len(out) > MaxTrainees {
		errs = append(errs, fmt.Errorf("%s: %d trainees, more than %d", from, len(out), MaxTrainees))
	}
	if len(out) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s names no trainee", from))
	}
	return out, errors.Join(errs...)
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTraineesFile+1))
	if err == nil && len(b) > maxTraineesFile {
		err = fmt.Errorf("%s is over %d KiB: is it the right file?", path, maxTraineesFile>>10)
	}
	return b, err
}

// rosterPath is the file of lab's class in home, refusing a lab name that
// could name a file elsewhere.
func rosterPath(home instance.Home, lab string) (string, error) {
	if !instance.ValidID(lab) {
		return "", fmt.Errorf("lab name %q cannot name a class: use the lab's name, as `vlab labs` lists it", lab)
	}
	return filepath.Join(home.Dir, "classes", lab+".json"), nil
}

// LoadRoster reads lab's class from home; an error wrapping ErrNoClass
// when there is none.
func LoadRoster(home instance.Home, lab string) (*Roster, error) {
	path, err := rosterPath(home, lab)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w in %s; `vlab class up %s --trainees NAMES` starts one", lab, ErrNoClass, home.Dir, lab)
	}
	if err != nil {
		return nil, err
	}
	var r Roster
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w; remove it and run `vlab class up` again", path, err)
	}
	for _, t := range r.Trainees {
		if id, err := InstanceID(lab, t.Name); err != nil || id != t.Instance {
			return nil, fmt.Errorf("%s: trainee %q has instance %q, not %s-%s; remove the file and run `vlab class up` again", path, t.Name, t.Instance, lab, t.Name)
		}
	}
	return &r, nil
}

// updateRoster changes lab's roster under a lock, so that two trainers'
// commands at once lose neither's trainees; fn gets an empty roster when
// there is none, and a roster left without trainees is removed.
func updateRoster(ctx context.Context, home instance.Home, lab string, fn func(*Roster)) error {
	path, err := rosterPath(home, lab)
	if err != nil {
		return err
	}
	l, err := lock.Acquire(ctx, path+".lock", lock.Options{Wait: func(string) time.Duration { return 10 * time.Second }})
	if err != nil {
		return fmt.Errorf("class %s: %w", lab, err)
	}
	defer l.Unlock()
	r, err := LoadRoster(home, lab)
	if errors.Is(err, ErrNoClass) {
		r, err = &Roster{Lab: lab}, nil
	}
	if err != nil {
		return err
	}
	fn(r)
	if len(r.Trainees) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	r.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}

// add puts trainees in the roster, after those already in it.
func (r *Roster) add(ts []Trainee) {
	for _, t := range ts {
		if !slices.Contains(r.Trainees, t) {
			r.Trainees = append(r.Trainees, t)
		}
	}
}

// pick is the trainees a verb acts on: all, or the one named.
func (r *Roster) pick(name string) ([]Trainee, error) {
	if name == "" {
		return r.Trainees, nil
	}
	for _, t := range r.Trainees {
		if t.Name == name {
			return []Trainee{t}, nil
		}
	}
	names := make([]string, len(r.Trainees))
	for i, t := range r.Trainees {
		names[i] = t.Name
	}
	return nil, fmt.Errorf("class %s has no trainee %q; it has %s", r.Lab, name, strings.Join(names, ", "))
}
