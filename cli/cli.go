// Package cli is the onyx command: one table of subcommands (test, run,
// inspect, demo, version, help), each with its usage, help and run
// function. tools/onyx/main.go only calls Run, so every command can be
// tested in-process through RunIO.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	_ "github.com/onyxgo/onyx/backends/cpu" // the reference backend
)

// Version is the version of onyx the command reports.
const Version = "0.1.0-dev"

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and failed
	exitUsage = 2 // bad arguments
)

// command is one subcommand.
type command struct {
	name  string
	args  string // the arguments in the usage line, e.g. "MODEL [flags]"
	short string // one line for the command list
	long  string // paragraphs for --help
	// flags declares the command's flags on fs and returns the function
	// that runs it on the positional arguments.
	flags func(fs *flag.FlagSet) func(e *env, args []string) int
}

// env is where a command writes.
type env struct {
	stdout, stderr io.Writer
}

func (e *env) errorf(format string, args ...any) int {
	fmt.Fprintf(e.stderr, "onyx: "+format+"\n", args...)
	return exitFail
}

var commands []*command

func init() {
	commands = []*command{testCmd, runCmd, inspectCmd, demoCmd, versionCmd, helpCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Run runs the onyx command with args (without the program name) on the
// process's standard output and error, and returns the exit code.
func Run(args []string) int { return RunIO(args, os.Stdout, os.Stderr) }

// RunIO is Run writing to the given stdout and stderr.
func RunIO(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printCommands(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printCommands(stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "onyx: unknown command %q\n\n", name)
		printCommands(stderr)
		return exitUsage
	}
	return c.exec(e, args[1:])
}

// exec parses the command's flags (anywhere among its arguments) and runs
// it. --help prints the command's help on stdout.
func (c *command) exec(e *env, args []string) int {
	fs := flag.NewFlagSet("onyx "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	run := c.flags(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp(e.stdout, fs)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "onyx %s: %v\n", c.name, err)
		fmt.Fprintf(e.stderr, "usage: onyx %s %s (onyx %s --help for more)\n", c.name, c.args, c.name)
		return exitUsage
	}
	return run(e, pos)
}

// parseInterspersed parses flags that may come before, between or after
// the positional arguments, which it returns. Everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *command) printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: onyx %s %s\n\n%s\n", c.name, c.args, c.short)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintf(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

func printCommands(w io.Writer) {
	fmt.Fprintf(w, "onyx is a pure-Go ONNX runtime.\n\nusage: onyx COMMAND [arguments]\n\ncommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.short)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun 'onyx COMMAND --help' for a command's usage and flags.\n")
}

var versionCmd = &command{
	name:  "version",
	args:  "",
	short: "print the version of onyx",
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		return func(e *env, args []string) int {
			if len(args) > 0 {
				return e.errorf("version takes no arguments")
			}
			fmt.Fprintf(e.stdout, "onyx %s (%s %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitOK
		}
	},
}

var helpCmd = &command{
	name:  "help",
	args:  "[COMMAND]",
	short: "list the commands, or show one command's help",
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		return func(e *env, args []string) int {
			switch len(args) {
			case 0:
				printCommands(e.stdout)
				return exitOK
			case 1:
				c := lookup(args[0])
				if c == nil {
					fmt.Fprintf(e.stderr, "onyx help: unknown command %q\n", args[0])
					return exitUsage
				}
				fs := flag.NewFlagSet("onyx "+c.name, flag.ContinueOnError)
				c.flags(fs)
				c.printHelp(e.stdout, fs)
				return exitOK
			}
			fmt.Fprintln(e.stderr, "onyx help: at most one command")
			return exitUsage
		}
	},
}
