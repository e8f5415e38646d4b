# A small application server for labs whose incident is in front of it:
# python's http.server on 127.0.0.1:$port serving $pages (path → content)
# from $root. Fast and without state, so what users see is the edge's.
class profile::static_app (
  Hash[String, String] $pages,
  Integer $port = 8080,
  String  $root = '/srv/www',
) {
  file { $root:
    ensure => directory,
  }
  # Each folder a page sits in, made once.
  $dirs = $pages.keys.map |String $page| { regsubst("${root}/${page}", '/[^/]+$', '') }.unique.filter |String $d| { $d != $root }
  $dirs.each |String $dir| {
    exec { "mkdir ${dir}":
      command => "/bin/mkdir -p ${dir}",
      creates => $dir,
      require => File[$root],
    }
  }
  $pages.each |String $page, String $content| {
    $dir = regsubst("${root}/${page}", '/[^/]+$', '')
    file { "${root}/${page}":
      ensure  => file,
      content => $content,
      require => $dir ? { $root => File[$root], default => Exec["mkdir ${dir}"] },
    }
  }
  file { '/etc/systemd/system/static-app.service':
    ensure  => file,
    content => @("UNIT"),
      # Managed by puppet (profile::static_app).
      [Unit]
      Description=the lab's application server (static pages)
      [Service]
      ExecStart=/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory ${root} ${port}
      Restart=always
      [Install]
      WantedBy=multi-user.target
      | UNIT
    notify  => Service['static-app'],
  }
  profile::enabled_unit { 'static-app': require => File['/etc/systemd/system/static-app.service'] }
  service { 'static-app':
    ensure  => running,
    enable  => true,
    require => File[$root],
  }
}
