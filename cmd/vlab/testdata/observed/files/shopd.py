#!/usr/bin/python3
"""shopd: the test lab's shop. Every request reads /etc/shop/mode: "ok"
serves pages, anything else answers 503 (the incident)."""
import http.server


class Shop(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            mode = open("/etc/shop/mode").read().strip()
        except OSError:
            mode = "missing"
        status, body = (200, b"<h1>tea shop</h1>\n") if mode == "ok" else (503, b"shop closed\n")
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("", 80), Shop).serve_forever()
