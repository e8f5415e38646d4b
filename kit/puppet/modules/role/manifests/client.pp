# A lab's observer: the node that plays the users (the lab's traffic
# clients) and runs the checks that decide, from outside the trainee's VMs.
class role::client {
  include profile::base
  include profile::client
}
