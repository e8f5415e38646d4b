#!/bin/sh
# vm: app1
# A cheat: fix the live copy by hand, behind the config repository's back
# (the next deploy brings the typo back).
set -eu
sed -i 's/arrray(/array(/' /srv/mediawiki/wmf-config/InitialiseSettings.php
systemctl reload php8.2-fpm
