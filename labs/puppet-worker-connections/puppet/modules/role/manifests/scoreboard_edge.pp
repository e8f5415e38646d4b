# The live scoreboard's edge: the application and nginx in front of it.
class role::scoreboard_edge {
  include profile::base
  include profile::scoreboard
  include profile::nginx_edge
}
