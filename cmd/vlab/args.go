package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves a command's flags that come after its arguments in
// front of them, so that `vlab up web --instance alice` means what it says
// (urfave/cli stops reading flags at the first argument). Everything after
// `--` is left alone: it is the command to run in the guest.
func interspersed(app *cli.App, args []string) []string {
	cmdAt, cmd := findCommand(app, args)
	for cmd != nil && len(cmd.Subcommands) > 0 && cmdAt+1 < len(args) {
		cmdAt++
		cmd = cmd.Command(args[cmdAt])
	}
	if cmd == nil {
		return args
	}
	var flags, rest []string
	tail := args[cmdAt+1:]
	for i := 0; i < len(tail); i++ {
		a := tail[i]
		if a == "--" {
			rest = append(rest, tail[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			rest = append(rest, a)
			continue
		}
		flags = append(flags, a)
		if takesValue(cmd, a) && !strings.Contains(a, "=") && i+1 < len(tail) {
			i++
			flags = append(flags, tail[i])
		}
	}
	out := append([]string{}, args[:cmdAt+1]...)
	return append(append(out, flags...), rest...)
}

// findCommand finds the verb among args, skipping global flags.
func findCommand(app *cli.App, args []string) (int, *cli.Command) {
	for i := 1; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if globalTakesValue(app, a) && !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		return i, app.Command(a)
	}
	return 0, nil
}

func takesValue(cmd *cli.Command, arg string) bool { return flagTakesValue(cmd.Flags, arg) }

func globalTakesValue(app *cli.App, arg string) bool { return flagTakesValue(app.Flags, arg) }

func flagTakesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				_, isBool := f.(*cli.BoolFlag)
				return !isBool
			}
		}
	}
	return false
}
