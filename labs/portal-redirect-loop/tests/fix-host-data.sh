#!/bin/sh
# Another valid fix: name the portal's names one by one in cp-text's own
# data, then ban everything the cache holds.
# vm: cp-text
cd /etc/puppet/code/production
printf -- '---\nprofile::nginx_edge::sites:\n  other-names: {server_name: "wiki.example wiki.example.com www.wiki.example.com"}\n  www: {server_name: "www.wiki.example"}\n' >data/hosts/cp-text.yaml
git add data/hosts/cp-text.yaml
git commit -q -m "portal: the names one by one"
puppet-run
varnishadm ban req.url '~' .
sleep 6
