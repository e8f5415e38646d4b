#!/bin/sh
# vm: cache-upload
# Another valid fix, by hand as a hotfix before the commit: keep nginx's
# X-Forwarded-Proto in the running VCL (varnish listens on 127.0.0.1 only,
# so only nginx can set it).
set -eu
sed -i '/^\tunset req.http.X-Forwarded-Proto;$/d' /etc/varnish/default.vcl
varnishadm -t 300 vcl.load hotfix /etc/varnish/default.vcl
varnishadm vcl.use hotfix
sleep 6
