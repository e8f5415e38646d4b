# What every node of the kit has: puppet-run, which applies this
# repository's checkout in the node (vlab puts a clone with its history
# there and names it in the fact vlab_puppet_dir).
class profile::base {
  file { '/usr/local/sbin/puppet-run':
    ensure => file,
    mode   => '0755',
    source => 'puppet:///modules/profile/puppet-run',
  }
}
