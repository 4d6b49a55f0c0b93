#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An HTTP receiver for the action tests: records every request (method, path, headers, body)
as one JSON line and answers from a script of responses per "METHOD /path".

Usage: http_sink.py --log FILE --port-file FILE [--script JSON]
The script maps "METHOD /path" (or "*" for anything else) to a list of responses taken in
turn, the last one repeating: {"status": 503, "times": 2, "body": {...}, "echo": ["member"]}.
"times" repeats a response that many requests; "echo" copies members of the request's JSON
body into the answer. Listens on 127.0.0.1, port chosen by the kernel, written to --port-file
once the socket is bound.
"""
import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink:
    def __init__(self, log_path, script):
        self.lock = threading.Lock()
        self.log = open(log_path, "a", encoding="utf-8")
        self.script = script
        self.seen = {}  # "METHOD /path" -> requests answered so far
        self.n = 0

    def answer(self, key, body):
        with self.lock:
            steps = self.script.get(key, self.script.get("*", [{"status": 200, "body": {}}]))
            i = self.seen.get(key, 0)
            self.seen[key] = i + 1
            self.n += 1
            k = i
            step = steps[-1]
            for s in steps:
                t = s.get("times", 1)
                if k < t:
                    step = s
                    break
                k -= t
        out = dict(step.get("body", {}))
        if step.get("echo"):
            try:
                req = json.loads(body)
            except ValueError:
                req = {}
            for m in step["echo"]:
                if isinstance(req, dict) and m in req:
                    out[m] = req[m]
        return step.get("status", 200), out

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry, sort_keys=True) + "\n")
            self.log.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        text = raw.decode("utf-8", "replace")
        key = "%s %s" % (self.command, self.path)
        status, out = self.server.sink.answer(key, text)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        self.server.sink.record({
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": text,
            "json": parsed,
            "status": status,
        })
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = handle_any
    do_PATCH = handle_any
    do_PUT = handle_any
    do_GET = handle_any

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--script", default="{}")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.sink = Sink(a.log, json.loads(a.script))
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
