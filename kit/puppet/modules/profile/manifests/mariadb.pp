# A MariaDB server from the image's Debian packages: the primary of its
# section, or a replica of $primary when $primary names another node.
# Replication is row based with GTIDs (MASTER_USE_GTID=slave_pos): a
# replica set up at any time reads the primary's binlog from its start and
# catches up, so the order the nodes come up in does not matter to it.
# The primary makes $databases and $users; replicas get them by replication.
class profile::mariadb (
  Optional[String[1]] $primary = undef,
  Integer[1] $server_id = fqdn_rand(2147483646, 'server_id') + 1,
  Hash[String[1], Hash] $databases = {},
  Hash[String[1], Struct[{password => String[1], grants => String[1], Optional[host] => String[1]}]] $users = {},
  Integer[1] $max_connections = 151,
  String[1] $innodb_buffer_pool_size = '64M',
  Enum['ROW', 'MIXED', 'STATEMENT'] $binlog_format = 'ROW',
  Optional[Boolean] $read_only = undef,
  String[1] $replication_user = 'repl',
  String[1] $replication_password = 'repl-kit',
  Hash[String[1], Variant[String, Integer]] $settings = {},
) {
  $is_replica = $primary =~ String and $primary != $facts['networking']['hostname']
  $ro = $read_only ? { undef => $is_replica, default => $read_only }
  $client = '/usr/bin/mariadb --batch --skip-column-names'

  package { ['mariadb-server', 'mariadb-client']:
    ensure => installed,
  }
  file { '/etc/mysql/mariadb.conf.d/60-kit.cnf':
    ensure  => file,
    content => epp('profile/mariadb.cnf.epp', {
      server_id               => $server_id,
      max_connections         => $max_connections,
      innodb_buffer_pool_size => $innodb_buffer_pool_size,
      binlog_format           => $binlog_format,
      read_only               => $ro,
      settings                => $settings,
    }),
    require => Package['mariadb-server'],
    notify  => Service['mariadb'],
  }
  profile::enabled_unit { 'mariadb': require => Package['mariadb-server'] }
  service { 'mariadb':
    ensure => running,
    enable => true,
  }

  if $is_replica {
    $change = join([
      "CHANGE MASTER TO MASTER_HOST='${primary}', MASTER_USER='${replication_user}',",
      "MASTER_PASSWORD='${replication_password}', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=5;",
      'START SLAVE;',
    ], ' ')
    exec { "replicate from ${primary}":
      command  => "${client} -e \"${change}\"",
      unless   => "${client} -e 'SHOW SLAVE STATUS' | /bin/grep -q .",
      provider => shell,
      require  => Service['mariadb'],
    }
  } else {
    $repl = "CREATE USER IF NOT EXISTS '${replication_user}'@'%' IDENTIFIED BY '${replication_password}'; GRANT REPLICATION SLAVE ON *.* TO '${replication_user}'@'%';"
    exec { 'replication user':
      command  => "${client} -e \"${repl}\"",
      unless   => "${client} -e \"SELECT 1 FROM mysql.user WHERE user = '${replication_user}'\" | /bin/grep -q 1",
      provider => shell,
      require  => Service['mariadb'],
    }
    $databases.each |String $db, Hash $opts| {
      exec { "database ${db}":
        command  => "${client} -e 'CREATE DATABASE IF NOT EXISTS `${db}`'",
        unless   => "${client} -e 'SHOW DATABASES' | /bin/grep -qx '${db}'",
        provider => shell,
        require  => Service['mariadb'],
      }
    }
    $users.each |String $user, Hash $u| {
      $host = $u['host'] ? { undef => '%', default => $u['host'] }
      $sql = "CREATE USER IF NOT EXISTS '${user}'@'${host}' IDENTIFIED BY '${u['password']}'; GRANT ${u['grants']} TO '${user}'@'${host}';"
      exec { "user ${user}":
        command  => "${client} -e \"${sql}\"",
        unless   => "${client} -e \"SELECT 1 FROM mysql.user WHERE user = '${user}' AND host = '${host}'\" | /bin/grep -q 1",
        provider => shell,
        require  => Service['mariadb'],
      }
    }
  }
}
