package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/vlab-dev/vlab/internal/digest"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/traffic"
)

// Where vlab's traffic client and its configs go in a guest.
const (
	ClientGuestBin  = "/usr/local/lib/vlab/vlab-client"
	clientConfigDir = "/etc/vlab/clients"
)

// ClientEnv names the environment variable that points vlab at its traffic
// client binary, when it is not beside vlab's own.
const ClientEnv = "VLAB_CLIENT"

// ClientBinary is vlab's traffic client as a guest gets it: where it is on
// this machine and its digest (part of the golden key).
type ClientBinary struct {
	Path   string
	Digest string
}

// FindClient locates the vlab-client binary: $VLAB_CLIENT, else
// vlab-client beside the running vlab.
func FindClient(ctx context.Context) (ClientBinary, error) {
	p := os.Getenv(ClientEnv)
	if p == "" {
		exe, err := os.Executable()
		if err != nil {
			return ClientBinary{}, err
		}
		p = filepath.Join(filepath.Dir(exe), "vlab-client")
	}
	_, d, err := digest.File(ctx, p)
	if errors.Is(err, os.ErrNotExist) {
		return ClientBinary{}, fmt.Errorf("vlab's traffic client %s is missing; build it beside vlab with scripts/build (or set %s)", p, ClientEnv)
	} else if err != nil {
		return ClientBinary{}, fmt.Errorf("vlab's traffic client %s: %w", p, err)
	}
	return ClientBinary{Path: p, Digest: d}, nil
}

// ClientConfig is the guest client's config for trigger t.
func ClientConfig(t labfile.Trigger) traffic.Config {
	c := t.Client
	cfg := traffic.Config{Name: t.Name, Rate: c.Rate, Concurrency: c.Concurrency, Ramp: c.Ramp.D(), Timeout: c.Timeout.D(),
		NoKeepAlive: c.KeepAlive != nil && !*c.KeepAlive, Headers: c.Headers, Sources: c.Sources,
		Redirects: c.Redirects, VerifyTLS: c.VerifyTLS}
	for _, tg := range c.Targets {
		cfg.Targets = append(cfg.Targets, traffic.Target{URL: tg.URL, Method: tg.Method, Body: tg.Body, Headers: tg.Headers, Weight: tg.Weight})
	}
	if s := c.Slow; s != nil {
		cfg.Slow = &traffic.Slow{URL: s.URL, Connections: s.Connections, Interval: s.Interval.D()}
	}
	return cfg
}

// clientConfigPath is where trigger t's client config goes in the guest.
func clientConfigPath(t labfile.Trigger) string { return path.Join(clientConfigDir, t.Name+".json") }

// clientCommand is the ExecStart of a client trigger's unit.
func clientCommand(t labfile.Trigger) string { return ClientGuestBin + " " + clientConfigPath(t) }

// installClients puts the client binary and each client trigger's config
// into the guest.
func installClients(ctx context.Context, r Runner, bin ClientBinary, triggers []labfile.Trigger, out io.Writer) error {
	n := 0
	for _, t := range triggers {
		if t.Client == nil {
			continue
		}
		b, err := json.MarshalIndent(ClientConfig(t), "", "  ")
		if err != nil {
			return err
		}
		if err := r.WriteFile(ctx, clientConfigPath(t), b, 0o644); err != nil {
			return fmt.Errorf("client config of trigger %s: %w", t.Name, err)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	if bin.Path == "" {
		return errors.New("a trigger runs vlab's traffic client, but no client binary was planned")
	}
	if err := r.Upload(ctx, bin.Path, ClientGuestBin); err != nil {
		return fmt.Errorf("upload vlab's traffic client: %w", err)
	}
	return guestRun(ctx, r, "guest", "chmod 0755 "+ClientGuestBin, out)
}

// hasClient reports whether any of triggers runs the traffic client.
func hasClient(triggers []labfile.Trigger) bool {
	for _, t := range triggers {
		if t.Client != nil {
			return true
		}
	}
	return false
}
