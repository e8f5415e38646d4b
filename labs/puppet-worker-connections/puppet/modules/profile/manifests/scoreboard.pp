# The live scoreboard application (python, port 8080 on localhost).
class profile::scoreboard {
  file { '/usr/local/lib/scoreboard':
    ensure => directory,
  }

  file { '/usr/local/lib/scoreboard/scoreboard.py':
    ensure => file,
    mode   => '0755',
    source => 'puppet:///modules/profile/scoreboard.py',
    notify => Service['scoreboard'],
  }

  file { '/etc/systemd/system/scoreboard.service':
    ensure => file,
    source => 'puppet:///modules/profile/scoreboard.service',
    notify => Service['scoreboard'],
  }

  service { 'scoreboard':
    ensure => running,
    enable => true,
  }
}
