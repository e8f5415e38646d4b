#!/usr/bin/python3
"""shop-api @VERSION@: the shop's catalogue API, served over a unix socket
to the local nginx. In-house package, built by the platform team."""
import json
import os
import socket
import socketserver
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

VERSION = "@VERSION@"
CONFIG = "/etc/shop-api/shop-api.conf"
# Where the socket is, and the setting that moves it.
SOCKET_KEY = "@SOCKET_KEY@"
DEFAULTS = {SOCKET_KEY: "@DEFAULT_SOCKET@", "workers": "4", "log_requests": "yes"}

ITEMS = [
    {"sku": "TEA-001", "name": "Sencha, 100 g", "price": 7.90, "stock": 42},
    {"sku": "TEA-002", "name": "Assam breakfast, 250 g", "price": 9.50, "stock": 17},
    {"sku": "POT-010", "name": "Cast-iron teapot", "price": 39.00, "stock": 5},
    {"sku": "CUP-003", "name": "Stoneware cup", "price": 12.00, "stock": 64},
]


def log(msg):
    print("shop-api[%s]: %s" % (VERSION, msg), flush=True)


def load_config(path):
    conf = dict(DEFAULTS)
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                key, sep, value = line.partition("=")
                key, value = key.strip(), value.strip()
                if not sep or key not in DEFAULTS:
                    log("%s:%d: ignoring unknown setting %r" % (path, n, key))
                    continue
                conf[key] = value
    except FileNotFoundError:
        log("%s not found, using defaults" % path)
    return conf


class Handler(BaseHTTPRequestHandler):
    server_version = "shop-api/" + VERSION
    protocol_version = "HTTP/1.1"

    def address_string(self):
        return self.headers.get("X-Real-IP", "local") if self.headers else "local"

    def log_message(self, fmt, *args):
        if self.server.log_requests:
            log("%s %s" % (self.address_string(), fmt % args))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/api/health":
            body = {"status": "ok", "version": VERSION}
        elif url.path == "/api/items":
            body = {"items": ITEMS, "served_at": time.time()}
        elif url.path.startswith("/api/items/"):
            sku = url.path.rsplit("/", 1)[1]
            found = [i for i in ITEMS if i["sku"] == sku]
            if not found:
                return self.reply(404, {"error": "no such item", "sku": sku})
            body = found[0]
        else:
            return self.reply(404, {"error": "not found"})
        if "nonce" in query:
            body = dict(body, nonce=query["nonce"][0])
        self.reply(200, body)

    def reply(self, code, body):
        data = (json.dumps(body) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Shop-Api-Version", VERSION)
        self.end_headers()
        self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    conf = load_config(sys.argv[1] if len(sys.argv) > 1 else CONFIG)
    path = conf[SOCKET_KEY]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = Server(path, Handler)
    srv.log_requests = conf["log_requests"] == "yes"
    os.chmod(path, 0o666)
    log("listening on unix:%s (workers=%s)" % (path, conf["workers"]))
    srv.serve_forever()


if __name__ == "__main__":
    main()
