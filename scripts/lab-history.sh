# lab-history.sh is sourced by a lab's puppet-history.sh to build the lab's
# puppet.bundle: vlab's kit at a tag with the lab's own commits on top, so
# the lab pins a commit that travels with it (offline, and in a shallow
# clone of vlab). Names, dates and modes are fixed and no user or system
# git configuration is read, so the ids are the same on every run and
# every machine.
#
#   . "$(dirname "$0")/../../scripts/lab-history.sh"
#   history_start kit-6 "Kim Ferreira" kim@wiki.example   # the checkout is $repo
#   history_copy                                          # the lab's ./puppet over the kit's tree
#   history_commit 2019-01-22T10:12:00+00:00 "what it did"
#   sed -i '...' "$repo/data/roles/cache.yaml"            # the next change
#   history_commit 2019-02-11T16:43:00+00:00 "what it did"
#   history_bundle                                        # puppet.bundle; prints the ids
#
# A repository that does not start from the kit (an application's, or a
# config repository for a git: step) starts empty and names its folder
# and bundle:
#
#   history_init "Ana Lima" ana@wiki.example
#   history_copy config                                   # the lab's ./config
#   history_commit 2015-09-14T09:00:00+00:00 "what it did"
#   history_bundle config.bundle
set -eu
lab=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$tmp" LC_ALL=C TZ=UTC
repo=$tmp/puppet

history_author() { # NAME EMAIL : the author of the next commits
	export GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2"
}

history_start() { # KIT-TAG NAME EMAIL
	history_author "$2" "$3"
	git clone -q --template= "$lab/../../kit/history.bundle" "$repo"
	git -C "$repo" checkout -q -B main "$1"
	git -C "$repo" remote remove origin
	git -C "$repo" config core.autocrlf false
	git -C "$repo" config core.fileMode true
}

history_init() { # NAME EMAIL
	history_author "$1" "$2"
	git init -q --template= -b main "$repo"
	git -C "$repo" config core.autocrlf false
	git -C "$repo" config core.fileMode true
}

# history_copy lays the lab's ./puppet (or FOLDER) over the checkout,
# every file 0644.
history_copy() { # [FOLDER]
	cp -R "$lab/${1:-puppet}/." "$repo/"
	find "$repo" -path "$repo/.git" -prune -o -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
}

history_commit() { # DATE MESSAGE
	git -C "$repo" add -A
	GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" \
		git -C "$repo" -c commit.gpgsign=false commit -q --no-verify -m "$2"
}

history_bundle() { # [FILE]
	tags=$(git -C "$repo" tag -l)
	[ -z "$tags" ] || git -C "$repo" tag -d $tags >/dev/null
	git -C "$repo" bundle create -q "$lab/${1:-puppet.bundle}" main
	git -C "$repo" log --format='%H %ad %s' --date=short -4
}
