#!/usr/bin/python3
"""shop-app: the tea shop's application server. A fixed pool of workers
(like gunicorn's sync workers) serves pages; a request that waits longer
than queue_timeout for a free worker is answered 503 without being run.
/search runs an un-indexed catalogue scan and holds a worker about a second."""
import json
import os
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONFIG = "/etc/shop-app/app.conf"
conf = {"workers": "4", "queue_timeout": "3", "port": "8000"}
with open(CONFIG) as f:
    for line in f:
        k, sep, v = line.split("#", 1)[0].partition("=")
        if sep:
            conf[k.strip()] = v.strip()
WORKERS = int(conf["workers"])
QUEUE_TIMEOUT = float(conf["queue_timeout"])
pool = threading.BoundedSemaphore(WORKERS)
busy = [0]
busy_lock = threading.Lock()
HOST = socket.gethostname()
log = open("/var/log/shop-app/access.log", "a", buffering=1)

PRODUCTS = ["Sencha", "Gyokuro", "Assam", "Darjeeling", "Lapsang souchong", "Rooibos",
            "Cast-iron teapot", "Glass teapot", "Stoneware cup", "Bamboo whisk"]


def search(q):
    time.sleep(1.0)  # the catalogue scan: LIKE '%q%' over every description
    return [p for p in PRODUCTS if q.lower() in p.lower()]


class Handler(BaseHTTPRequestHandler):
    server_version = "shop-app/3.2"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        start = time.time()
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if not pool.acquire(timeout=QUEUE_TIMEOUT):
            self.reply(503, "no worker free after %.1fs\n" % QUEUE_TIMEOUT, start, "text/plain")
            return
        with busy_lock:
            busy[0] += 1
        try:
            self.route(url, q, start)
        finally:
            with busy_lock:
                busy[0] -= 1
            pool.release()

    def route(self, url, q, start):
        if url.path == "/":
            time.sleep(0.02)
            body = "<h1>Fine teas</h1><ul>%s</ul>" % "".join("<li><a href='/product/%d'>%s</a></li>" % (i, p) for i, p in enumerate(PRODUCTS))
            return self.reply(200, body, start)
        if url.path.startswith("/product/"):
            time.sleep(0.05)
            try:
                name = PRODUCTS[int(url.path.rsplit("/", 1)[1])]
            except (ValueError, IndexError):
                return self.reply(404, "no such product\n", start, "text/plain")
            return self.reply(200, "<h1>%s</h1><p>In stock.</p>" % name, start)
        if url.path == "/search":
            hits = search(q.get("q", ""))
            return self.reply(200, json.dumps({"q": q.get("q", ""), "hits": hits}), start, "application/json")
        if url.path == "/health":
            with busy_lock:
                body = {"status": "ok", "workers": WORKERS, "busy": busy[0], "host": HOST}
            if "nonce" in q:
                body["nonce"] = q["nonce"]
            return self.reply(200, json.dumps(body), start, "application/json")
        self.reply(404, "not found\n", start, "text/plain")

    def reply(self, code, body, start, ctype="text/html"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", "shop-app@" + HOST)
        self.end_headers()
        self.wfile.write(data)
        log.write("%s %s %s \"%s\" %d %.3f busy=%d/%d\n" % (
            time.strftime("%Y-%m-%dT%H:%M:%S"), self.headers.get("X-Real-IP", self.client_address[0]),
            self.headers.get("User-Agent", "-").split(" ")[0], self.path, code, time.time() - start, busy[0], WORKERS))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


if __name__ == "__main__":
    Server(("0.0.0.0", int(conf["port"])), Handler).serve_forever()
