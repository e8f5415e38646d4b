#!/bin/sh
# vm: db1
# Another valid fix: make db1 start writable in puppet (a host's data) and
# apply it; the changed configuration restarts mariadb, writable.
set -eu
cd /etc/puppet/code/production
printf -- '---\nprofile::mariadb::read_only: false\n' >data/hosts/db1.yaml
git add data/hosts/db1.yaml
git commit -q -m "db1 is s5's primary: start writable"
puppet-run
mariadb -N -e 'SELECT @@read_only' | grep -qx 0
