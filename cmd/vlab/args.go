package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed moves a command's flags that come after its arguments in
// front of them, so that `vlab up web --instance alice` means what it says
// (urfave/cli stops reading flags at the first argument). Everything after
// `--` is left alone: it is the command to run in the guest. A flag that
// takes a value but ends the line is an error: moved in front, it would
// take the command's argument as its value. --help anywhere asks for the
// command's help, whatever else the line holds.
func interspersed(app *cli.App, args []string) ([]string, error) {
	cmdAt, cmd := findCommand(app, args)
	verbAt := cmdAt
	name := []string{"vlab"}
	if cmd != nil {
		name = append(name, cmd.Name)
	}
	for cmd != nil && len(cmd.Subcommands) > 0 && cmdAt+1 < len(args) {
		cmdAt++
		if cmd = cmd.Command(args[cmdAt]); cmd != nil {
			name = append(name, cmd.Name)
		}
	}
	if cmd == nil {
		return args, nil
	}
	head := append([]string{}, args[:cmdAt+1]...)
	var global, flags, rest []string
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
		if a == "--help" || a == "-h" {
			return append(head, a), nil
		}
		// A global flag after the verb (`vlab up web --standby=false`)
		// goes in front of it, where urfave/cli reads global flags.
		to, set := &flags, cmd.Flags
		if !hasFlag(cmd.Flags, a) && hasFlag(app.Flags, a) {
			to, set = &global, app.Flags
		}
		*to = append(*to, a)
		if flagTakesValue(set, a) && !strings.Contains(a, "=") {
			if i+1 == len(tail) {
				return nil, fmt.Errorf("flag %s needs a value; `%s --help` lists the flags", a, strings.Join(name, " "))
			}
			i++
			*to = append(*to, tail[i])
		}
	}
	out := append(append(append([]string{}, head[:verbAt]...), global...), head[verbAt:]...)
	return append(append(out, flags...), rest...), nil
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

func globalTakesValue(app *cli.App, arg string) bool { return flagTakesValue(app.Flags, arg) }

// flagName is the name a command-line flag gives: --instance=x → instance.
func flagName(arg string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}

func hasFlag(flags []cli.Flag, arg string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == flagName(arg) {
				return true
			}
		}
	}
	return false
}

func flagTakesValue(flags []cli.Flag, arg string) bool {
	name := flagName(arg)
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
