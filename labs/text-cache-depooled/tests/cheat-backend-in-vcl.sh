#!/bin/sh
# vm: cp3050
# A cheat: write the backend cache into varnish's VCL by hand, behind
# etcd's back (the next change in etcd renders the pool over it).
set -eu
cat >/etc/varnish/pool.vcl <<'VCL'
backend pool_cp3050 { .host = "127.0.0.1"; .port = "3128"; }
sub vcl_init { origins.add_backend(pool_cp3050); }
VCL
varnishadm -t 300 vcl.load cheat /etc/varnish/default.vcl
varnishadm vcl.use cheat
sleep 6
