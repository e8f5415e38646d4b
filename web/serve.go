package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
)

// ServeOptions say where ServeInstance and ServeClass serve.
type ServeOptions struct {
	// Listen is the address of the page or the dashboard.
	Listen string
	// Stdio, for ServeInstance, serves one connection made of In and Out
	// instead of listening: a trainee's page over their SSH login.
	Stdio bool
	In    io.Reader
	Out   io.Writer
	// Pages, for ServeClass, also serves each trainee's own page on
	// 127.0.0.1, at classroom.PagePort(Pages, i); 0 serves none.
	Pages int
	// Log says where each site is served.
	Log io.Writer
}

// ServeInstance is `vlab web`: instance id's page for its trainee, the
// instance opened through m, until ctx ends.
func ServeInstance(ctx context.Context, m *instance.Manager, id string, opts ServeOptions) error {
	inst, err := m.Open(id)
	if err != nil {
		return err
	}
	page := NewTrainee(InstanceSource(m, id))
	if !opts.Stdio {
		return Serve(ctx, opts.Log, Site{opts.Listen, page, "the page of " + id})
	}
	// One process per connection: the forms' token must be the same in
	// each, and secret from other web sites.
	key, err := os.ReadFile(inst.KeyFile())
	if err != nil {
		return err
	}
	return ServeStream(ctx, page.WithToken(TokenFrom(key)), opts.In, opts.Out)
}

// ServeClass is `vlab class web`: the dashboard of lab's class, and with
// opts.Pages each trainee's page, until ctx ends. Each trainee's instance
// is opened through a manager of the class's settings, kept until then.
func ServeClass(ctx context.Context, lab *labfile.Lab, cl *classroom.Class, opts ServeOptions) error {
	var mu sync.Mutex
	managers := map[string]*instance.Manager{}
	defer func() {
		for _, m := range managers {
			m.Close()
		}
	}()
	open := func(id string) Source {
		mu.Lock()
		defer mu.Unlock()
		if managers[id] == nil {
			managers[id] = cl.Settings.ManagerFor(id)
		}
		return InstanceSource(managers[id], id)
	}
	sites := []Site{{opts.Listen, NewDashboard(lab, cl, open), "the dashboard of the class of " + lab.Name}}
	if opts.Pages > 0 {
		roster, err := classroom.LoadRoster(cl.Settings.Home, lab.Name)
		if err != nil {
			return err
		}
		for i, t := range roster.Trainees {
			addr := fmt.Sprintf("127.0.0.1:%d", classroom.PagePort(opts.Pages, i))
			sites = append(sites, Site{addr, NewTrainee(open(t.Instance)), t.Name + "'s page"})
		}
	}
	return Serve(ctx, opts.Log, sites...)
}

// InstanceSource is instance id as a page shows it: its incident, opened
// through m for each request.
func InstanceSource(m *instance.Manager, id string) Source {
	return &instanceSource{m: m, id: id}
}

type instanceSource struct {
	m  *instance.Manager
	id string
}

func (s *instanceSource) ID() string { return s.id }

func (s *instanceSource) Session() (*incident.Session, error) {
	inst, err := s.m.Open(s.id)
	if err != nil {
		return nil, err
	}
	return incident.OnInstance(inst)
}

// Site is a handler to serve on an address; What names it for people.
type Site struct {
	Addr    string
	Handler http.Handler
	What    string
}

// Serve serves each site until ctx ends, saying on log where; it listens
// on all of them before it serves any.
func Serve(ctx context.Context, log io.Writer, sites ...Site) error {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, s := range sites {
		l, err := net.Listen("tcp", s.Addr)
		if err != nil {
			return fmt.Errorf("listen on %s for %s: %w; choose another with --listen or --pages", s.Addr, s.What, err)
		}
		ls = append(ls, l)
	}
	errs := make(chan error, len(sites))
	var srvs []*http.Server
	for i, s := range sites {
		srv := &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
		srvs = append(srvs, srv)
		fmt.Fprintf(log, "serving %s on http://%s/\n", s.What, ls[i].Addr())
		go func() { errs <- srv.Serve(ls[i]) }()
	}
	fmt.Fprintln(log, "Ctrl-C stops")
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range srvs {
		srv.Shutdown(sctx)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
