#!/bin/sh
# vm: app1
# Another valid fix: correct the word in a new commit and sync that.
set -eu
cd /srv/mediawiki-staging
sed -i 's/arrray(/array(/' wmf-config/InitialiseSettings.php
git -c user.name=oncall -c user.email=oncall@wiki.example commit -qam 'teawiki: array(), not arrray()'
deploy-config 'teawiki: fix the content namespaces typo'
