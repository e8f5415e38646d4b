#!/bin/sh
# vm: web
# A valid fix other than the rollback: keep 2.8.0-1 and its new default
# socket, and point nginx's upstream at it.
set -eu
sed -i 's|unix:/run/shop/api.sock|unix:/run/shop-api/api.sock|' /etc/nginx/sites-available/shop
nginx -t
systemctl reload nginx
sleep 1
curl -fsS -o /dev/null http://127.0.0.1/api/health
