#!/bin/sh
# Not enough: the origin is fixed by hand (www named again on its site),
# but the cache keeps the redirect for a day.
# vm: cp-text
sed -i 's/server_name _;/server_name www.wiki.example;/' /etc/nginx/sites-available/www
systemctl reload nginx
sleep 6
