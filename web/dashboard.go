package web

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/labfile"
)

// Dashboard serves a class to its trainer:
//
//	GET /              the room (each trainee's progress), the real
//	                   incident's timeline, and each trainee's debrief
//	/t/NAME/...        that trainee's page, as they see it
type Dashboard struct {
	lab   *labfile.Lab
	class *classroom.Class
	open  func(instanceID string) Source
	now   func() time.Time

	mu    sync.Mutex
	pages map[string]*Trainee
}

// NewDashboard serves lab's class; open gives a trainee's instance.
func NewDashboard(lab *labfile.Lab, class *classroom.Class, open func(instanceID string) Source) *Dashboard {
	return &Dashboard{lab: lab, class: class, open: open, now: time.Now, pages: map[string]*Trainee{}}
}

type roomRow struct {
	Name, State, Attempt, Since, Injects, Checks, LastCheck, Mitigated, Resolved string
}

type debriefView struct{ Name, Text string }

type timelineRow struct{ At, Kind, Title string }

func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !local(w, r) {
		return
	}
	if rest, ok := strings.CutPrefix(r.URL.Path, "/t/"); ok {
		name, sub, _ := strings.Cut(rest, "/")
		page, err := d.trainee(r, name)
		if err != nil {
			http.Error(w, "vlab: "+err.Error(), http.StatusNotFound)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + sub
		page.ServeHTTP(w, r2)
		return
	}
	if r.URL.Path != "/" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	rows, err := d.class.Status(r.Context(), d.lab.Name)
	if err != nil {
		http.Error(w, "vlab: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	now := d.now()
	view := struct {
		Lab      *labfile.Lab
		Rows     []roomRow
		Timeline []timelineRow
		Outage   string
		Debriefs []debriefView
	}{Lab: d.lab}
	for _, in := range d.lab.Injects {
		view.Timeline = append(view.Timeline, timelineRow{At: "+" + clock(in.At.D()), Kind: in.Kind, Title: in.Title})
	}
	for _, s := range rows {
		view.Rows = append(view.Rows, row(s, now))
		view.Debriefs = append(view.Debriefs, debriefView{Name: s.Trainee, Text: d.debrief(s.Instance)})
	}
	if o := d.lab.Outage; o != nil {
		view.Outage = fmt.Sprintf("On the day: users served again after %s, resolved after %s.", clock(o.Mitigated.D()), clock(o.Resolved.D()))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := dashboardPage.Execute(w, view); err != nil {
		fmt.Fprintf(os.Stderr, "vlab web: %v\n", err)
	}
}

func row(s classroom.TraineeStatus, now time.Time) roomRow {
	r := roomRow{Name: s.Trainee, State: s.State, Attempt: "-", Since: "-", Injects: fmt.Sprintf("%d/%d", s.Injects, s.InjectsTotal),
		Checks: fmt.Sprint(s.Checks), LastCheck: "-", Mitigated: "-", Resolved: "-"}
	if s.Attempts > 0 {
		r.Attempt = fmt.Sprint(s.Attempts)
	}
	if !s.Started.IsZero() {
		r.Since = clock(now.Sub(s.Started))
		if !s.Mitigated.IsZero() {
			r.Mitigated = "after " + clock(s.Mitigated.Sub(s.Started))
		}
		if !s.Resolved.IsZero() {
			r.Resolved = "after " + clock(s.Resolved.Sub(s.Started))
		}
	}
	if c := s.LastCheck; c != nil {
		r.LastCheck = fmt.Sprintf("%d/%d passed, %s ago", c.Passed, c.Total, clock(now.Sub(c.Time)))
	}
	if s.Error != "" {
		r.State += " (" + s.Error + ")"
	}
	return r
}

// debrief is the trainee's debrief as text, or why there is none.
func (d *Dashboard) debrief(instanceID string) string {
	dir, err := d.class.Settings.Home.Instance(instanceID)
	if err != nil {
		return err.Error()
	}
	j, err := incident.Open(dir)
	if err != nil {
		return "no journal yet"
	}
	defer j.Close()
	as, err := j.Attempts()
	if err != nil {
		return err.Error()
	}
	var b bytes.Buffer
	if err := incident.NewDebrief(d.lab, as).WriteText(&b); err != nil {
		return err.Error()
	}
	return b.String()
}

// trainee is the page of the class's trainee name, made once.
func (d *Dashboard) trainee(r *http.Request, name string) (*Trainee, error) {
	roster, err := classroom.LoadRoster(d.class.Settings.Home, d.lab.Name)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(roster.Trainees, func(t classroom.Trainee) bool { return t.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("no trainee %q in the class of %s", name, d.lab.Name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if p, ok := d.pages[name]; ok {
		return p, nil
	}
	p := NewTrainee(d.open(roster.Trainees[i].Instance))
	d.pages[name] = p
	return p, nil
}
