// Command vlab turns past production incidents into resettable VM labs.
// It is a thin layer over the library (README, Layout): each verb lives in
// its own file, reads its flags and makes one call into the packages below.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/internal/release"
	"github.com/vlab-dev/vlab/internal/termtext"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one vlab command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdin, stdout, stderr, nil)
}

// runWith is run with the VMs on the drivers open opens (nil: the real
// ones): a test puts a fake behind the real commands.
func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, open opener) (code int) {
	defer func() {
		// A bug must not cost the user a stack trace: say what happened in
		// one line and ask for a report.
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "vlab: internal error: %v; please report it with the command you ran\n", r)
			code = 3
		}
	}()
	app := newApp(stdin, stdout, stderr, open)
	verbose := false
	app.Before = func(c *cli.Context) error {
		verbose = c.Bool("verbose")
		return nil
	}
	args, err := interspersed(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return 0
	}
	var ex exitError
	if errors.As(err, &ex) {
		if ex.err != nil {
			printError(stderr, ex.err, verbose)
		}
		return ex.code
	}
	printError(stderr, err, verbose)
	return 2
}

// printError prints err once, with one line of what to do when vlab can
// tell; with --verbose, also the tail of what a failed command printed.
// An error may quote a lab or a guest (a file name, a probe's output), so
// it is sanitised like any text vlab did not write.
func printError(w io.Writer, err error, verbose bool) {
	fmt.Fprintf(w, "vlab: %s\n", termtext.Text(err.Error()))
	var t interface{ Tail() string }
	if verbose && errors.As(err, &t) && t.Tail() != "" {
		fmt.Fprintf(w, "  | %s\n", strings.ReplaceAll(termtext.Text(t.Tail()), "\n", "\n  | "))
	}
	var h interface{ Hint() string }
	hint := hintFor(err)
	if errors.As(err, &h) && h.Hint() != "" {
		hint = h.Hint()
	}
	if hint != "" {
		fmt.Fprintf(w, "vlab: %s\n", hint)
	}
}

// exitError carries an exit code other than the default for errors (2),
// e.g. `vlab check` exits 1 when the incident is not resolved yet.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// newApp builds the CLI, its commands running VMs on the drivers open
// opens (nil: the real ones).
func newApp(stdin io.Reader, stdout, stderr io.Writer, open opener) *cli.App {
	verbose := termtext.NewWriter(stderr)
	return &cli.App{
		Metadata: map[string]any{openerKey: open, verboseKey: verbose},
		// What guests printed last, without a line end, is not lost.
		After:     func(*cli.Context) error { return verbose.Flush() },
		Name:      "vlab",
		Usage:     "hands-on incident labs in resettable virtual machines",
		Reader:    stdin,
		Writer:    stdout,
		ErrWriter: stderr,
		Flags:     append(globalFlags(), &cli.BoolFlag{Name: "version", Usage: "print vlab's version"}),
		// Without a verb: the version with --version, else the help.
		Action: func(c *cli.Context) error {
			if c.Bool("version") {
				_, err := fmt.Fprintf(c.App.Writer, "vlab %s\n", release.Version())
				return err
			}
			return cli.ShowAppHelp(c)
		},
		Commands: oneLineUsageErrors("vlab", commands()),
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w; `vlab --help` lists the flags", err)
		},
		// Errors are printed once by run, not by the library.
		ExitErrHandler:         func(*cli.Context, error) {},
		HideHelpCommand:        true,
		UseShortOptionHandling: true,
		Suggest:                true,
	}
}

// oneLineUsageErrors makes a wrong flag one error line, printed by run,
// rather than the library's usage page.
func oneLineUsageErrors(parent string, cmds []*cli.Command) []*cli.Command {
	for _, c := range cmds {
		name := parent + " " + c.Name
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			return fmt.Errorf("%w; `%s --help` lists the flags", err, name)
		}
		oneLineUsageErrors(name, c.Subcommands)
	}
	return cmds
}

// commands lists every verb; each is defined in its own file.
func commands() []*cli.Command {
	return []*cli.Command{
		upCommand(),
		sshCommand(),
		statusCommand(),
		resetCommand(),
		downCommand(),
		destroyCommand(),
		imagesCommand(),
		doctorCommand(),
		injectCommand(),
		playCommand(),
		checkCommand(),
		solveCommand(),
		solutionCommand(),
		previewCommand(),
		debriefCommand(),
		labsCommand(),
		validateCommand(),
		testCommand(),
		goldenCommand(),
		newCommand(),
		traineeCommand(),
		webCommand(),
		exportCommand(),
		bundleCommand(),
		standbyCommand(),
		classCommand(),
	}
}
