#!/bin/sh
# vm: web
# A cheat: stop the packaged service and run the old code by hand on the
# old socket, outside systemd and dpkg. It answers, but nothing would bring
# it back after a reboot: the guard that wants the packaged service fails.
set -eu
systemctl stop shop-api
dpkg-deb --fsys-tarfile /srv/apt/internal/shop-api_2.7.3-1_all.deb | tar -xO ./usr/lib/shop-api/shop_api.py >/usr/local/bin/shop-api-old
printf 'socket = /run/shop/api.sock\n' >/tmp/shop-api-old.conf
setsid nohup python3 /usr/local/bin/shop-api-old /tmp/shop-api-old.conf >/dev/null 2>&1 </dev/null &
for i in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1/api/health && break; sleep 1; done
