#!/bin/sh
# vm: edge
# A valid fix other than the rate limit: refuse the crawler at the edge by
# its User-Agent (403). It keeps crawling and getting answers, quickly;
# people are served.
set -eu
python3 - <<'PY'
p = "/etc/nginx/sites-available/edge"
s = open(p).read()
s = s.replace("\tlocation / {", "\tif ($http_user_agent ~* pricehawkbot) {\n\t\treturn 403;\n\t}\n\n\tlocation / {", 1)
open(p, "w").write(s)
PY
nginx -t
systemctl reload nginx
sleep 5
