package labtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"

	"github.com/vlab-dev/vlab/internal/atomicfile"
)

// WriteText writes the report's verdict: a line per failing step, naming
// it, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	failed := 0
	for _, s := range r.Steps {
		if !s.OK {
			failed++
			fmt.Fprintf(w, "FAIL %s: %s\n", s.Name, s.Message)
		}
	}
	verdict := "passed"
	if !r.Passed() {
		verdict = "FAILED"
	}
	_, err := fmt.Fprintf(w, "lab %s %s: %d of %d steps held (%.0fs)\n", r.Lab, verdict, len(r.Steps)-failed, len(r.Steps), r.Seconds)
	return err
}

type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as a JUnit XML test suite, a test case per
// step, for CI systems.
func (r *Report) WriteJUnit(w io.Writer) error {
	s := junitSuite{Name: "vlab test " + r.Lab, Tests: len(r.Steps), Time: fmt.Sprintf("%.3f", r.Seconds)}
	for _, st := range r.Steps {
		c := junitCase{Name: st.Name, ClassName: "labs." + r.Lab, Time: fmt.Sprintf("%.3f", st.Seconds)}
		if !st.OK {
			s.Failures++
			c.Failure = &junitFailure{Message: st.Message, Text: st.Message}
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// SaveJUnit writes the report as JUnit XML (WriteJUnit) to the file at
// path, whole or not at all.
func (r *Report) SaveJUnit(path string) error {
	var b bytes.Buffer
	if err := r.WriteJUnit(&b); err != nil {
		return err
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write --junit %s: %w", path, err)
	}
	return nil
}
