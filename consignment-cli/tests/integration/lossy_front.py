"""A front for the gateway that loses its answers: each POST is forwarded to the
gateway (so a booking really is made) and the client gets a 504 problem instead of
the gateway's answer, as from a proxy whose upstream timed out.

    python lossy_front.py GATEWAY_URL      (prints "listening on PORT")

A process of its own, standard library only: the test process runs eventlet.
"""

import json
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = sys.argv[1].rstrip("/")
FORWARDED_HEADERS = ("Content-Type", "Authorization", "Idempotency-Key")
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LosingHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name: self.headers[name] for name in FORWARDED_HEADERS if self.headers[name]}
        request = urllib.request.Request(UPSTREAM + self.path, data=body, headers=headers, method="POST")
        try:
            with NO_PROXY.open(request, timeout=60) as answer:
                status = answer.status
        except urllib.error.HTTPError as error:
            status = error.code
        except urllib.error.URLError as error:
            status = f"nothing ({error.reason})"
        problem = {
            "type": "about:blank",
            "title": "Gateway Timeout",
            "status": 504,
            "detail": f"the gateway answered {status}, and the answer was lost on the way",
        }
        payload = json.dumps(problem).encode()
        self.send_response(504)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        print(f"lossy front: {format % args}", flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), LosingHandler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
