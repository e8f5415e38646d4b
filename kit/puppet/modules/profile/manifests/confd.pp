# kit-confd: files rendered from etcd by a service on the node, the way
# confd renders them in production (see files/kit-confd for the resource
# format). Profiles that consume etcd put their resources in
# /etc/kit-confd (profile::varnish's `pool`); a lab can add its own with
# $resources (name → the resource's JSON as a hash).
class profile::confd (
  Hash[String, Hash] $resources = {},
  String $etcd = 'http://127.0.0.1:2379',
  Integer $interval = 2,
) {
  file { '/usr/local/sbin/kit-confd':
    ensure => file,
    mode   => '0755',
    source => 'puppet:///modules/profile/kit-confd',
  }
  file { '/etc/kit-confd':
    ensure => directory,
  }
  # Where etcd is, for the service and for `kit-confd --check` by hand.
  file { '/etc/kit-confd/etcd':
    ensure  => file,
    content => "${etcd}\n",
    notify  => Service['kit-confd'],
  }
  $resources.each |String $name, Hash $res| {
    file { "/etc/kit-confd/${name}.json":
      ensure  => file,
      content => inline_template("<%= require %q(json); JSON.pretty_generate(@res) %>\n"),
    }
  }
  file { '/etc/systemd/system/kit-confd.service':
    ensure  => file,
    content => @("UNIT"),
      # Managed by puppet (profile::confd).
      [Unit]
      Description=kit-confd: files rendered from etcd
      After=network.target etcd.service
      [Service]
      Environment=KIT_CONFD_INTERVAL=${interval}
      ExecStart=/usr/local/sbin/kit-confd
      Restart=always
      RestartSec=2
      [Install]
      WantedBy=multi-user.target
      | UNIT
    notify  => Service['kit-confd'],
  }
  profile::enabled_unit { 'kit-confd': require => File['/etc/systemd/system/kit-confd.service'] }
  service { 'kit-confd':
    ensure  => running,
    enable  => true,
    require => File['/usr/local/sbin/kit-confd', '/etc/kit-confd/etcd'],
  }
}
