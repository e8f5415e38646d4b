#!/bin/sh
# Builds puppet.bundle (scripts/lab-history.sh): vlab's kit at kit-10, then
#   1. 2025-01-14  the portal, its other names, its cache (./puppet)
#   2. 2025-02-27  13:42 one rule for every other name      <- lab.yaml pins this
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_start kit-10 "Ravi Menon" ravi@wiki.example
history_copy
history_commit 2025-01-14T09:30:00+00:00 "portal: the portal and its cache; other names redirect to it"
sed -i 's|server_name: "www.wiki.example",|server_name: "_",|; s|server_name: "wiki.example wiki.example.com www.wiki.example.com"|server_name: "wiki.example *.wiki.example *.wiki.example.com wiki.example.com"|' "$repo/data/roles/portal_cache.yaml"
history_commit 2025-02-27T13:42:00+00:00 "portal: one rule for every other name, the portal is the default site"
history_bundle
