#!/bin/sh
# Builds puppet.bundle (scripts/lab-history.sh): vlab's kit at kit-12, then
#   1. 2023-01-16  the text caches (./puppet)   <- lab.yaml pins this
# The incident is not a commit: it is the operators' pooled state in etcd.
. "$(dirname "$0")/../../scripts/lab-history.sh"
history_start kit-12 "Vik Osei" vik@wiki.example
history_copy
history_commit 2023-01-16T10:40:00+00:00 "text caches: backends from conftool's ats-be pool"
history_bundle
