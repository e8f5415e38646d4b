# nginx as the edge of the scoreboard: main config and the site.
class profile::nginx_edge (
  String  $upstream,
  Variant[Integer, Enum['auto']] $worker_processes = 'auto',
  Integer $worker_connections = 1024,
  Integer $keepalive_timeout = 65,
  Integer $longpoll_timeout = 60,
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

  file { '/etc/nginx/sites-enabled/scoreboard':
    ensure  => file,
    content => epp('profile/scoreboard.site.epp', {
      'upstream'         => $upstream,
      'longpoll_timeout' => $longpoll_timeout,
    }),
    require => Package['nginx'],
    notify  => Service['nginx'],
  }

  service { 'nginx':
    ensure => running,
    enable => true,
  }
}
