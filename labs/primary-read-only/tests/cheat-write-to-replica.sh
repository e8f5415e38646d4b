#!/bin/sh
# vm: db2
# A cheat: send the editors to the replica, made writable, and stop it
# replicating. Saves work, into a server that is no longer a copy of db1.
set -eu
mariadb -e "STOP SLAVE; SET GLOBAL read_only = 0"
echo "127.0.0.1 db1" >>/etc/hosts
sleep 3
