# What a lab's observer needs to play the users: the node that runs the
# lab's traffic clients (vlab's triggers, vlab-trigger-<name>.service) and
# the checks that decide, from outside the trainee's VMs.
#
#   profile::client::addresses: ['10.77.0.201/24', '10.77.0.202/24']
#
# $addresses are extra source addresses on $interface (a lab network;
# vlab's guests name the first one eth1), so that a client's `sources:`
# look like many users to a per-client rate limit or ACL; they are added
# again at boot (kit-client-addresses.service) and an address taken out of
# the list is removed. $local_port_range and $tcp_tw_reuse let one node
# open many short connections; $nofile is each trigger's open-files limit.
class profile::client (
  Array[Pattern[/\A\d+\.\d+\.\d+\.\d+\/\d+\z/]] $addresses = [],
  Pattern[/\A[a-z0-9]+\z/] $interface = 'eth1',
  Pattern[/\A\d+ \d+\z/] $local_port_range = '10240 65000',
  Integer[0, 2] $tcp_tw_reuse = 1,
  Integer[1024] $nofile = 65536,
) {
  file { '/etc/sysctl.d/60-kit-client.conf':
    ensure  => file,
    content => @("SYSCTL"),
      # Managed by puppet (profile::client).
      net.ipv4.ip_local_port_range = ${local_port_range}
      net.ipv4.tcp_tw_reuse = ${tcp_tw_reuse}
      | SYSCTL
    notify  => Exec['kit-client sysctl'],
  }
  exec { 'kit-client sysctl':
    command     => '/sbin/sysctl -q -p /etc/sysctl.d/60-kit-client.conf',
    refreshonly => true,
  }

  # Every trigger unit reads this drop-in when systemd loads it; vlab
  # installs the triggers after the VM's provisioning, so no reload is
  # needed here unless one runs already.
  file { '/etc/systemd/system/vlab-trigger-.service.d':
    ensure => directory,
  }
  file { '/etc/systemd/system/vlab-trigger-.service.d/kit-client.conf':
    ensure  => file,
    content => "# Managed by puppet (profile::client).\n[Service]\nLimitNOFILE=${nofile}\n",
    notify  => Exec['kit-client triggers reload'],
  }
  exec { 'kit-client triggers reload':
    command     => '/bin/systemctl daemon-reload',
    onlyif      => '/bin/sh -c "ls /etc/systemd/system/vlab-trigger-*.service"',
    refreshonly => true,
  }

  file { '/etc/kit-client':
    ensure => directory,
  }
  file { '/etc/kit-client/addresses':
    ensure  => file,
    content => "${join(['# Managed by puppet (profile::client): interface, then addresses.', $interface] + $addresses, "\n")}\n",
  }
  file { '/usr/local/sbin/kit-client-addresses':
    ensure => file,
    mode   => '0755',
    source => 'puppet:///modules/profile/kit-client-addresses',
  }
  file { '/etc/systemd/system/kit-client-addresses.service':
    ensure  => file,
    content => @("UNIT"),
      # Managed by puppet (profile::client).
      [Unit]
      Description=the observer's extra source addresses (/etc/kit-client/addresses)
      After=network.target
      [Service]
      Type=oneshot
      RemainAfterExit=yes
      ExecStart=/usr/local/sbin/kit-client-addresses
      [Install]
      WantedBy=multi-user.target
      | UNIT
  }
  exec { 'enable kit-client-addresses':
    command => '/bin/systemctl --no-reload enable kit-client-addresses',
    unless  => '/bin/systemctl is-enabled --quiet kit-client-addresses',
    require => File['/etc/systemd/system/kit-client-addresses.service'],
  }
  service { 'kit-client-addresses':
    ensure    => running,
    require   => Exec['enable kit-client-addresses'],
    subscribe => File['/etc/kit-client/addresses', '/usr/local/sbin/kit-client-addresses'],
  }
}
