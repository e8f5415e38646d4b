package labs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds lab.yaml; anything larger is refused before parsing.
const MaxFileSize = 1 << 20

// Problem is one thing wrong in a lab file, located by line and field.
type Problem struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (p Problem) Error() string {
	loc := p.File
	if p.Line > 0 {
		loc += ":" + strconv.Itoa(p.Line)
	}
	if p.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, p.Field, p.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, p.Msg)
}

// InvalidError lists every problem found in a lab file.
type InvalidError struct {
	File     string
	Problems []Problem
}

func (e *InvalidError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Resolve finds a lab by name under labsDir, or by path to a folder or a
// lab.yaml file, and returns the path of its lab.yaml.
func Resolve(labsDir, ref string) (string, error) {
	candidates := []string{ref, filepath.Join(ref, FileName)}
	if !strings.ContainsRune(ref, filepath.Separator) && !strings.HasSuffix(ref, ".yaml") {
		candidates = append([]string{filepath.Join(labsDir, ref, FileName)}, candidates...)
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("no lab %q: looked for %s; run `vlab labs` to list the labs", ref, candidates[0])
}

// Load reads, defaults and validates the lab.yaml at path. A returned
// *InvalidError lists every problem at once.
func Load(path string) (*Lab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read lab: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read lab %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes; a lab file is a short YAML document", path, MaxFileSize)
	}
	return Parse(path, data)
}

// Parse decodes and validates lab.yaml content; path names the file in
// messages and locates the lab folder.
func Parse(path string, data []byte) (*Lab, error) {
	inv := &InvalidError{File: path}
	if bytes.IndexByte(data, 0) >= 0 {
		inv.add(0, "", "binary data, not YAML")
		return nil, inv
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		inv.addYAML(err)
		return nil, inv
	}
	if len(root.Content) == 0 {
		inv.add(0, "", "empty file; a lab needs at least name, title and vms")
		return nil, inv
	}
	lab := &Lab{File: path, Dir: filepath.Dir(path)}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(lab); err != nil {
		inv.addYAML(err)
		return nil, inv
	}
	lab.applyDefaults()
	v := validator{lab: lab, root: root.Content[0], inv: inv}
	v.validate()
	if len(inv.Problems) > 0 {
		return nil, inv
	}
	return lab, nil
}

func (e *InvalidError) add(line int, field, msg string) {
	e.Problems = append(e.Problems, Problem{File: e.File, Line: line, Field: field, Msg: msg})
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// addYAML turns yaml.v3's errors, which may hold several "line N: ..."
// entries, into problems.
func (e *InvalidError) addYAML(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		m = strings.TrimSpace(m)
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			n, _ := strconv.Atoi(g[1])
			e.add(n, "", cleanYAMLMessage(g[2]))
			continue
		}
		e.add(0, "", cleanYAMLMessage(strings.TrimPrefix(m, "yaml: ")))
	}
}

var typeName = regexp.MustCompile(` in type labs\.\w+`)

func cleanYAMLMessage(m string) string {
	m = typeName.ReplaceAllString(m, "")
	m = strings.Replace(m, "into labs.Duration", "into a duration", 1)
	return m
}
