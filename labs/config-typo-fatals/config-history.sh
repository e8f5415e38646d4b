#!/bin/sh
# Builds config.bundle (scripts/lab-history.sh), the wiki's config repository:
#   1. 2015-09-14  teawiki's settings (./config)
#   2. 2015-10-05  Help pages count as content   <- lab.yaml pins this
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_init "Ana Lima" ana@wiki.example
history_copy config
history_commit 2015-09-14T09:20:00+00:00 "teawiki: settings by wiki, Cite and CategoryTree"
history_author "Alex Moreau" alex@wiki.example
sed -i "s/'default' => \[ NS_MAIN \],/'default' => arrray( NS_MAIN, NS_HELP ),/" "$repo/wmf-config/InitialiseSettings.php"
history_commit 2015-10-05T23:37:35+00:00 "teawiki: Help pages count as content too"
history_bundle config.bundle
