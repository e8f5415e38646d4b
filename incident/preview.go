package incident

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// RenderBriefing writes what the trainee is told at the start: the lab's
// title and summary, which name the symptom. Nothing of the trainer's
// text (the cause) is shown.
func RenderBriefing(w io.Writer, lab *labfile.Lab, o RenderOptions) error {
	title := strings.Join(strings.Fields(termtext.Line(lab.Title)), " ")
	if _, err := fmt.Fprintf(w, "%s\n", o.style(ansiBold, title)); err != nil {
		return err
	}
	if strings.TrimSpace(lab.Summary) == "" {
		return nil
	}
	fmt.Fprintln(w)
	return Markdown(w, lab.Summary, o)
}

// RenderStart writes what the trainee reads when instance id of lab is
// up: the briefing (RenderBriefing), then the commands to go on with, vms
// being the VMs they may enter.
func RenderStart(w io.Writer, lab *labfile.Lab, id string, vms []string, o RenderOptions) error {
	fmt.Fprintln(w)
	if err := RenderBriefing(w, lab, o); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nWhat now:\n")
	fmt.Fprintf(w, "  vlab inject %s      reveal the first sign of trouble, then the next\n", id)
	fmt.Fprintf(w, "  vlab ssh %s [vm]    investigate inside the VMs (%v)\n", id, vms)
	fmt.Fprintf(w, "  vlab check %s       is the incident resolved?\n", id)
	fmt.Fprintf(w, "  vlab reset %s       start over from the beginning, in seconds\n", id)
	return nil
}

// Preview writes, without an instance, what a trainee would see of lab:
// the briefing, then every inject in timeline order as `vlab inject`
// shows it. Nothing runs: a live inject names the command it would run in
// its VM, and an attachment is named where it lies in the lab folder.
func Preview(w io.Writer, lab *labfile.Lab, o RenderOptions) error {
	if err := RenderBriefing(w, lab, o); err != nil {
		return err
	}
	if len(lab.Injects) == 0 {
		_, err := fmt.Fprintln(w, "\nno injects: the trainee gets only the briefing above")
		return err
	}
	for i, in := range lab.Injects {
		sh := Shown{N: i + 1, Of: len(lab.Injects), Inject: in, Preview: true}
		if in.Attach != "" {
			sh.Attachment = filepath.Join(lab.Dir, in.Attach)
		}
		if in.Live != nil {
			sh.Live = &Live{VM: in.Live.VM, Command: in.Live.Command}
		}
		fmt.Fprintf(w, "\n%s\n", o.style(ansiDim, strings.Repeat("─", o.width())))
		if err := Render(w, sh, o); err != nil {
			return err
		}
	}
	return nil
}

// renderTrainer writes the trainer's text of lab: the cause in a line and
// in full, and the notes. It writes nothing for a lab without them.
func renderTrainer(w io.Writer, lab *labfile.Lab, o RenderOptions) error {
	t := lab.Trainer
	if t == nil {
		return nil
	}
	if line := strings.Join(strings.Fields(termtext.Line(t.Title)), " "); line != "" {
		fmt.Fprintf(w, "%s\n\n", o.style(ansiBold, "Cause: "+line))
	}
	for _, md := range []struct{ head, text string }{{"", t.Cause}, {"Notes for the trainer:", t.Notes}} {
		if strings.TrimSpace(md.text) == "" {
			continue
		}
		if md.head != "" {
			fmt.Fprintf(w, "%s\n", o.style(ansiBold, md.head))
		}
		if err := Markdown(w, md.text, o); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	return nil
}
