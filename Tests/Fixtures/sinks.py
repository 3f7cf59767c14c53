#!/usr/bin/env python3
"""Receivers for notifications, for the tests: a real SMTP server (aiosmtpd) or an HTTP server
that keeps what is posted to it. Each message is written to DIR as N.eml or N.json.

    sinks.py smtp PORT DIR
    sinks.py http PORT DIR

Run it with Debian's /usr/bin/python3, which has python3-aiosmtpd (scripts/setup.sh installs it).
"""
import http.server
import os
import sys
import threading
import time


def keep(folder, suffix, data):
    # Written whole, then renamed, so a reader never sees half a message.
    count = len([n for n in os.listdir(folder) if n.endswith(suffix)])
    path = os.path.join(folder, f"{count + 1}{suffix}")
    with open(path + ".part", "wb") as out:
        out.write(data)
    os.rename(path + ".part", path)


def smtp(port, folder):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            keep(folder, ".eml", envelope.content)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def http_sink(port, folder):
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                keep(folder, ".json", body)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    kind, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(folder, exist_ok=True)
    (smtp if kind == "smtp" else http_sink)(port, folder)
