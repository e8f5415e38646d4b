#!/bin/sh
# Rebuild the in-house shop-api packages (2.7.3-1, the good one, and 2.8.0-1,
# the one that moved the socket) from ../pkg/shop-api, and the Packages index
# used by the lab's in-guest "internal mirror". The nginx .debs next to them
# are Debian 12's, fetched with `apt-get download nginx=1.22.1-9+deb12u11
# nginx-common=1.22.1-9+deb12u11`. Needs only dpkg-deb.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../pkg/shop-api
build() { # version socket-key default-socket runtime-dir
	v=$1
	root=$(mktemp -d); chmod 0755 "$root"
	trap 'rm -rf "$root"' EXIT
	mkdir -p "$root/DEBIAN" "$root/usr/lib/shop-api" "$root/lib/systemd/system" \
		"$root/etc/shop-api" "$root/usr/share/doc/shop-api"
	subst() { sed -e "s|@VERSION@|$v|g" -e "s|@SOCKET_KEY@|$2|g" -e "s|@DEFAULT_SOCKET@|$3|g" -e "s|@RUNDIR@|$4|g" "$5"; }
	subst "$@" "$src/shop_api.py" >"$root/usr/lib/shop-api/shop_api.py"
	subst "$@" "$src/shop-api.service" >"$root/lib/systemd/system/shop-api.service"
	subst "$@" "$src/shop-api.conf" >"$root/etc/shop-api/shop-api.conf"
	# the changelog as of this version: drop the entries above it
	awk -v v="($v)" 'index($0, "shop-api " v) == 1 { on = 1 } on' "$src/changelog" | gzip -9n >"$root/usr/share/doc/shop-api/changelog.Debian.gz"
	chmod 0755 "$root/usr/lib/shop-api/shop_api.py"
	echo /etc/shop-api/shop-api.conf >"$root/DEBIAN/conffiles"
	cat >"$root/DEBIAN/control" <<CTL
Package: shop-api
Version: $v
Architecture: all
Maintainer: Platform Team <platform@shop.example>
Depends: python3 (>= 3.11)
Section: web
Priority: optional
Description: shop catalogue API (in-house)
 Serves the catalogue as JSON over a unix socket behind nginx.
CTL
	cat >"$root/DEBIAN/postinst" <<'SH'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable shop-api.service >/dev/null 2>&1 || true
	systemctl restart shop-api.service
fi
SH
	cat >"$root/DEBIAN/prerm" <<'SH'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl stop shop-api.service || true; fi
SH
	chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm"
	find "$root" -exec touch -h -d 2023-03-14T09:12:44Z {} +
	dpkg-deb --root-owner-group -Zxz --build "$root" "$here/shop-api_${v}_all.deb" >/dev/null
	rm -rf "$root"
	trap - EXIT
}
build 2.7.3-1 socket /run/shop/api.sock shop
build 2.8.0-1 listen /run/shop-api/api.sock shop-api
# Packages index for the in-guest mirror (apt's trusted file: source)
cd "$here"
for deb in *.deb; do
	dpkg-deb -f "$deb"
	printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "$deb" "$(stat -c %s "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)"
done >Packages
