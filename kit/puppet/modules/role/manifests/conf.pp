# A configuration node: etcd, and conftool's pooled state of the lab's
# servers in it, which other nodes' kit-confd renders into their config.
class role::conf {
  include profile::base
  include profile::etcd
  include profile::conftool
}
