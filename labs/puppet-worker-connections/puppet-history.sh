#!/bin/sh
# Builds puppet.bundle (scripts/lab-history.sh): vlab's kit at kit-1, then
# the shop's commits:
#   1. 2024-05-21  the live scoreboard's edge on the kit (worker_connections 1024)
#   2. 2024-06-08  OPS-3120: worker_connections 64 in data/common.yaml  <- lab.yaml pins this
#   3. 2024-06-10  an unrelated later change (staging keepalive), so the pin is not HEAD
# ./puppet holds the shop's files as at commit 2.
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_start kit-1 "Jo Lindqvist" jo@shop.example
history_copy
sed -i 's/^profile::nginx_edge::worker_connections: 64$/profile::nginx_edge::worker_connections: 1024/' "$repo/data/common.yaml"
history_commit "2024-05-21T10:14:00+00:00" "role::scoreboard_edge: the live scoreboard, nginx in front of the app

The scoreboard's own profile and role on the kit's nginx edge; its site
and long-polling in data/roles/scoreboard_edge.yaml."
sed -i 's/^profile::nginx_edge::worker_connections: 1024$/profile::nginx_edge::worker_connections: 64/' "$repo/data/common.yaml"
history_commit "2024-06-08T17:02:00+00:00" "nginx: cap worker_connections at 64 for the 256 MiB staging edges (OPS-3120)"
printf 'profile::nginx_edge::keepalive_timeout: 15\n' >>"$repo/data/roles/staging_edge.yaml"
history_commit "2024-06-10T09:30:00+00:00" "staging edges: shorter keepalive (OPS-3131)"
history_bundle
