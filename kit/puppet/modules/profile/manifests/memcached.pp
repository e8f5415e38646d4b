# memcached 1.6: the application servers' shared object cache (MediaWiki's
# parser cache, sessions and the rest of its main cache). $memory_mb is
# its whole store: past it memcached evicts the least recently used
# items; $max_connections is how many clients it serves at once, and
# beyond that it refuses new ones. It listens on $listen:$port
# (127.0.0.1: the node's own application; '0.0.0.0' for other nodes).
#
#   profile::memcached::memory_mb: 16
class profile::memcached (
  Integer[1] $memory_mb = 64,
  Integer[1] $max_connections = 1024,
  Integer[1, 65535] $port = 11211,
  String[1] $listen = '127.0.0.1',
) {
  package { 'memcached':
    ensure => installed,
  }
  file { '/etc/memcached.conf':
    ensure  => file,
    content => @("CONF"),
      # Managed by puppet (profile::memcached).
      -d
      logfile /var/log/memcached.log
      -u memcache
      -P /var/run/memcached/memcached.pid
      -m ${memory_mb}
      -c ${max_connections}
      -p ${port}
      -l ${listen}
      | CONF
    require => Package['memcached'],
    notify  => Service['memcached'],
  }
  profile::enabled_unit { 'memcached': require => Package['memcached'] }
  service { 'memcached':
    ensure => running,
    enable => true,
  }
}
