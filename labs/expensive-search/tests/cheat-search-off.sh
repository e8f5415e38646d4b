#!/bin/sh
# vm: edge
# A cheat: switch search off for everyone at the edge. Pages are fast
# again, but people cannot search: the probe of a person's search fails.
set -eu
python3 - <<'PY'
p = "/etc/nginx/sites-available/edge"
s = open(p).read()
s = s.replace("\tlocation / {", "\tlocation /search {\n\t\treturn 503;\n\t}\n\n\tlocation / {", 1)
open(p, "w").write(s)
PY
nginx -t
systemctl reload nginx
sleep 5
