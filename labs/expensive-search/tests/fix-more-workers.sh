#!/bin/sh
# vm: app
# A valid fix other than the rate limit: give the app enough workers for
# the crawler's concurrency (searches wait on the scan, not on CPU).
set -eu
sed -i 's/^workers = .*/workers = 32/' /etc/shop-app/app.conf
systemctl restart shop-app
for i in $(seq 30); do curl -fsS -o /dev/null http://127.0.0.1:8000/health && break; sleep 1; done
sleep 5
