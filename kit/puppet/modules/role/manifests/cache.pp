# A cache node of a CDN: nginx terminates TLS (and plain HTTP) and hands
# every request to varnish on the same node, which answers from its cache
# or from the origin servers.
class role::cache {
  include profile::base
  include profile::nginx_edge
  include profile::varnish
}
