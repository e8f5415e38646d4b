package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
		Flags:     []cli.Flag{instanceFlag, listenFlag},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, _, id string) error {
			if _, err := m.Open(id); err != nil {
				return err
			}
			return serve(c.Context, e, c.String("listen"), web.NewTrainee(&instanceSource{m: m, id: id}), "the page of "+id)
		}),
	}
}

func classWebCommand() *cli.Command {
	return &cli.Command{
		Name:      "web",
		Usage:     "serve the trainer's dashboard: each trainee's progress beside the real timeline, their debriefs and pages",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{listenFlag},
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
			return serve(c.Context, e, c.String("listen"), web.NewDashboard(lab, cl, open), "the dashboard of the class of "+lab.Name)
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

// serve serves h on addr until the command is interrupted.
func serve(ctx context.Context, e *env, addr string, h http.Handler, what string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w; choose another with --listen", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stderr, "serving %s on http://%s/ (Ctrl-C stops)\n", what, l.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
