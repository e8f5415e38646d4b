#!/bin/sh
# vm: cache-upload
# A cheat: stop redirecting plain HTTP at all (by hand, in the VCL). Images
# load, over plain HTTP too.
set -eu
sed -i '/X-Forwarded-Proto != "https"/,/^\t}$/d' /etc/varnish/default.vcl
varnishadm -t 300 vcl.load cheat /etc/varnish/default.vcl
varnishadm vcl.use cheat
sleep 6
