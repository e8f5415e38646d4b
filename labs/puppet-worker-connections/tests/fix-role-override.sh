#!/bin/sh
# vm: edge
# A valid fix other than the revert: override the value for this role in
# hiera (roles/scoreboard_edge.yaml wins over common.yaml) and apply.
set -eu
echo 'profile::nginx_edge::worker_connections: 2048' >>/etc/puppet/code/shop/data/roles/scoreboard_edge.yaml
puppet-run
sleep 3
