# Conftool, as a lab needs it: the pooled state of servers in etcd, and
# the commands operators change it with (confctl, pool, depool; see
# files/confctl). $nodes names the servers of each cluster and their
# services; puppet adds the keys of new ones (pooled, weight 10) and never
# changes a key that exists, so operators' changes stay until they change
# them again, as in production.
#
#   profile::conftool::datacenter: esams
#   profile::conftool::nodes:
#     cache_text: {cdn: [cp3050], ats-be: [cp3050]}
class profile::conftool (
  Hash[String, Hash[String, Array[String]]] $nodes,
  String $datacenter = 'dc1',
  String $etcd = 'http://127.0.0.1:2379',
) {
  file { '/etc/conftool':
    ensure => directory,
  }
  file { '/etc/conftool/etcd':
    ensure  => file,
    content => "${etcd}\n",
  }
  $list = $nodes.keys.sort.map |String $cluster| {
    $nodes[$cluster].keys.sort.map |String $service| {
      $nodes[$cluster][$service].map |String $name| {
        {'dc' => $datacenter, 'cluster' => $cluster, 'service' => $service, 'name' => $name}
      }
    }
  }.flatten
  file { '/etc/conftool/nodes.json':
    ensure  => file,
    content => inline_template("<%= require %q(json); JSON.pretty_generate(@list) %>\n"),
  }
  file { '/usr/local/bin/confctl':
    ensure => file,
    mode   => '0755',
    source => 'puppet:///modules/profile/confctl',
  }
  ['pool', 'depool'].each |String $cmd| {
    file { "/usr/local/bin/${cmd}":
      ensure => link,
      target => 'confctl',
    }
  }
  # etcd may still be starting on the node's first run.
  exec { 'conftool seed':
    command     => '/usr/local/bin/confctl seed /etc/conftool/nodes.json',
    subscribe   => File['/etc/conftool/nodes.json'],
    refreshonly => true,
    tries       => 10,
    try_sleep   => 3,
    require     => [File['/usr/local/bin/confctl', '/etc/conftool/etcd']],
  }
  Service <| title == 'etcd' |> -> Exec['conftool seed']
}
