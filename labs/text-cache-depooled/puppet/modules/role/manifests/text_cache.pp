# A text cache host (en.wiki.example): the kit's cache node, whose varnish
# frontend takes its backends from conftool's pool in etcd (the cluster's
# Traffic Server backend caches), with the backend cache and the
# application servers' pages on the same host; etcd is on conf1.
class role::text_cache {
  include role::cache
  include profile::trafficserver
  include profile::static_app
  include profile::conftool
  include profile::confd
}
