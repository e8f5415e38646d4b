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
#       tls: true
#     old-names:
#       server_name: "shop.example *.shop.example"
#       redirect: https://www.shop.example
#
# A rate limit counts each client address on its own (scope: per-client,
# the default) or every request together (scope: global). A site with
# tls: true also terminates HTTPS on port 443, with a certificate of its
# own for its first server name, made once on the node (self-signed EC P-256,
# ten years: labs have no CA) in /etc/nginx/tls/<site>.{crt,key}.
# A site with a redirect has no upstream: it answers every request with
# 301 to the same path under that URL. A site listens on port 80, or on
# its port: (an origin behind a cache on the same node). From kit-8 a site
# may serve files of its own from a root: (a path that is no file gets
# /index.html) and send only its proxy_paths: to the upstream (['/'] by
# default), e.g. a shop's pages from disk and /api/ from a unix socket:
#     shop: {server_name: shop.example, root: /var/www/shop,
#            upstream: "unix:/run/shop/api.sock", proxy_paths: [/api/]}
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

  if $sites.filter |String $name, Hash $site| { $site['tls'] == true }.length > 0 {
    file { '/etc/nginx/tls':
      ensure  => directory,
      mode    => '0700',
      require => Package['nginx'],
    }
  }

  $sites.each |String $name, Hash $site| {
    $tls = $site['tls'] == true
    if $tls {
      $cn = split($site['server_name'], ' ')[0] ? { '_' => 'localhost', default => split($site['server_name'], ' ')[0] }
      exec { "certificate of ${name}":
        command => "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj '/CN=${cn}' -keyout /etc/nginx/tls/${name}.key -out /etc/nginx/tls/${name}.crt",
        creates => "/etc/nginx/tls/${name}.crt",
        require => File['/etc/nginx/tls'],
        before  => File["/etc/nginx/sites-available/${name}"],
        notify  => Service['nginx'],
      }
    }
    file { "/etc/nginx/sites-available/${name}":
      ensure  => file,
      content => epp('profile/site.epp', {
        'name'        => $name,
        'server_name' => $site['server_name'],
        'upstream'    => $site['upstream'],
        'redirect'    => $site['redirect'],
        'longpoll'    => $site['longpoll'],
        'rate_limits' => $site['rate_limits'] ? { undef => {}, default => $site['rate_limits'] },
        'tls'         => $tls,
        'port'        => $site['port'] ? { undef => 80, default => $site['port'] },
        'root'        => $site['root'],
        'proxy_paths' => $site['proxy_paths'] ? { undef => ['/'], default => $site['proxy_paths'] },
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

  profile::enabled_unit { 'nginx': require => Package['nginx'] }
  service { 'nginx':
    ensure => running,
    enable => true,
  }
}
