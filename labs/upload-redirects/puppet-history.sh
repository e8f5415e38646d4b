#!/bin/sh
# Builds puppet.bundle (scripts/lab-history.sh): vlab's kit at kit-10, then
#   1. 2019-01-22  the media caches (./puppet)
#   2. 2019-02-11  16:43 trusted proxies per cache cluster   <- lab.yaml pins this
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_start kit-10 "Kim Ferreira" kim@wiki.example
history_copy
history_commit 2019-01-22T10:12:00+00:00 "upload: the media caches, HTTPS only"
sed -i "s|^profile::varnish::trusted_proxies: \['127.0.0.1'\]$|profile::varnish::trusted_proxies: []  # per cluster, in hosts/|" "$repo/data/roles/upload_cache.yaml"
printf -- "---\nprofile::varnish::trusted_proxies: ['127.0.0.1']\n" >"$repo/data/hosts/cache-text.yaml"
history_commit 2019-02-11T16:43:00+00:00 "varnish: trusted TLS proxies per cache cluster, text first"
history_bundle
