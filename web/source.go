// Package web serves what a trainee and a trainer see in a browser: the
// trainee's page (the briefing, the injects revealed so far with their
// graphs as pictures and live injects as text, a button for the next one,
// the attempt's clock and last check, and a graph of the lab's own
// traffic from its clients' statistics) and the trainer's dashboard (each
// trainee's progress beside the real incident's timeline, and their
// debriefs). Pages are rendered on the server with html/template; there
// is no script. `vlab web` and `vlab class web` serve them on 127.0.0.1.
package web

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/internal/shquote"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/traffic"
)

// Source is one instance as a page shows it. Session opens the trainee's
// incident (journal and VMs) for one request; the caller closes it.
type Source interface {
	ID() string
	Session() (*incident.Session, error)
}

// ClientStats reads the statistics of each of the lab's client triggers
// from the VM it runs on, by name; a client whose file cannot be read is
// left out, with why in the errors.
func ClientStats(ctx context.Context, s *incident.Session) (map[string]*traffic.Stats, []error) {
	out := map[string]*traffic.Stats{}
	var errs []error
	for _, t := range s.Lab.Triggers {
		if t.Client == nil {
			continue
		}
		st, err := readStats(ctx, s, t)
		if err != nil {
			errs = append(errs, fmt.Errorf("client %s: %w", t.Name, err))
			continue
		}
		out[t.Name] = st
	}
	return out, errs
}

func readStats(ctx context.Context, s *incident.Session, t labfile.Trigger) (*traffic.Stats, error) {
	if s.Dial == nil {
		return nil, fmt.Errorf("no way into vm %s", t.VM)
	}
	r, err := s.Dial(ctx, t.VM)
	if err != nil {
		return nil, err
	}
	var out, errOut bytes.Buffer
	code, err := r.Run(ctx, "head -c "+strconv.Itoa(traffic.MaxStatsSize)+" -- "+shquote.Quote(traffic.StatsPath(t.Name)), nil, &out, &errOut)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("no statistics yet (%s)", bytes.TrimSpace(errOut.Bytes()))
	}
	return traffic.ParseStats(out.Bytes())
}
