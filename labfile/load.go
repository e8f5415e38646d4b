package labfile

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

// RefName is the name of the lab a command argument refers to: the folder
// of a path to a lab folder or lab.yaml, else the argument itself. A lab's
// name equals its folder's (validation checks it), so this is also the
// lab's name.
func RefName(ref string) string {
	ref = strings.TrimSuffix(ref, string(filepath.Separator))
	if strings.HasSuffix(ref, ".yaml") {
		ref = filepath.Dir(ref)
	}
	return filepath.Base(ref)
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
	doc := inv.document(data)
	if doc == nil {
		return nil, inv
	}
	lab := &Lab{File: path, Dir: filepath.Dir(path), doc: doc}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(lab); err != nil {
		inv.addYAML(err)
		inv.nameFields(doc)
		return nil, inv
	}
	lab.applyDefaults()
	v := validator{lab: lab, root: doc, inv: inv}
	v.validate()
	if len(inv.Problems) > 0 {
		return nil, inv
	}
	return lab, nil
}

// document parses data as a single YAML document holding a mapping and
// returns its root, or nil after recording why it is not one.
func (e *InvalidError) document(data []byte) *yaml.Node {
	if bytes.IndexByte(data, 0) >= 0 {
		e.add(0, "", "binary data, not YAML")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root, extra yaml.Node
	if err := dec.Decode(&root); err != nil {
		if err == io.EOF {
			err = errors.New("empty file; a lab needs at least name, title and vms")
		}
		e.addYAML(err)
		return nil
	}
	if err := dec.Decode(&extra); err != io.EOF {
		line := extra.Line
		if err != nil {
			line = 0
		}
		e.add(line, "", "a second YAML document; a lab file holds one (remove the ---)")
		return nil
	}
	if len(root.Content) == 0 {
		e.add(0, "", "empty file; a lab needs at least name, title and vms")
		return nil
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		e.add(doc.Line, "", "want a mapping of fields such as name, title and vms")
		return nil
	}
	if !e.bounded(doc) {
		return nil
	}
	return doc
}

const (
	// maxNodes bounds the nodes of a document with its aliases expanded:
	// aliases can make a small file decode into a huge value.
	maxNodes = 100_000
	// maxKeys bounds a mapping's entries: yaml.v3 checks keys for
	// duplicates in quadratic time.
	maxKeys = 1000
)

// bounded reports whether doc, with aliases expanded, stays small enough
// to decode quickly, recording a problem when it does not.
func (e *InvalidError) bounded(doc *yaml.Node) bool {
	sizes := map[*yaml.Node]int{}
	cycle := false
	var size func(n *yaml.Node) int
	size = func(n *yaml.Node) int {
		if s, ok := sizes[n]; ok {
			cycle = cycle || s < 0 // -1 while n is being measured
			return s
		}
		if n.Kind == yaml.MappingNode && len(n.Content) > 2*maxKeys {
			e.add(n.Line, "", fmt.Sprintf("a mapping of %d entries; at most %d", len(n.Content)/2, maxKeys))
			return -1
		}
		sizes[n] = -1
		total := 1
		kids := n.Content
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			kids = []*yaml.Node{n.Alias}
		}
		for _, k := range kids {
			s := size(k)
			if s < 0 || total+s > maxNodes {
				return -1
			}
			total += s
		}
		sizes[n] = total
		return total
	}
	if size(doc) >= 0 {
		return true
	}
	switch {
	case len(e.Problems) > 0:
	case cycle:
		e.add(0, "", "an alias refers to the value holding it")
	default:
		e.add(0, "", fmt.Sprintf("more than %d values once aliases are expanded; a lab file is a short document", maxNodes))
	}
	return false
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

var (
	typeName     = regexp.MustCompile(` in type labfile\.\w+`)
	unknownField = regexp.MustCompile(`^field (\S+) not found$`)
)

func cleanYAMLMessage(m string) string {
	m = typeName.ReplaceAllString(m, "")
	m = strings.Replace(m, "into labfile.Duration", "into a duration", 1)
	m = unknownField.ReplaceAllString(m, "unknown field $1")
	if g := cannotDecode.FindStringSubmatch(m); g != nil {
		want, ok := goTypes[g[3]]
		switch {
		case !ok && strings.HasPrefix(g[3], "labfile."):
			want = "a mapping of fields" // a section such as trainer: or solution:
		case !ok:
			want = g[3]
		}
		found := yamlKinds[g[1]]
		if found == "" || g[2] != "" {
			found = fmt.Sprintf("%q", strings.Trim(g[2], " `"))
		}
		return fmt.Sprintf("want %s, found %s", want, found)
	}
	return m
}

var (
	cannotDecode = regexp.MustCompile("^cannot unmarshal !!(\\w+)( `.*`)? into (\\S+)$")
	goTypes      = map[string]string{
		"int": "a whole number", "float64": "a number", "bool": "true or false", "string": "text",
		"[]string": "a list of text", "labfile.Duration": "a duration like 90s, 5m or 1h20m",
		"map[string]string": "a mapping of text",
	}
	yamlKinds = map[string]string{"seq": "a list", "map": "a mapping"}
)

// nameFields gives decoding problems, which yaml.v3 locates by line only,
// the field found at that line of the document.
func (e *InvalidError) nameFields(doc *yaml.Node) {
	for i := range e.Problems {
		p := &e.Problems[i]
		if p.Field == "" && p.Line > 0 {
			if f := fieldAt(doc, p.Line, nil); f != nil {
				p.Field = f.String()
			}
		}
	}
}

// fieldAt returns the path of the deepest key or sequence item written at
// line within n, or nil when there is none. It does not look inside flow
// collections such as {a: b} or [a, b]: yaml.v3 gives no column to tell
// their entries apart, so the problem is put on the collection's key.
func fieldAt(n *yaml.Node, line int, at path) path {
	if n.Style&yaml.FlowStyle != 0 {
		return nil
	}
	var best path
	consider := func(p path) {
		if len(p) > len(best) {
			best = p
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := at.with(k.Value)
			if k.Line == line {
				consider(p)
			}
			if k.Line <= line {
				consider(fieldAt(v, line, p))
			}
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p := at.with(i)
			if item.Line == line {
				consider(p)
			}
			if item.Line <= line {
				consider(fieldAt(item, line, p))
			}
		}
	}
	return best
}
