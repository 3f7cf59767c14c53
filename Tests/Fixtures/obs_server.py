#!/usr/bin/env python3
"""A stand-in for the Open Build Service, for Hangar's tests and its OBS demo: the API's build
status (`_result`) and binary list, downloads from the API, and a published repository with a
`FILE.sha256` beside each image, all answered from a state file the caller writes.

Usage: obs_server.py STATE.json  -- prints the port it listens on (127.0.0.1), then serves until killed.

STATE.json (read again at each request):
  {"project": "devel:kanku:images", "package": "P", "repository": "R", "arch": "x86_64",
   "state": "published", "dirty": false, "code": "succeeded",
   "files": [{"filename": "P.x86_64-1.0-Build1.1.qcow2", "path": "/abs/file", "mtime": 1700000000,
              "sha256": "(optional: what the .sha256 says instead of the file's own)"}],
   "auth": "user:password" (optional: the API and its downloads need it),
   "answer": 404 | 500 | "html" (optional: every API request gets this)}
The API is under /public, the published repositories under /repositories. Every request is
appended to STATE.json.log as "METHOD PATH STATUS AUTHORIZATION-GIVEN".
"""
import base64
import hashlib
import http.server
import json
import os
import sys
import urllib.parse

STATE = sys.argv[1]


def load():
    with open(STATE) as f:
        return json.load(f)


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, kind="text/xml"):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(STATE + ".log", "a") as log:
            log.write(f"GET {self.path} {status} {'auth' if self.headers.get('Authorization') else '-'}\n")

    def do_GET(self):
        state = load()
        url = urllib.parse.urlparse(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/") if p]
        query = urllib.parse.parse_qs(url.query)
        files = {f["filename"]: f for f in state.get("files", [])}
        if parts[:1] == ["public"]:
            answer = state.get("answer")
            if answer == "html":
                return self.send(200, "<!DOCTYPE html><html><body>Open Build Service</body></html>", "text/html")
            if isinstance(answer, int):
                return self.send(answer, f'<status code="{answer}"><summary>stand-in says {answer}</summary></status>')
            if state.get("auth"):
                given = self.headers.get("Authorization", "")
                if given != "Basic " + base64.b64encode(state["auth"].encode()).decode():
                    return self.send(401, '<status code="authentication_required"/>')
            api = parts[1:]
            if api[:1] == ["build"] and len(api) == 3 and api[2] == "_result":
                if api[1] != state["project"]:
                    return self.send(404, '<status code="unknown_project"/>')
                package = query.get("package", [""])[0]
                dirty = ' dirty="true"' if state.get("dirty") else ""
                status = f'<status package="{package}" code="{state.get("code", "succeeded")}"/>' if package == state["package"] else ""
                return self.send(200, f'<resultlist state="x"><result project="{state["project"]}" repository="{state["repository"]}" '
                                      f'arch="{state["arch"]}" code="{state["state"]}" state="{state["state"]}"{dirty}>{status}</result></resultlist>')
            if api[:1] == ["build"] and len(api) == 5:
                if api[1:] != [state["project"], state["repository"], state["arch"], state["package"]]:
                    return self.send(404, '<status code="unknown_package"/>')
                entries = "".join(f'<binary filename="{f["filename"]}" size="{os.path.getsize(f["path"])}" mtime="{f.get("mtime", 1700000000)}"/>'
                                  for f in state.get("files", []))
                return self.send(200, f"<binarylist>{entries}</binarylist>")
            if api[:1] == ["build"] and len(api) == 6 and api[5] in files:
                with open(files[api[5]]["path"], "rb") as f:
                    return self.send(200, f.read(), "application/octet-stream")
            return self.send(404, '<status code="not_found"/>')
        if parts[:1] == ["repositories"]:
            name = parts[-1]
            # /repositories/devel:/kanku:/images/REPOSITORY/FILE: each ':' of the project is ':/'.
            if "/".join(parts[1:-1]).replace(":/", ":") != state["project"] + "/" + state["repository"]:
                return self.send(404, "not here", "text/plain")
            if name.endswith(".sha256") and name[:-7] in files:
                entry = files[name[:-7]]
                with open(entry["path"], "rb") as f:
                    digest = entry.get("sha256") or hashlib.sha256(f.read()).hexdigest()
                return self.send(200, f"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n{digest}  {name[:-7]}\n"
                                      "-----BEGIN PGP SIGNATURE-----\n\nstand-in\n-----END PGP SIGNATURE-----\n", "text/plain")
            if name in files:
                with open(files[name]["path"], "rb") as f:
                    return self.send(200, f.read(), "application/octet-stream")
        return self.send(404, "not found", "text/plain")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
