package main

import (
	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/classroom"
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
			return web.ServeInstance(c.Context, m, id, web.ServeOptions{Listen: c.String("listen"), Stdio: c.Bool("stdio"),
				In: c.App.Reader, Out: e.stdout, Log: e.stderr})
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
			return web.ServeClass(c.Context, lab, cl, web.ServeOptions{Listen: c.String("listen"), Pages: c.Int("pages"), Log: e.stderr})
		}),
	}
}
