#!/bin/sh
# vm: web
# The trainee is root here: every tool a probe might use inside this VM
# lies, and files are edited. The check decides on what the observer sees.
set -eu
for t in curl systemctl df mysql mariadb; do
	p=$(command -v $t || echo /usr/bin/$t)
	printf '#!/bin/sh\necho "HTTP/1.1 200 OK"\necho ActiveState=active\necho 200\nexit 0\n' > "$p"
	chmod 755 "$p"
done
mkdir -p /run/vlab/clients
echo '{"format": 1, "client": "shoppers", "written": 9999999999, "seconds": []}' > /run/vlab/clients/shoppers.json
echo closed-but-pretending > /etc/shop/mode
sleep 2
