# vlab's kit: every node applies the role its lab gave it. vlab writes the
# role into the fact vlab_role (/etc/facter/facts.d/vlab.yaml), as a real
# operations repo maps a host to its role; hiera then reads the host's own
# data, the role's, and what every node shares (hiera.yaml).
node default {
  $role = $facts['vlab_role']
  if $role =~ String[1] {
    include "role::${role}"
  } else {
    fail('this node has no vlab_role fact: give the puppet step a role')
  }
}
