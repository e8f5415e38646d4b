package provision

import (
	"context"
	"io"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/labfile"
)

// ValidateOptions configure Validate.
type ValidateOptions struct {
	// Deep adds CheckDeep's checks to the lab file's own, with
	// DeepOptions; the base images' package lists come from Images.
	Deep   bool
	Images *images.Store
	DeepOptions
}

// Validate is `vlab validate [--deep]`: labfile.Validate, with CheckDeep's
// findings for each lab that loads when opts.Deep.
func Validate(ctx context.Context, w io.Writer, dir string, refs []string, opts ValidateOptions) (total, invalid int, err error) {
	if !opts.Deep {
		return labfile.Validate(w, dir, refs, nil)
	}
	deep := opts.DeepOptions
	if deep.ImageStatus == nil && opts.Images != nil {
		deep.ImageStatus = func(name string) string {
			if img, err := opts.Images.Get(name); err == nil {
				return img.Status
			}
			return ""
		}
	}
	return labfile.Validate(w, dir, refs, func(lab *labfile.Lab) labfile.Findings {
		r := CheckDeep(ctx, lab, deep)
		return labfile.Findings{Problems: r.Problems, Notes: r.Notes}
	})
}
