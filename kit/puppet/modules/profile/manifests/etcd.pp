# etcd 3.4 as a one-member cluster: the store that config consumers read
# (conftool's pooled state for kit-confd, profile::confd). Data in
# $data_dir; clients on $listen:$client_port (127.0.0.1 by default: the
# node's own consumers; '0.0.0.0' for other nodes of the lab).
#
#   profile::etcd::quota_backend_bytes: 16777216   # a small database
#
# $quota_backend_bytes (0: etcd's default, 2 GB) is when etcd stops taking
# writes ("database space exceeded"); $auto_compaction_retention (hours,
# '0' off) keeps the history from growing without end; $snapshot_count is
# how many changes between snapshots of the raft log.
class profile::etcd (
  String $listen = '127.0.0.1',
  Integer $client_port = 2379,
  Integer $peer_port = 2380,
  Integer $quota_backend_bytes = 0,
  Pattern[/\A\d+[hm]?\z/] $auto_compaction_retention = '1',
  Integer $snapshot_count = 10000,
  String $data_dir = '/var/lib/etcd/default',
) {
  package { ['etcd-server', 'etcd-client']:
    ensure => installed,
  }
  $member = $facts['networking']['hostname']
  file { '/etc/default/etcd':
    ensure  => file,
    content => @("ENV"),
      # Managed by puppet (profile::etcd).
      ETCD_NAME=${member}
      ETCD_DATA_DIR=${data_dir}
      ETCD_LISTEN_CLIENT_URLS=http://${listen}:${client_port}
      ETCD_ADVERTISE_CLIENT_URLS=http://${member}:${client_port}
      ETCD_LISTEN_PEER_URLS=http://127.0.0.1:${peer_port}
      ETCD_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.1:${peer_port}
      ETCD_INITIAL_CLUSTER=${member}=http://127.0.0.1:${peer_port}
      ETCD_INITIAL_CLUSTER_STATE=new
      ETCD_QUOTA_BACKEND_BYTES=${quota_backend_bytes}
      ETCD_AUTO_COMPACTION_RETENTION=${auto_compaction_retention}
      ETCD_SNAPSHOT_COUNT=${snapshot_count}
      | ENV
    require => Package['etcd-server'],
    notify  => Service['etcd'],
  }
  profile::enabled_unit { 'etcd': require => Package['etcd-server'] }
  service { 'etcd':
    ensure => running,
    enable => true,
  }
}
