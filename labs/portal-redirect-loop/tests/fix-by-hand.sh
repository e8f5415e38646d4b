#!/bin/sh
# Another valid fix, by hand as a hotfix before the commit: name www on
# the portal's site again (an exact name wins over *.wiki.example), then
# ban what the cache holds.
# vm: cp-text
sed -i 's/server_name _;/server_name www.wiki.example;/' /etc/nginx/sites-available/www
systemctl reload nginx
sleep 3 # nginx's old workers finish; a ban before would cache their answer again
varnishadm ban req.url '~' .
sleep 6
