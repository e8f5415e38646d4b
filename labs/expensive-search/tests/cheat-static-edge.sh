#!/bin/sh
# vm: edge
# A cheat: the edge answers everything itself with a canned page and never
# asks the app. Fast, and wrong: the guard that wants the app to serve fails.
set -eu
python3 - <<'PY'
p = "/etc/nginx/sites-available/edge"
s = open(p).read()
s = s.replace("\tlocation / {", "\tlocation / {\n\t\tdefault_type text/html;\n\t\treturn 200 '<h1>Fine teas</h1>';", 1)
open(p, "w").write(s)
PY
nginx -t
systemctl reload nginx
sleep 5
