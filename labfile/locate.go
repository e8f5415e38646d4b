package labfile

import "gopkg.in/yaml.v3"

// Problem locates msg at a field of the lab, given as its path: mapping
// keys as strings and list indexes as ints, as in
// lab.Problem("no such version", "vms", 0, "provision", 2, "packages", "nginx").
// It is for checks made after Load, such as those that need the network
// or host tools; the line is that of the deepest part of the path the
// file has.
func (l *Lab) Problem(msg string, field ...any) Problem {
	p := path(field)
	line := 0
	if l.doc != nil {
		line = lineOf(l.doc, p)
	}
	return Problem{File: l.File, Line: line, Field: p.String(), Msg: msg}
}

// lineOf finds the line of the deepest node along p that exists in root.
func lineOf(root *yaml.Node, p path) int {
	n, line := root, root.Line
	for _, e := range p {
		var next *yaml.Node
		switch e := e.(type) {
		case int:
			if n.Kind == yaml.SequenceNode && e >= 0 && e < len(n.Content) {
				next = n.Content[e]
				line = next.Line
			}
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == e {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}
