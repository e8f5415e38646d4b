#!/usr/bin/python3
"""Live scoreboard of the shop's tea-tasting cup: a page, a JSON API and a
long-poll endpoint (/events) that browsers keep open to get score updates."""
import json
import random
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"score": {"green": 0, "black": 0}, "seq": 0}
CHANGED = threading.Condition()


def play():
    while True:
        time.sleep(random.uniform(5, 15))
        with CHANGED:
            STATE["score"][random.choice(["green", "black"])] += 1
            STATE["seq"] += 1
            CHANGED.notify_all()


PAGE = """<!doctype html><html><head><title>Tea cup live</title></head><body>
<h1>Tea-tasting cup, live</h1><p id="score">green %(green)d : %(black)d black</p>
<script>
(async function poll(seq) {
  for (;;) {
    try {
      const r = await fetch('/events?since=' + seq + '&wait=' + (10 + Math.floor(Math.random() * 10)));
      const d = await r.json(); seq = d.seq;
      document.getElementById('score').textContent = 'green ' + d.score.green + ' : ' + d.score.black + ' black';
    } catch (e) { await new Promise(ok => setTimeout(ok, 1000)); }
  }
})(%(seq)d);
</script></body></html>
"""


class Handler(BaseHTTPRequestHandler):
    server_version = "scoreboard/1.4"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/":
            with CHANGED:
                data = PAGE % dict(STATE["score"], seq=STATE["seq"])
            return self.reply(200, data.encode(), "text/html")
        if url.path == "/api/score":
            with CHANGED:
                body = dict(STATE)
            if "nonce" in q:
                body["nonce"] = q["nonce"]
            return self.json(body)
        if url.path == "/events":
            since = int(q.get("since", -1))
            wait = min(float(q.get("wait", 15)), 30)
            deadline = time.time() + wait
            with CHANGED:
                while STATE["seq"] <= since and time.time() < deadline:
                    CHANGED.wait(deadline - time.time())
                body = dict(STATE)
            return self.json(body)
        self.reply(404, b"not found\n", "text/plain")

    def json(self, body):
        self.reply(200, (json.dumps(body) + "\n").encode(), "application/json")

    def reply(self, code, data, ctype):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Scoreboard", "1.4")
        self.end_headers()
        self.wfile.write(data)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


if __name__ == "__main__":
    threading.Thread(target=play, daemon=True).start()
    Server(("127.0.0.1", 8080), Handler).serve_forever()
