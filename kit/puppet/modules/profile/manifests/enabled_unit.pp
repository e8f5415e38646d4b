# Enables a systemd unit for boot without reloading systemd.
#
# Puppet's service type enables a unit with `systemctl unmask` and then
# `systemctl enable`, and each reloads systemd; for a package that also
# ships a SysV init script (nginx, mariadb, varnish, trafficserver, etcd),
# `systemctl enable` runs update-rc.d twice, and each of those reloads it
# again: five reloads for one service, 5-15 s each in a lab's TCG guest.
# Enabling is only links. This makes them with one `systemctl --no-reload
# enable` and leaves the SysV links alone (systemd boots the native unit),
# so that the service resource finds the unit enabled and only starts it.
# A unit file puppet has just written needs no reload either: systemd
# loads a unit it has not seen from disk when it is first asked for it.
#
#   profile::enabled_unit { 'nginx': require => Package['nginx'] }
define profile::enabled_unit() {
  exec { "enable ${title}":
    command     => "/bin/systemctl --no-reload enable ${title}",
    environment => ['SYSTEMCTL_SKIP_SYSV=1'],
    unless      => "/bin/systemctl is-enabled --quiet ${title}",
    before      => Service[$title],
  }
}
