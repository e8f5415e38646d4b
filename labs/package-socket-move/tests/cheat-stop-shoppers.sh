#!/bin/sh
# vm: web
# A cheat: roll back as on the day, but also silence the shoppers so that
# no errors are logged. The customers are the point: the guard must fail.
set -eu
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades --allow-change-held-packages \
	-o Dpkg::Options::=--force-confold shop-api=2.7.3-1
systemctl disable --now vlab-trigger-shoppers
