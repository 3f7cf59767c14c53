#!/usr/bin/env python3
"""A tiny HTTP image server for Hangar's tests: ETag, If-None-Match (304), Range (206), If-Range.

Usage: image_server.py FOLDER  -- prints the port it listens on (127.0.0.1), then serves until killed.
GET /FILE serves FOLDER/FILE. GET /cut/FILE sends half of the file the first time, then drops the
connection (to test resuming). Every request is appended to FOLDER/requests.log as "METHOD PATH STATUS".
"""
import hashlib
import http.server
import os
import sys

FOLDER = sys.argv[1]
cut_done = set()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def record(self, status):
        with open(os.path.join(FOLDER, "requests.log"), "a") as log:
            log.write(f"GET {self.path} {status}\n")

    def do_GET(self):
        path = self.path
        cut = path.startswith("/cut/")
        name = path[len("/cut/"):] if cut else path[1:]
        file = os.path.join(FOLDER, name)
        if not os.path.isfile(file):
            self.record(404)
            self.send_error(404)
            return
        data = open(file, "rb").read()
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        start = 0
        ranged = self.headers.get("Range")
        if ranged and (self.headers.get("If-Range") in (None, etag)):
            start = int(ranged.split("=")[1].split("-")[0])
        body = data[start:]
        status = 206 if start else 200
        self.record(status)
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if cut and path not in cut_done:
            cut_done.add(path)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
