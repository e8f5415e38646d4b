package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/web"
)

var listenFlag = &cli.StringFlag{Name: "listen", Value: "127.0.0.1:7070", Usage: "address to serve on (keep it on 127.0.0.1; reach it through an SSH tunnel)"}

func webCommand() *cli.Command {
	return &cli.Command{
		Name:      "web",
		Usage:     "serve the trainee's page of an instance: briefing, injects with their graphs, the next one, the last check, the lab's traffic",
		ArgsUsage: "<lab>",
		Flags: []cli.Flag{instanceFlag, listenFlag,
			&cli.BoolFlag{Name: "stdio", Usage: "serve one connection on stdin and stdout instead: a trainee's `page` over their SSH login (docs/CLASSROOM.md)"}},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, _, id string) error {
			inst, err := m.Open(id)
			if err != nil {
				return err
			}
			page := web.NewTrainee(&instanceSource{m: m, id: id})
			if !c.Bool("stdio") {
				return serve(c.Context, e, site{c.String("listen"), page, "the page of " + id})
			}
			// One process per connection: the forms' token must be the
			// same in each, and secret from other web sites.
			key, err := os.ReadFile(inst.KeyFile())
			if err != nil {
				return err
			}
			return web.ServeStream(c.Context, page.WithToken(web.TokenFrom(key)), c.App.Reader, e.stdout)
		}),
	}
}

func classWebCommand() *cli.Command {
	return &cli.Command{
		Name:      "web",
		Usage:     "serve the trainer's dashboard: each trainee's progress beside the real timeline, their debriefs and pages",
		ArgsUsage: "<lab>",
		Flags: []cli.Flag{listenFlag,
			&cli.IntFlag{Name: "pages", Usage: "also serve each trainee's own page on 127.0.0.1, the i-th trainee of the roster at PORT+i (`vlab class keys --pages` lets each tunnel to theirs)"}},
		Action: onClass(func(c *cli.Context, e *env, cl *classroom.Class, ref string) error {
			lab, err := e.lab(ref)
			if err != nil {
				return err
			}
			var mu sync.Mutex
			managers := map[string]*instance.Manager{}
			defer func() {
				for _, m := range managers {
					m.Close()
				}
			}()
			open := func(id string) web.Source {
				mu.Lock()
				defer mu.Unlock()
				if managers[id] == nil {
					managers[id] = e.managerFor(id)
				}
				return &instanceSource{m: managers[id], id: id}
			}
			sites := []site{{c.String("listen"), web.NewDashboard(lab, cl, open), "the dashboard of the class of " + lab.Name}}
			if base := c.Int("pages"); base > 0 {
				roster, err := classroom.LoadRoster(e.home, lab.Name)
				if err != nil {
					return err
				}
				for i, t := range roster.Trainees {
					addr := fmt.Sprintf("127.0.0.1:%d", classroom.PagePort(base, i))
					sites = append(sites, site{addr, web.NewTrainee(open(t.Instance)), t.Name + "'s page"})
				}
			}
			return serve(c.Context, e, sites...)
		}),
	}
}

// instanceSource opens an instance's incident for each request.
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

// site is a handler to serve on an address.
type site struct {
	addr string
	h    http.Handler
	what string
}

// serve serves each site until the command is interrupted; it listens on
// all of them before it serves any.
func serve(ctx context.Context, e *env, sites ...site) error {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, s := range sites {
		l, err := net.Listen("tcp", s.addr)
		if err != nil {
			return fmt.Errorf("listen on %s for %s: %w; choose another with --listen or --pages", s.addr, s.what, err)
		}
		ls = append(ls, l)
	}
	errs := make(chan error, len(sites))
	var srvs []*http.Server
	for i, s := range sites {
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second}
		srvs = append(srvs, srv)
		fmt.Fprintf(e.stderr, "serving %s on http://%s/\n", s.what, ls[i].Addr())
		go func() { errs <- srv.Serve(ls[i]) }()
	}
	fmt.Fprintln(e.stderr, "Ctrl-C stops")
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
