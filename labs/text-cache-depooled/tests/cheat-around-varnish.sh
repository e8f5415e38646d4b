#!/bin/sh
# vm: cp3050
# A cheat: send nginx straight to the backend cache, around varnish.
set -eu
sed -i 's/server 127.0.0.1:6081;/server 127.0.0.1:3128;/' /etc/nginx/sites-available/cache
nginx -t
systemctl reload nginx
sleep 6
