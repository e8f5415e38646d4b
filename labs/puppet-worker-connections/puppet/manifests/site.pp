# shop-live edge: nginx in front of the live scoreboard.
# The role selects hiera's data/roles/<role>.yaml.
$role = 'scoreboard_edge'

node default {
  include profile::scoreboard
  include profile::nginx_edge
}
