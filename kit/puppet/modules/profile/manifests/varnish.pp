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
#
# With $pool (kit-7), the backends also come from etcd: kit-confd
# (profile::confd) renders /etc/varnish/pool.vcl from the servers pooled
# under the prefix (conftool's keys, profile::conftool) and loads the VCL
# again whenever that changes; with nothing pooled the director is empty
# and requests that need a backend get 503.
#
#   profile::varnish::pool: {prefix: /conftool/v1/pools/esams/cache_text/ats-be/, port: 3128}
class profile::varnish (
  Hash[String, Struct[{host => String, port => Integer}]] $backends,
  Array[String] $trusted_proxies = ['127.0.0.1'],
  Boolean $https_only = false,
  Pattern[/\A\d+[smhd]\z/] $default_ttl = '120s',
  Pattern[/\A(malloc|file),[0-9a-zA-Z,\/._-]+\z/] $storage = 'malloc,64m',
  Integer $port = 6081,
  Optional[Struct[{prefix => Pattern[/\A\/.*\/\z/], port => Integer}]] $pool = undef,
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
      'pool'            => $pool != undef,
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
  profile::enabled_unit { 'varnish': require => Package['varnish'] }
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
  file { '/usr/local/sbin/varnish-reload-vcl':
    ensure  => file,
    mode    => '0755',
    content => @(SH),
      #!/bin/sh
      # Managed by puppet (profile::varnish). Loads /etc/varnish/default.vcl
      # into the running varnish and uses it; the cache is kept. The VCLs
      # no longer in use are discarded, so that reloads (kit-confd's on
      # every change in etcd) do not pile them up. A varnish just started
      # (systemd does not wait for it) is waited for, up to two minutes.
      i=0
      until /usr/bin/varnishadm ping >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 120 ] || { echo "varnish-reload-vcl: varnish's management interface does not answer" >&2; exit 1; }
        sleep 1
      done
      n=kit$(date +%s%N)
      /usr/bin/varnishadm -t 300 vcl.load "$n" /etc/varnish/default.vcl && /usr/bin/varnishadm vcl.use "$n" || exit 1
      /usr/bin/varnishadm vcl.list | awk '$1 == "available" {print $NF}' | while read -r old; do
        /usr/bin/varnishadm vcl.discard "$old" >/dev/null 2>&1
      done
      exit 0
      | SH
  }
  exec { 'varnish reload':
    command     => '/usr/local/sbin/varnish-reload-vcl',
    refreshonly => true,
    timeout     => 600,
    require     => [Service['varnish'], File['/usr/local/sbin/varnish-reload-vcl']],
  }
  if $pool != undef {
    include profile::confd
    $each = "backend pool_{id} {{\n\t.host = \"{name}\";\n\t.port = \"${pool['port']}\";\n\t.connect_timeout = 2s;\n\t.first_byte_timeout = 10s;\n}}\nsub vcl_init {{\n\torigins.add_backend(pool_{id});\n}}\n"
    $resource = {
      'prefix'   => $pool['prefix'],
      'when'     => {'pooled' => 'yes'},
      'dest'     => '/etc/varnish/pool.vcl',
      'template' => [{'text' => "# Rendered by kit-confd from etcd: ${pool['prefix']}\n"},
                     {'empty' => "# Nothing is pooled.\n"}, {'each' => $each}],
      'reload'   => '/usr/local/sbin/varnish-reload-vcl',
    }
    file { '/etc/kit-confd/varnish-pool.json':
      ensure  => file,
      content => inline_template("<%= require %q(json); JSON.pretty_generate(@resource) %>\n"),
      require => File['/etc/kit-confd'],
    }
    # Until kit-confd renders it, the pool is empty.
    file { '/etc/varnish/pool.vcl':
      ensure  => file,
      replace => false,
      content => "# Nothing is pooled yet.\n",
      require => Package['varnish'],
      before  => [Service['varnish'], Exec['varnish reload']],
    }
  }
}
