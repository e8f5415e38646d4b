#!/bin/sh
# vm: edge
# A valid fix other than the revert: scope the rule per client again with a
# new commit to the edge's hiera data, and apply it.
set -eu
cd /etc/puppet/code/production
sed -i 's|^      /: {rate: 2r/s, burst: 5, scope: global}$|      /: {rate: 2r/s, burst: 5, scope: per-client}|' data/hosts/edge.yaml
git commit -q -am "edge: the firewall rule counts each client again"
puppet-run
sleep 6
