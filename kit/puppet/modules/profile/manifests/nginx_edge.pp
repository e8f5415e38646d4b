# nginx as an HTTP edge: its main configuration (the knobs incidents turn:
# worker processes and connections, keepalive) and one site per entry of
# $sites, each proxying to its upstream over kept-alive connections, with
# its own access log, optional per-client rate limits on paths (429 when
# exceeded) and long-polling paths (proxied without buffering).
#
#   profile::nginx_edge::sites:
#     live:
#       server_name: live.shop.example
#       upstream: "app:8080"
#       longpoll: {path: /events, timeout: 60}
#       rate_limits:
#         /search: {rate: 1r/s, burst: 5}
#         /: {rate: 50r/s, burst: 100, scope: global}
#
# A rate limit counts each client address on its own (scope: per-client,
# the default) or every request together (scope: global).
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
    file { "/etc/nginx/sites-available/${name}":
      ensure  => file,
      content => epp('profile/site.epp', {
        'name'        => $name,
        'server_name' => $site['server_name'],
        'upstream'    => $site['upstream'],
        'longpoll'    => $site['longpoll'],
        'rate_limits' => $site['rate_limits'] ? { undef => {}, default => $site['rate_limits'] },
      }),
      require => Package['nginx'],
      notify  => Service['nginx'],
    }
    file { "/etc/nginx/sites-enabled/${name}":
      ensure  => link,
      target  => "/etc/nginx/sites-available/${name}",
      require => Package['nginx'],
      notify  => Service['nginx'],
    }
  }

  service { 'nginx':
    ensure => running,
    enable => true,
  }
}
