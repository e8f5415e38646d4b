# A media cache (upload.wiki.example): the kit's cache node, with the
# media files it caches served on the same node.
class role::upload_cache {
  include role::cache
  include profile::static_app
}
