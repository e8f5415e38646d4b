# A website: the kit's small application server behind the nginx edge.
class role::web {
  include profile::base
  include profile::static_app
  include profile::nginx_edge
}
