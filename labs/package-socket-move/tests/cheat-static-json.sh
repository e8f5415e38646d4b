#!/bin/sh
# vm: web
# A cheat: nginx answers /api/ itself with a canned catalogue; shop-api is
# never asked. The symptom probes pass; the guard that sees shop-api answer
# through nginx must not.
set -eu
python3 - <<'PY'
p = "/etc/nginx/sites-available/shop"
s = open(p).read()
s = s.replace("location /api/ {", "location /api/ {\n\t\tdefault_type application/json;\n\t\treturn 200 '{\"items\": []}';", 1)
open(p, "w").write(s)
PY
nginx -t
systemctl reload nginx
