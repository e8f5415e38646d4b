#!/bin/sh
# vm: db1
# A cheat: let the wiki's user write to a read-only server. Saves work, and
# db1 stays read-only for everyone else (and the next application).
set -eu
mariadb -e "GRANT READ_ONLY ADMIN ON *.* TO 'wiki'@'%'"
sleep 3
