# An application server: MediaWiki on php-fpm behind the node's nginx,
# with memcached; the wiki's database on the same node when its db_host
# is localhost (the role's data), else on the db node the lab names.
class role::app {
  include profile::base
  include profile::nginx_edge
  include profile::memcached
  include profile::mediawiki
  if lookup('profile::mediawiki::db_host', String, 'first', 'localhost') == 'localhost' {
    include profile::mariadb
    Class['profile::mariadb'] -> Class['profile::mediawiki']
  }
}
