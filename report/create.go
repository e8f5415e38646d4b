package report

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
	// Start sets the incident's clock (see Report.SetStart); "" picks the
	// entry that starts the outage.
	Start string
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

// WriteText says what NewLab made: the file, for a draft how many injects
// came from how many timeline entries and how many were left out, and
// what to do next.
func (c *Created) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "created %s\n", c.File)
	if r := c.Report; r != nil {
		fmt.Fprintf(w, "%d injects from %d timeline entries of a %s report", c.Injects, len(r.Entries), r.Format)
		if !r.Tagged {
			fmt.Fprint(w, " (no [inject:KIND] tags: every entry, kinds guessed)")
		}
		fmt.Fprintln(w)
		switch n := len(r.LeftOut()); n {
		case 0:
		case 1:
			fmt.Fprintln(w, "1 entry above the start left out as background; --start moves the start")
		default:
			fmt.Fprintf(w, "%d entries above the start left out as background; --start moves the start\n", n)
		}
	}
	_, err := fmt.Fprintf(w, "next: fill in the TODOs in lab.yaml, then run `vlab validate %s`\n", filepath.Base(c.Dir))
	return err
}

// NewLab creates LabsDir/Name with a lab.yaml drafted from the report and
// a copy of the report. It refuses to touch an existing folder, refuses a
// report that would not make a valid lab, and leaves nothing behind when
// it fails.
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
	if o.From == "" {
		return c, c.write(o.LabsDir, Blank(o.Name), nil)
	}
	src, err := readReport(o.From)
	if err != nil {
		return nil, err
	}
	if c.Report, err = Parse(o.From, src, format); err != nil {
		return nil, err
	}
	if o.Start != "" {
		if err := c.Report.SetStart(o.Start); err != nil {
			return nil, fmt.Errorf("%s: %w", o.From, err)
		}
	}
	c.Injects = len(c.Report.Injects())
	if c.Injects > MaxInjects {
		return nil, fmt.Errorf("%s: %d timeline entries would become injects, a draft takes at most %d; "+
			"tag the entries a trainee should see with [inject:KIND] (docs/AUTHORING.md)", o.From, c.Injects, MaxInjects)
	}
	lab, err := c.Report.Draft(o.Name)
	if err != nil {
		return nil, err
	}
	if err := checkDraft(o.From, c.File, lab); err != nil {
		return nil, err
	}
	return c, c.write(o.LabsDir, lab, src)
}

// checkDraft refuses a draft that every other command would refuse: one
// over labfile's size cap, or one that does not validate.
func checkDraft(from, file string, lab []byte) error {
	if len(lab) > labfile.MaxFileSize {
		return fmt.Errorf("%s: the lab drafted from it would be %d KiB, over the %d KiB a lab.yaml may be; "+
			"shorten the report's timeline or tag only the entries a trainee should see with [inject:KIND]",
			from, len(lab)>>10, labfile.MaxFileSize>>10)
	}
	if _, err := labfile.Parse(file, lab); err != nil {
		first, _, _ := strings.Cut(err.Error(), "\n")
		return fmt.Errorf("%s: the lab drafted from it does not validate (%s); edit the report and try again", from, first)
	}
	return nil
}

// readReport reads a report file, refusing one too large to be a report
// before reading more than the limit.
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
	return fmt.Errorf("%s: larger than %d KiB, the most vlab drafts a lab from; keep the report's summary and timeline", name, MaxSize>>10)
}
