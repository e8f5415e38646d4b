# An HTTP edge: nginx in front of application servers.
class role::edge {
  include profile::base
  include profile::nginx_edge
}
