#!/bin/sh
# vm: web
# A valid fix other than the rollback: keep 2.8.0-1 and its new default
# socket, and point nginx's upstream at it, in puppet (which renders
# nginx's site): a host's data and puppet-run.
set -eu
cd /etc/puppet/code/production
printf -- '---\nprofile::nginx_edge::sites:\n  shop: {upstream: "unix:/run/shop-api/api.sock"}\n' >data/hosts/web.yaml
git add data/hosts/web.yaml
git commit -q -m "shop: nginx to shop-api 2.8's socket"
puppet-run
curl -fsS -o /dev/null http://127.0.0.1/api/health
