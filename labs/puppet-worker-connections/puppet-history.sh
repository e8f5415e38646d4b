#!/bin/sh
# Builds puppet.bundle: the shop's puppet repository, which is vlab's kit
# at kit-1 with the shop's own commits on top, so the lab pins a commit that
# travels with it (offline, and in a shallow clone of vlab):
#
#   kit-1                  vlab's kit: roles, profiles, hiera (kit/puppet)
#   1. 2024-05-21  the live scoreboard's edge on the kit (worker_connections 1024)
#   2. 2024-06-08  OPS-3120: worker_connections 64 in data/common.yaml  <- lab.yaml pins this
#   3. 2024-06-10  an unrelated later change (staging keepalive), so the pin is not HEAD
#
# The source is ./puppet, the shop's files as they are at commit 2 (laid
# over the kit's tree); commit 1 is the same with the value before the
# change. Names, dates and modes are fixed, so the commit ids are the same
# on every run and every machine: after editing ./puppet, run this again
# and update `revision:` in lab.yaml to the id it prints.
#
# Usage: labs/puppet-worker-connections/puppet-history.sh
set -eu

lab=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# No user or system configuration (signing, hooks, templates, autocrlf).
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$tmp" LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME="Jo Lindqvist" GIT_AUTHOR_EMAIL="jo@shop.example"
export GIT_COMMITTER_NAME="Jo Lindqvist" GIT_COMMITTER_EMAIL="jo@shop.example"

repo=$tmp/shop-puppet
git clone -q --template= "$lab/../../kit/history.bundle" "$repo"
git -C "$repo" checkout -q -B main kit-1
git -C "$repo" remote remove origin
git -C "$repo" config core.autocrlf false
git -C "$repo" config core.fileMode true

commit() { # DATE MESSAGE
	GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" \
		git -C "$repo" -c commit.gpgsign=false commit -q --no-verify -m "$2"
}

# The shop's files over the kit's, every file 0644 whatever the checkout's modes.
cp -R "$lab/puppet/." "$repo/"
find "$repo" -path "$repo/.git" -prune -o -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
grep -qx 'profile::nginx_edge::worker_connections: 64' "$repo/data/common.yaml" ||
	{ echo "puppet/data/common.yaml must hold the bad value (worker_connections: 64)" >&2; exit 1; }

# 1: before the change.
sed -i 's/^profile::nginx_edge::worker_connections: 64$/profile::nginx_edge::worker_connections: 1024/' "$repo/data/common.yaml"
git -C "$repo" add -A
commit "2024-05-21T10:14:00+00:00" "role::scoreboard_edge: the live scoreboard, nginx in front of the app

The scoreboard's own profile and role on the kit's nginx edge; its site
and long-polling in data/roles/scoreboard_edge.yaml."

# 2: the change of 17:02, the lab's pinned revision.
sed -i 's/^profile::nginx_edge::worker_connections: 1024$/profile::nginx_edge::worker_connections: 64/' "$repo/data/common.yaml"
git -C "$repo" add -A
commit "2024-06-08T17:02:00+00:00" "nginx: cap worker_connections at 64 for the 256 MiB staging edges (OPS-3120)"
bad=$(git -C "$repo" rev-parse HEAD)

# 3: later, unrelated.
printf 'profile::nginx_edge::keepalive_timeout: 15\n' >>"$repo/data/roles/staging_edge.yaml"
git -C "$repo" add -A
commit "2024-06-10T09:30:00+00:00" "staging edges: shorter keepalive (OPS-3131)"

git -C "$repo" tag -d $(git -C "$repo" tag -l) >/dev/null
git -C "$repo" bundle create -q "$lab/puppet.bundle" main 2>/dev/null ||
	git -C "$repo" bundle create "$lab/puppet.bundle" main
git -C "$repo" log --format='%H %ad %s' --date=short
echo "pin in lab.yaml: revision: $bad"
