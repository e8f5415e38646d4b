#!/bin/sh
# Builds puppet.bundle (scripts/lab-history.sh): vlab's kit at kit-3 (the
# web role: edge + application), then the wiki's commits:
#   1. 2025-10-28  the wiki's pages and its firewall rule, 5 requests a second per client (./puppet)
#   2. 2025-11-06  11:20 the hurried change: scope global            <- lab.yaml pins this
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_start kit-3 "Sam Okafor" sam@wiki.example
history_copy
history_commit "2025-10-28T14:05:00+00:00" "wiki: the article pages, and a firewall rule of 5 requests a second per client"
sed -i 's|^      /: {rate: 5r/s, burst: 10, scope: per-client}$|      /: {rate: 5r/s, burst: 10, scope: global}|' "$repo/data/roles/web.yaml"
grep -q 'scope: global' "$repo/data/roles/web.yaml" || { echo "the change did not apply" >&2; exit 1; }
history_commit "2025-11-06T11:20:00+00:00" "waf: hold back the scraper wave, 5 requests a second"
history_bundle
