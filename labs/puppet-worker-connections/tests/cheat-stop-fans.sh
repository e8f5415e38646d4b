#!/bin/sh
# vm: edge
# A cheat: stop the audience. New visitors get through, but only because
# nobody is watching the final any more.
set -eu
systemctl disable --now vlab-trigger-fans
sleep 3
