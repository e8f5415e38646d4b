package provision

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/cmdrun"
)

// A lab's git repository is untrusted: its config may name commands (tar
// filters, core.fsmonitor, core.sshCommand, filter drivers, include.path)
// and it may carry hooks, and git honours them when it runs in that
// repository. So vlab never does: it fetches the lab's history into a
// repository of its own in the cache, whose config vlab wrote, and reads
// and archives it there. Fetching runs git-upload-pack in the source,
// which honours none of those settings (it is what `git clone
// --no-local` relies on to sanitise an untrusted repository).
//
// gitTool runs git for one export with an environment that reads no
// configuration but vlab's own: no system config, a global config that
// vlab writes into an empty HOME, no GIT_* variables from the caller.

// remoteProtocols are the transports a lab's git URL may use; local paths
// and bundles are fetched with "file".
const remoteProtocols = "https:http:ssh:git"

// globalGitConfig is the only config git reads besides a repository's own.
// The ownership check (safe.directory) guards against running a
// repository's config; vlab never does, and root fetching from a lab owned
// by a user must work.
const globalGitConfig = "[safe]\n\tdirectory = *\n[core]\n\thooksPath = /dev/null\n\tfsmonitor = false\n"

type gitTool struct {
	home    string   // empty HOME with vlab's global config
	env     []string // for local sources and vlab's own repositories
	netEnv  []string // for fetching a remote URL
	verbose io.Writer
}

// newGitTool prepares git's environment; fileURLs also lets remote
// operations use file:// URLs (tests).
func newGitTool(verbose io.Writer, fileURLs bool) (*gitTool, error) {
	home, err := os.MkdirTemp("", "vlab-git-")
	if err != nil {
		return nil, err
	}
	config := filepath.Join(home, "gitconfig")
	if err := os.WriteFile(config, []byte(globalGitConfig), 0o600); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	remote := remoteProtocols
	if fileURLs {
		remote += ":file"
	}
	common := []string{"GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_NO_REPLACE_OBJECTS=1", "GIT_NO_LAZY_FETCH=1",
		"GIT_CEILING_DIRECTORIES=" + filepath.Dir(home),
		// Settings that win over any repository's config, vlab's mirrors
		// included: no hooks, no file system monitor.
		"GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=core.hooksPath", "GIT_CONFIG_VALUE_0=/dev/null",
		"GIT_CONFIG_KEY_1=core.fsmonitor", "GIT_CONFIG_VALUE_1=false"}
	g := &gitTool{home: home, verbose: verbose}
	g.env = append(withoutGitVars(os.Environ(), true), common...)
	g.env = append(g.env, "HOME="+home, "XDG_CONFIG_HOME="+home, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+config, "GIT_ATTR_NOSYSTEM=1", "GIT_ALLOW_PROTOCOL=file")
	// A remote fetch keeps the user's own git and ssh settings (proxies,
	// credentials, keys): they are not the lab's.
	g.netEnv = append(withoutGitVars(os.Environ(), false), common...)
	g.netEnv = append(g.netEnv, "GIT_ALLOW_PROTOCOL="+remote)
	return g, nil
}

func (g *gitTool) close() { os.RemoveAll(g.home) }

// withoutGitVars drops the caller's GIT_* variables (GIT_DIR and the like
// would point git elsewhere), keeping those that only configure network
// access unless all is set; all also drops HOME and XDG_CONFIG_HOME.
func withoutGitVars(env []string, all bool) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case all && (name == "HOME" || name == "XDG_CONFIG_HOME"):
			continue
		case !strings.HasPrefix(name, "GIT_"):
		case !all && (strings.HasPrefix(name, "GIT_SSH") || strings.HasPrefix(name, "GIT_SSL_") ||
			strings.HasPrefix(name, "GIT_HTTP_") || name == "GIT_PROXY_COMMAND" || name == "GIT_ASKPASS"):
		default:
			continue
		}
		out = append(out, kv)
	}
	return out
}

// run runs git in dir (vlab's home when empty) with the isolated
// environment and returns its stdout.
func (g *gitTool) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return g.command(ctx, g.env, g.verbose, dir, args)
}

// quiet is run without copying git's output anywhere: for questions whose
// failure is an answer.
func (g *gitTool) quiet(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return g.command(ctx, g.env, nil, dir, args)
}

// runNet is run for commands that fetch a remote URL.
func (g *gitTool) runNet(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return g.command(ctx, g.netEnv, g.verbose, dir, args)
}

func (g *gitTool) command(ctx context.Context, env []string, verbose io.Writer, dir string, args []string) ([]byte, error) {
	if dir == "" {
		dir = g.home
	}
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = env
	return cmdrun.Output(ctx, cmd, verbose)
}
