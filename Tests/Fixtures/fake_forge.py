#!/usr/bin/env python3
"""A stand-in forge for the webhook tests: accepts any POST (commit statuses) and records it.

Prints its port on the first line and appends each request, as a line of JSON, to the file named
by its argument.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

record = open(sys.argv[1], "a")


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        record.write(json.dumps({
            "path": self.path,
            "authorization": self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or "",
            "body": body,
        }) + "\n")
        record.flush()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
