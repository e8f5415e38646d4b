#!/bin/sh
# vm: web
# A valid fix other than the rollback: keep 2.8.0-1 and migrate the config,
# the renamed setting pointing at the socket nginx already uses.
set -eu
sed -i 's|^socket *=.*|listen = /run/shop/api.sock|' /etc/shop-api/shop-api.conf
systemctl restart shop-api
for i in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1/api/health && break; sleep 1; done
curl -fsS -o /dev/null http://127.0.0.1/api/health
