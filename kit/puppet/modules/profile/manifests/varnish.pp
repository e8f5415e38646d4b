# Varnish as an HTTP cache in front of origin servers, the way a CDN's
# cache nodes run it behind their TLS terminators: a VCL made from hiera
# (backends taken in turn, a TTL for responses that set none, and the
# trust boundary for X-Forwarded-Proto), listening on 127.0.0.1:$port for
# the node's nginx edge.
#
#   profile::varnish::backends:
#     origin1: {host: web1, port: 80}
#     origin2: {host: web2, port: 80}
#   profile::varnish::trusted_proxies: ['127.0.0.1']
#   profile::varnish::https_only: true
#
# Only the addresses in $trusted_proxies (the node's own TLS terminator)
# may say that a request arrived over HTTPS: the header is removed from
# anyone else's requests. With $https_only, a request that did not arrive
# over HTTPS is answered 301 to its https:// URL.
class profile::varnish (
  Hash[String, Struct[{host => String, port => Integer}]] $backends,
  Array[String] $trusted_proxies = ['127.0.0.1'],
  Boolean $https_only = false,
  Pattern[/\A\d+[smhd]\z/] $default_ttl = '120s',
  Pattern[/\A(malloc|file),[0-9a-zA-Z,\/._-]+\z/] $storage = 'malloc,64m',
  Integer $port = 6081,
) {
  package { 'varnish':
    ensure => installed,
  }
  file { '/etc/varnish/default.vcl':
    ensure  => file,
    content => epp('profile/default.vcl.epp', {
      'backends'        => $backends,
      'trusted_proxies' => $trusted_proxies,
      'https_only'      => $https_only,
      'default_ttl'     => $default_ttl,
    }),
    require => Package['varnish'],
    notify  => Exec['varnish reload'],
  }
  file { '/etc/systemd/system/varnish.service.d':
    ensure => directory,
  }
  file { '/etc/systemd/system/varnish.service.d/kit.conf':
    ensure  => file,
    content => @("UNIT"),
      # Managed by puppet (profile::varnish).
      [Service]
      ExecStart=
      ExecStart=/usr/sbin/varnishd -j unix,user=vcache -F -a 127.0.0.1:${port} -T localhost:6082 -f /etc/varnish/default.vcl -S /etc/varnish/secret -s ${storage} -p 'cc_command=exec gcc -O0 -pthread -fpic -shared -Wl,-x -o %%o %%s'
      | UNIT
    notify  => Exec['varnish daemon-reload'],
  }
  exec { 'varnish daemon-reload':
    command     => '/bin/systemctl daemon-reload',
    refreshonly => true,
    notify      => Service['varnish'],
  }
  service { 'varnish':
    ensure  => running,
    enable  => true,
    require => [Package['varnish'], File['/etc/varnish/default.vcl']],
  }
  # A changed VCL is loaded into the running varnish (its cache kept), as
  # in production; the run fails when the VCL does not compile. (Not
  # Debian's varnishreload: its varnishadm gives up on a compile after 5 s,
  # which TCG guests take.) VCL is compiled to C and then by gcc; without
  # optimisation (cc_command above), which halves the compile (10 s to 5 s
  # under TCG) and does not matter for a lab's traffic.
  exec { 'varnish reload':
    command     => '/bin/sh -c "n=kit$(date +%s); /usr/bin/varnishadm -t 300 vcl.load \$n /etc/varnish/default.vcl && /usr/bin/varnishadm vcl.use \$n"',
    refreshonly => true,
    timeout     => 600,
    require     => Service['varnish'],
  }
}
