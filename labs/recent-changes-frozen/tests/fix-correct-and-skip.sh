#!/bin/sh
# vm: db2
# Another valid fix: make the replica's row what the primary wrote, then
# skip the event that could not be applied.
set -eu
mariadb -e "SET SESSION sql_log_bin = 0; UPDATE wiki.ipblocks SET ipb_address = '198.51.100.23', ipb_by = 'Rosa', ipb_reason = 'spambot', ipb_timestamp = '2020-09-25 11:41:00' WHERE ipb_id = 16326"
mariadb -e "SET GLOBAL sql_slave_skip_counter = 1; START SLAVE"
sleep 5
