package labfile

import (
	"errors"
	"fmt"
	"io"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// Findings are what a check made after Load found in a lab (such as
// provision.CheckDeep): problems make the lab invalid, notes say how
// something was checked or why it could not be.
type Findings struct {
	Problems []Problem
	Notes    []string
}

// Validate is `vlab validate`: it prints to w what is wrong with each lab
// that refs name (as Resolve finds them under dir; every lab of dir when
// refs is empty), or that the lab is fine, one problem a line, each line
// made safe for a terminal. more, when set, adds its findings to each lab
// that loads. It returns how many labs it checked and how many of them
// are invalid; err is for a dir that does not list.
func Validate(w io.Writer, dir string, refs []string, more func(*Lab) Findings) (total, invalid int, err error) {
	if len(refs) == 0 {
		found, err := List(dir)
		if err != nil {
			return 0, 0, err
		}
		for _, f := range found {
			refs = append(refs, f.File)
		}
	}
	for _, ref := range refs {
		if !validateOne(w, dir, ref, more) {
			invalid++
		}
	}
	return len(refs), invalid, nil
}

// validateOne prints what is wrong with one lab, or that it is fine, and
// reports whether it is fine.
func validateOne(w io.Writer, dir, ref string, more func(*Lab) Findings) bool {
	say := func(s string) { fmt.Fprintln(w, termtext.Line(s)) }
	path, err := Resolve(dir, ref)
	if err != nil {
		say(err.Error())
		return false
	}
	lab, err := Load(path)
	var inv *InvalidError
	switch {
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			say(p.Error())
		}
		return false
	case err != nil:
		say(err.Error())
		return false
	}
	for _, p := range lab.Warnings() {
		say(p.Error())
	}
	if more != nil {
		f := more(lab)
		for _, n := range f.Notes {
			say(path + ": note: " + n)
		}
		for _, p := range f.Problems {
			say(p.Error())
		}
		if len(f.Problems) > 0 {
			return false
		}
	}
	fmt.Fprintf(w, "%s: ok: %s, %s, %s, %s\n", path, lab.Name, termtext.Count(len(lab.VMs), "VM"), termtext.Count(len(lab.Injects), "inject"), termtext.Count(len(lab.Probes), "probe"))
	return true
}
