#!/bin/sh
# vm: edge
# A valid fix other than the puppet revert: repair the state by hand,
# raising worker_connections in nginx.conf and reloading. (Puppet would put
# 64 back on its next run; the probes judge what users get now.)
set -eu
sed -i 's/^\([[:space:]]*worker_connections\) [0-9]*;/\1 1024;/' /etc/nginx/nginx.conf
nginx -t
systemctl reload nginx
sleep 3
