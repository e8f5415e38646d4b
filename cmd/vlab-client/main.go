// Command vlab-client is vlab's traffic client: the program a lab's
// trigger runs in a guest to play the incident's users or its abusive
// client. vlab uploads it with the client's config (JSON, see
// traffic.Config) and runs it as the trigger's systemd unit:
//
//	vlab-client /etc/vlab/clients/<name>.json
//
// It writes what it saw every second to /run/vlab/clients/<name>.json
// (traffic.Stats) until it is stopped.
//
// Its bytes are part of the golden state of every lab that runs a client,
// so it is built reproducibly (scripts/build-client) and imports only the
// traffic package.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/vlab-dev/vlab/traffic"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vlab-client CONFIG.json")
		os.Exit(2)
	}
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "vlab-client: %v\n", err)
		os.Exit(2)
	}
	var cfg traffic.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "vlab-client: %s: %v\n", os.Args[1], err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := traffic.Run(ctx, cfg, traffic.StatsPath(cfg.Name)); err != nil {
		fmt.Fprintf(os.Stderr, "vlab-client: %v\n", err)
		os.Exit(1)
	}
}
