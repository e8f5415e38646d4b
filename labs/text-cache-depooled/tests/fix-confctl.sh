#!/bin/sh
# vm: cp3050
# Another valid fix: pool the backend caches by service with confctl, as
# it was done on the day.
set -eu
confctl select 'service=ats-be' set/pooled=yes
for i in $(seq 60); do
	curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1/wiki/Tea?fixed=$i" | grep -q 200 && break
	sleep 1
done
