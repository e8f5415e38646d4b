package images

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/vlab-dev/vlab/vm"
)

// VM is the drivers' view of the image.
func (i *Image) VM() vm.Image {
	return vm.Image{Name: i.Name, Digest: i.Digest, Disk: i.Disk, Kernel: i.Kernel, Initrd: i.Initrd}
}

// WriteTable writes the store's entries as the table of `vlab images
// list`, and to problems one line for each broken tag with how to remove it.
func WriteTable(out, problems io.Writer, ents []Entry) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tDIGEST\tSIZE\tBUILT\tSOURCE\tKERNEL")
	for _, en := range ents {
		if i := en.Image; i != nil {
			fmt.Fprintf(w, "%s\t%s\t%d MB\t%s\t%s\t%s\n", i.Name, i.Digest[:12], i.Size>>20, i.Built.Local().Format("2006-01-02 15:04"), i.Source, i.Manifest.Kernel)
		} else {
			fmt.Fprintf(w, "%s\t-\t-\t-\tbroken\t-\n", en.Name)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, en := range ents {
		if en.Err != nil {
			fmt.Fprintf(problems, "image %s is broken (%v); `vlab images rm %s` removes its tag\n", en.Name, en.Err, en.Name)
		}
	}
	return nil
}

// row is one entry as WriteJSON writes it: an image's manifest, or the
// error of a broken tag.
type row struct {
	*Manifest
	Tag    string `json:"tag,omitempty"`
	Broken string `json:"broken,omitempty"`
}

// WriteJSON writes the store's entries as one JSON array.
func WriteJSON(w io.Writer, ents []Entry) error {
	rows := []row{}
	for _, en := range ents {
		if en.Image != nil {
			rows = append(rows, row{Manifest: &en.Image.Manifest})
		} else {
			rows = append(rows, row{Tag: en.Name, Broken: en.Err.Error()})
		}
	}
	return json.NewEncoder(w).Encode(rows)
}

// Describe says in one line what removing image name did.
func (r Removal) Describe(name string) string {
	switch {
	case !r.Tag:
		return fmt.Sprintf("no image %s: nothing removed", name)
	case r.Broken != nil:
		return fmt.Sprintf("removed the broken tag %s (its image folder was missing or unreadable)", name)
	case r.Folder == "":
		return fmt.Sprintf("removed image %s; its files stay, another tag uses them", name)
	}
	return fmt.Sprintf("removed image %s and its files", name)
}
