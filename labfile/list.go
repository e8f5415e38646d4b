package labfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Entry is one lab folder found by List.
type Entry struct {
	// Name is the folder's name, by which commands find the lab.
	Name string
	// File is the folder's lab.yaml.
	File string
	// Lab is the loaded lab; nil when it does not load.
	Lab *Lab
	// Err says why the lab does not load.
	Err error
}

// List loads every folder of dir holding a lab.yaml, sorted by name. A lab
// that does not load is listed with its error; folders whose names start
// with a dot (an import in progress, an editor's) are not labs.
func List(dir string) ([]Entry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list labs: %w", err)
	}
	found := []Entry{}
	for _, ent := range ents {
		file := filepath.Join(dir, ent.Name(), FileName)
		if !ent.IsDir() || strings.HasPrefix(ent.Name(), ".") {
			continue
		}
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		e := Entry{Name: ent.Name(), File: file}
		e.Lab, e.Err = Load(file)
		found = append(found, e)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	return found, nil
}
