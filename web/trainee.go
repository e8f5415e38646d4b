package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/labfile"
)

// Trainee serves one instance's page for its trainee:
//
//	GET  /               the page (it reloads itself every 15 s)
//	POST /reveal         the next inject; a cause or fix wants confirm=yes
//	GET  /inject/N       revealed inject N again, its live command run now
//	GET  /traffic.svg    the lab's traffic, from its clients' statistics
//	GET  /attachment/N   revealed inject N's attached picture
type Trainee struct {
	src   Source
	now   func() time.Time
	token string
}

// NewTrainee serves src's page.
func NewTrainee(src Source) *Trainee {
	return &Trainee{src: src, now: time.Now, token: newToken()}
}

// WithToken makes the page's forms carry token (see TokenFrom) instead of
// one drawn for this process, so that several processes serve one page.
func (t *Trainee) WithToken(token string) *Trainee {
	t.token = token
	return t
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// page is what the template shows.
type page struct {
	Lab       *labfile.Lab
	ID        string
	Summary   template.HTML
	Since     string
	Attempt   int
	LastCheck string
	Mitigated string
	Resolved  string
	Injects   []shownInject
	Left      int
	Confirm   *labfile.Inject // the next inject gives the answer away: ask
	Note      string
	Token     string
	Refresh   bool
	Base      string
}

type shownInject struct {
	N, Of                      int
	Kind, Title, At            string
	Body                       template.HTML
	Picture, Live, LiveCommand string
	LiveOK                     bool
}

func (t *Trainee) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !local(w, r) {
		return
	}
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		t.render(w, r, "", nil, true)
	case r.URL.Path == "/reveal" && r.Method == http.MethodPost:
		t.reveal(w, r)
	case strings.HasPrefix(r.URL.Path, "/inject/") && r.Method == http.MethodGet:
		t.again(w, r, strings.TrimPrefix(r.URL.Path, "/inject/"))
	case r.URL.Path == "/traffic.svg" && r.Method == http.MethodGet:
		t.graph(w, r)
	case strings.HasPrefix(r.URL.Path, "/attachment/") && r.Method == http.MethodGet:
		t.attachment(w, r, strings.TrimPrefix(r.URL.Path, "/attachment/"))
	default:
		http.NotFound(w, r)
	}
}

// local refuses requests that do not name this machine: a page on
// 127.0.0.1 must not answer a web site that rebinds its name to it.
func local(w http.ResponseWriter, r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); !(host == "localhost" || (ip != nil && ip.IsLoopback())) {
		http.Error(w, "vlab web answers only requests for 127.0.0.1 or localhost (use an SSH tunnel)", http.StatusMisdirectedRequest)
		return false
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	return true
}

func (t *Trainee) session(w http.ResponseWriter) (*incident.Session, bool) {
	s, err := t.src.Session()
	if err != nil {
		http.Error(w, "vlab: "+err.Error(), http.StatusServiceUnavailable)
		return nil, false
	}
	return s, true
}

func (t *Trainee) reveal(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("token") != t.token {
		http.Error(w, "vlab: this form is stale; reload the page", http.StatusForbidden)
		return
	}
	s, ok := t.session(w)
	if !ok {
		return
	}
	defer s.Close()
	sh, err := s.Next(r.Context(), r.PostFormValue("confirm") == "yes")
	var confirm *labfile.Inject
	note := ""
	switch {
	case err == nil:
		// Shown with its live output on a page of its own, so that
		// reloading the page does not post the form again.
		http.Redirect(w, r, fmt.Sprintf("inject/%d?token=%s", sh.N, t.token), http.StatusSeeOther)
		return
	case errors.Is(err, incident.ErrNeedsConfirm):
		confirm = nextUnrevealed(s)
	case errors.Is(err, incident.ErrAllRevealed):
		note = "Every inject is revealed: `vlab check` tells whether you fixed it."
	default:
		http.Error(w, "vlab: "+err.Error(), http.StatusInternalServerError)
		return
	}
	t.renderSession(w, s, "./", note, confirm, nil, false)
}

// nextUnrevealed is the first inject of the timeline not revealed yet.
func nextUnrevealed(s *incident.Session) *labfile.Inject {
	revealed := map[int]bool{}
	for _, sh := range mustList(s) {
		revealed[sh.N] = true
	}
	for i := range s.Lab.Injects {
		if !revealed[i+1] {
			return &s.Lab.Injects[i]
		}
	}
	return nil
}

func mustList(s *incident.Session) []incident.Shown {
	l, _ := s.List()
	return l
}

func (t *Trainee) again(w http.ResponseWriter, r *http.Request, ref string) {
	s, ok := t.session(w)
	if !ok {
		return
	}
	defer s.Close()
	if _, err := strconv.Atoi(ref); err != nil {
		http.NotFound(w, r)
		return
	}
	// It runs the inject's live command: only from this page's links.
	if r.URL.Query().Get("token") != t.token {
		http.Error(w, "vlab: this link is stale; reload the page", http.StatusForbidden)
		return
	}
	sh, err := s.Show(r.Context(), ref)
	if err != nil {
		http.Error(w, "vlab: "+err.Error(), http.StatusNotFound)
		return
	}
	t.renderSession(w, s, "../", "", nil, &sh, false)
}

func (t *Trainee) render(w http.ResponseWriter, r *http.Request, note string, confirm *labfile.Inject, refresh bool) {
	s, ok := t.session(w)
	if !ok {
		return
	}
	defer s.Close()
	t.renderSession(w, s, "./", note, confirm, nil, refresh)
}

// renderSession writes the page; fresh is an inject just revealed or
// shown again, with its live output.
// base is where the page's relative links start: "./" at the page's
// root, "../" under inject/.
func (t *Trainee) renderSession(w http.ResponseWriter, s *incident.Session, base, note string, confirm *labfile.Inject, fresh *incident.Shown, refresh bool) {
	p := page{Lab: s.Lab, ID: t.src.ID(), Summary: markdown(s.Lab.Summary), Confirm: confirm, Note: note, Token: t.token, Refresh: refresh, Base: base}
	list, err := s.List()
	if err != nil {
		http.Error(w, "vlab: "+err.Error(), http.StatusInternalServerError)
		return
	}
	for _, sh := range list {
		if fresh != nil && fresh.N == sh.N {
			sh = *fresh
		}
		p.Injects = append(p.Injects, injectView(sh))
	}
	p.Left = len(s.Lab.Injects) - len(list)
	if a, err := s.Current(); err == nil {
		now := t.now()
		p.Attempt, p.Since = a.N, clock(now.Sub(a.Started))
		if n := len(a.Checks); n > 0 {
			c := a.Checks[n-1]
			p.LastCheck = fmt.Sprintf("%d of %d probes pass, %s ago", c.Passed, c.Total, clock(now.Sub(c.Time)))
		}
		if !a.Mitigated.IsZero() {
			p.Mitigated = clock(a.Mitigated.Sub(a.Started))
		}
		if !a.Resolved.IsZero() {
			p.Resolved = clock(a.Resolved.Sub(a.Started))
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := traineePage.Execute(w, p); err != nil {
		fmt.Fprintf(os.Stderr, "vlab web: %v\n", err)
	}
}

func injectView(sh incident.Shown) shownInject {
	v := shownInject{N: sh.N, Of: sh.Of, Kind: sh.Inject.Kind, Title: sh.Inject.Title, At: "+" + clock(sh.Since), Body: markdown(sh.Inject.Body)}
	if sh.Inject.Attach != "" && picture(sh.Inject.Attach) {
		v.Picture = "attachment/" + strconv.Itoa(sh.N)
	}
	if sh.Inject.Live != nil {
		v.LiveCommand = sh.Inject.Live.Command
	}
	if sh.Live != nil {
		v.Live, v.LiveOK = sh.Live.Output, true
	}
	return v
}

func picture(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp":
		return true
	}
	return false
}

func (t *Trainee) attachment(w http.ResponseWriter, r *http.Request, ref string) {
	s, ok := t.session(w)
	if !ok {
		return
	}
	defer s.Close()
	n, err := strconv.Atoi(ref)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	for _, sh := range mustList(s) {
		in := sh.Inject
		if sh.N != n || in.Attach == "" || !picture(in.Attach) {
			continue
		}
		// Read inside the lab's folder only, as `vlab inject` does.
		f, err := confine.Open(s.Lab.Dir, in.Attach)
		if err != nil {
			http.Error(w, "vlab: "+err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		// Served as a picture that runs nothing, whatever it holds.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		http.ServeContent(w, r, filepath.Base(in.Attach), st.ModTime(), f)
		return
	}
	http.NotFound(w, r)
}

func (t *Trainee) graph(w http.ResponseWriter, r *http.Request) {
	s, ok := t.session(w)
	if !ok {
		return
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()
	stats, errs := ClientStats(ctx, s)
	for _, err := range errs {
		fmt.Fprintf(os.Stderr, "vlab web: %v\n", err)
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	writeGraph(w, stats, t.now())
}

// clock is a duration as the page shows it: 4m05s, 1h02m.
func clock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}
