#!/bin/sh
# vm: web
# A stand-in that serves static pages in shopd's place: users are served,
# shopd is still down.
set -eu
systemctl stop shopd
mkdir -p /srv/static/item
echo '<h1>tea shop</h1>' > /srv/static/index.html
for i in $(seq 50); do echo item > /srv/static/item/$i; done
systemd-run --unit=stand-in python3 -m http.server 80 --directory /srv/static
sleep 6
