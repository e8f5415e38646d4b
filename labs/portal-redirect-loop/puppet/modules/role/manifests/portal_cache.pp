# The portal's cache node: the kit's cache node, with the portal's own
# sites (on port 8000) and page served on the same node.
class role::portal_cache {
  include role::cache
  include profile::static_app
}
