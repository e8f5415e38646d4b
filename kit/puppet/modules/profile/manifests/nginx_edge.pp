# nginx as an HTTP edge: its main configuration (the knobs incidents turn:
# worker processes and connections, keepalive) and one site per entry of
# $sites, each proxying to its upstream. A site may have long-polling
# paths, proxied without buffering and with their own read timeout.
#
#   profile::nginx_edge::sites:
#     live:
#       server_name: live.shop.example
#       upstream: "127.0.0.1:8080"
#       longpoll: {path: /events, timeout: 60}
class profile::nginx_edge (
  Hash    $sites,
  Variant[Integer, Enum['auto']] $worker_processes = 'auto',
  Integer $worker_connections = 1024,
  Integer $keepalive_timeout = 65,
) {
  package { 'nginx':
    ensure => installed,
  }

  file { '/etc/nginx/nginx.conf':
    ensure  => file,
    content => epp('profile/nginx.conf.epp', {
      'worker_processes'   => $worker_processes,
      'worker_connections' => $worker_connections,
      'keepalive_timeout'  => $keepalive_timeout,
    }),
    require => Package['nginx'],
    notify  => Service['nginx'],
  }

  file { '/etc/nginx/sites-enabled/default':
    ensure  => absent,
    require => Package['nginx'],
    notify  => Service['nginx'],
  }

  $sites.each |String $name, Hash $site| {
    file { "/etc/nginx/sites-enabled/${name}":
      ensure  => file,
      content => epp('profile/site.epp', {
        'name'        => $name,
        'server_name' => $site['server_name'],
        'upstream'    => $site['upstream'],
        'longpoll'    => $site['longpoll'],
      }),
      require => Package['nginx'],
      notify  => Service['nginx'],
    }
  }

  service { 'nginx':
    ensure => running,
    enable => true,
  }
}
