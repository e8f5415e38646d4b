#!/bin/sh
# vm: edge
# A valid fix other than the revert: scope the rule per client again in the
# edge's own hiera data, commit, apply.
set -eu
cd /etc/puppet/code/production
cat >data/hosts/edge.yaml <<'DATA'
---
profile::nginx_edge::sites:
  www:
    rate_limits:
      /: {scope: per-client}
DATA
git add data/hosts/edge.yaml
git commit -q -m "edge: the firewall rule counts each client again"
puppet-run
sleep 6
