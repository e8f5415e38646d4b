#!/bin/sh
# Another valid fix: name the other names one by one in portal1's own
# data, then ban everything the cache holds.
# vm: portal1
cd /etc/puppet/code/production
printf -- '---\nprofile::nginx_edge::sites:\n  other-names: {server_name: "wiki.example wiki.example.com www.wiki.example.com"}\n  www: {server_name: "www.wiki.example _"}\n' >data/hosts/portal1.yaml
git add data/hosts/portal1.yaml
git commit -q -m "portal: the other names one by one"
puppet-run
# vm: cp-text
varnishadm ban req.url '~' .
sleep 6
