#!/bin/sh
# Builds puppet.bundle: the wiki's puppet repository, vlab's kit at kit-3
# with the wiki's own commits on top, so the lab pins a commit that travels
# with it:
#
#   kit-3                  vlab's kit (the web role: edge + application)
#   1. 2025-10-28  the wiki's pages and its firewall rule, 5 requests a second per client
#   2. 2025-11-06  11:20 the hurried change: scope global            <- lab.yaml pins this
#
# ./puppet holds the wiki's files as at commit 1; commit 2 is the change.
# Names, dates and modes are fixed, so the ids are the same on every run:
# after editing ./puppet, run this again and update `revision:` in lab.yaml.
set -eu

lab=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$tmp" LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME="Sam Okafor" GIT_AUTHOR_EMAIL="sam@wiki.example"
export GIT_COMMITTER_NAME="Sam Okafor" GIT_COMMITTER_EMAIL="sam@wiki.example"

repo=$tmp/wiki-puppet
git clone -q --template= "$lab/../../kit/history.bundle" "$repo"
git -C "$repo" checkout -q -B main kit-3
git -C "$repo" remote remove origin
git -C "$repo" config core.autocrlf false

commit() { # DATE MESSAGE
	GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" \
		git -C "$repo" -c commit.gpgsign=false commit -q --no-verify -m "$2"
}

cp -R "$lab/puppet/." "$repo/"
find "$repo" -path "$repo/.git" -prune -o -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
git -C "$repo" add -A
commit "2025-10-28T14:05:00+00:00" "wiki: the article pages, and a firewall rule of 5 requests a second per client"

sed -i 's|^      /: {rate: 5r/s, burst: 10, scope: per-client}$|      /: {rate: 5r/s, burst: 10, scope: global}|' "$repo/data/roles/web.yaml"
grep -q 'scope: global' "$repo/data/roles/web.yaml" || { echo "the change did not apply" >&2; exit 1; }
git -C "$repo" add -A
commit "2025-11-06T11:20:00+00:00" "waf: hold back the scraper wave, 5 requests a second"
bad=$(git -C "$repo" rev-parse HEAD)

git -C "$repo" tag -d $(git -C "$repo" tag -l) >/dev/null
git -C "$repo" bundle create -q "$lab/puppet.bundle" main
git -C "$repo" log --format='%H %ad %s' --date=short
echo "pin in lab.yaml: revision: $bad"
