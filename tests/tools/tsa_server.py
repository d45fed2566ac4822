#!/usr/bin/python3
"""tsa_server.py DIR - a local RFC 3161 time-stamping authority for tests.

Answers POSTs of application/timestamp-query on 127.0.0.1 with
`openssl ts -reply`, signing with DIR/tsa.key and DIR/tsa.crt (config
DIR/ts.cnf). Writes the port it listens on to DIR/port, and each request
it answered to DIR/requests (one line each)."""
import http.server
import os
import subprocess
import sys
import tempfile

DIR = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self.send_error(415)
            return
        with tempfile.TemporaryDirectory() as t:
            q, r = os.path.join(t, "q.tsq"), os.path.join(t, "r.tsr")
            open(q, "wb").write(body)
            p = subprocess.run(["openssl", "ts", "-reply", "-config",
                                os.path.join(DIR, "ts.cnf"), "-queryfile", q,
                                "-out", r], capture_output=True)
            if p.returncode:
                self.send_error(500, p.stderr.decode()[:200])
                return
            data = open(r, "rb").read()
        with open(os.path.join(DIR, "requests"), "a") as f:
            f.write("%d\n" % len(body))
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
srv.serve_forever()
