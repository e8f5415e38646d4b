# Apache Traffic Server 9.2 as a CDN's backend cache: a node's varnish (or
# every node's, through conftool's pool) asks it on $port, and it answers
# from its disk cache or from $origin.
#
#   profile::trafficserver::origin: 'http://127.0.0.1:8080/'
#
# $storage is the disk cache's size (a file in /var/cache/trafficserver),
# $ram_cache its memory cache; responses carry `Via` with ATS's cache
# result. A change restarts traffic_server (its cache on disk is kept).
class profile::trafficserver (
  Pattern[/\Ahttps?:\/\/[^\/]+\/\z/] $origin,
  Integer $port = 3128,
  Pattern[/\A\d+[KMG]\z/] $storage = '64M',
  Integer $ram_cache_mb = 16,
) {
  package { 'trafficserver':
    ensure => installed,
  }
  $ram = $ram_cache_mb * 1048576
  file { '/etc/trafficserver/records.config':
    ensure  => file,
    content => @("RECORDS"),
      # Managed by puppet (profile::trafficserver). What is not here has
      # Traffic Server's default.
      CONFIG proxy.config.http.server_ports STRING ${port}
      CONFIG proxy.config.url_remap.remap_required INT 1
      CONFIG proxy.config.cache.ram_cache.size INT ${ram}
      CONFIG proxy.config.http.cache.required_headers INT 0
      CONFIG proxy.config.http.insert_response_via_str INT 2
      CONFIG proxy.config.admin.user_id STRING trafficserver
      | RECORDS
    require => Package['trafficserver'],
    notify  => Service['trafficserver'],
  }
  file { '/etc/trafficserver/remap.config':
    ensure  => file,
    content => "# Managed by puppet (profile::trafficserver).\nmap / ${origin}\n",
    require => Package['trafficserver'],
    notify  => Service['trafficserver'],
  }
  file { '/etc/trafficserver/storage.config':
    ensure  => file,
    content => "# Managed by puppet (profile::trafficserver).\n/var/cache/trafficserver ${storage}\n",
    require => Package['trafficserver'],
    notify  => Service['trafficserver'],
  }
  profile::enabled_unit { 'trafficserver': require => Package['trafficserver'] }
  service { 'trafficserver':
    ensure => running,
    enable => true,
  }
}
