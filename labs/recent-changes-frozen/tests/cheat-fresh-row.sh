#!/bin/sh
# vm: db2
# Write a fresh change on the replica so Recent changes looks alive, and
# leave replication stopped.
set -eu
mariadb -e "SET SESSION sql_log_bin = 0; INSERT INTO wiki.recentchanges (rc_timestamp, rc_title, rc_actor) VALUES (NOW() + INTERVAL 1 HOUR, 'Sencha', 'editor')"
