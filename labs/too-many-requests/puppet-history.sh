#!/bin/sh
# Builds puppet.bundle (scripts/lab-history.sh): vlab's kit at kit-13 (the
# app role: MediaWiki behind the node's nginx), then the wiki's commits:
#   1. 2025-10-28  the wiki's node and its firewall rule, 2 requests a second per client (./puppet)
#   2. 2025-11-06  11:20 the hurried change: scope global            <- lab.yaml pins this
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_start kit-13 "Sam Okafor" sam@wiki.example
history_copy
history_commit "2025-10-28T14:05:00+00:00" "wiki: the edge in front of MediaWiki, and a firewall rule of 2 requests a second per client"
sed -i 's|^      /: {rate: 2r/s, burst: 5, scope: per-client}$|      /: {rate: 2r/s, burst: 5, scope: global}|' "$repo/data/hosts/edge.yaml"
grep -q 'scope: global' "$repo/data/hosts/edge.yaml" || { echo "the change did not apply" >&2; exit 1; }
history_commit "2025-11-06T11:20:00+00:00" "waf: hold back the scraper wave, 2 requests a second"
history_bundle
