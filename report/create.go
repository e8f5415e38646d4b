package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vlab-dev/vlab/labfile"
)

// LabOptions says what `vlab new` creates.
type LabOptions struct {
	// LabsDir holds the lab folders; it is created when missing.
	LabsDir string
	// Name is the new lab's name and folder.
	Name string
	// From is the incident report to draft the lab from; "" writes a
	// blank lab.
	From string
	// Format is the report's markup ("wikitext" or "markdown"); "" detects it.
	Format string
}

// Created describes a lab folder written by NewLab.
type Created struct {
	Dir  string // the lab folder
	File string // its lab.yaml
	// Report is the report the lab was drafted from; nil for a blank lab.
	Report *Report
	// Injects is how many injects the draft holds.
	Injects int
}

// NewLab creates LabsDir/Name with a lab.yaml drafted from the report and
// a copy of the report. It refuses to touch an existing folder, and
// leaves nothing behind when it fails.
func NewLab(o LabOptions) (*Created, error) {
	if !labfile.ValidName(o.Name) {
		return nil, fmt.Errorf("lab name %q: use lowercase letters, digits and dashes, at most 40 characters", o.Name)
	}
	format, err := ParseFormat(o.Format)
	if err != nil {
		return nil, err
	}
	c := &Created{Dir: filepath.Join(o.LabsDir, o.Name)}
	c.File = filepath.Join(c.Dir, labfile.FileName)
	var src []byte
	lab := Blank(o.Name)
	if o.From != "" {
		if src, err = readReport(o.From); err != nil {
			return nil, err
		}
		if c.Report, err = Parse(o.From, src, format); err != nil {
			return nil, err
		}
		if lab, err = c.Report.Draft(o.Name); err != nil {
			return nil, err
		}
		c.Injects = len(c.Report.Injects())
	}
	if _, err := labfile.Parse(c.File, lab); err != nil {
		return nil, fmt.Errorf("the drafted lab.yaml does not validate, please report this as a vlab bug: %w", err)
	}
	return c, c.write(o.LabsDir, lab, src)
}

// readReport reads a report file, refusing one too large to be a report.
func readReport(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read report %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, tooLarge(path)
	}
	return data, nil
}

// write makes the lab folder and its files; src is nil for a blank lab.
func (c *Created) write(labsDir string, lab, src []byte) (err error) {
	if err := os.MkdirAll(labsDir, 0o755); err != nil {
		return fmt.Errorf("create labs folder: %w", err)
	}
	if err := os.Mkdir(c.Dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; choose another name or remove that folder first", c.Dir)
		}
		return fmt.Errorf("create lab folder: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(c.Dir)
		}
	}()
	if err := os.WriteFile(c.File, lab, 0o644); err != nil {
		return fmt.Errorf("write lab: %w", err)
	}
	if src != nil {
		if err := os.WriteFile(filepath.Join(c.Dir, ReportFile), src, 0o644); err != nil {
			return fmt.Errorf("copy report: %w", err)
		}
	}
	return nil
}

func tooLarge(name string) error {
	return fmt.Errorf("%s: larger than %d bytes; an incident report is a short text document", name, MaxSize)
}
