#!/usr/bin/env python3
"""A stand-in forge for the webhook and gate tests: records every request and answers as the forges
document.

Usage: fake_forge.py LOG [REPOSITORY]

Prints its port on the first line and appends each request, as a line of JSON (method, path,
authorization, body), to LOG. Commit statuses and comments are answered 201. With REPOSITORY (a
bare git repository), a merge of pull request N (GitHub `PUT .../pulls/N/merge`, Gitea `POST
.../pulls/N/merge`, GitLab `PUT .../merge_requests/N/merge`) merges `refs/pull/N/head` (GitLab:
`refs/merge-requests/N/head`) into its main branch for real, answers 405 when it does not apply
and 409 when the head is not the `sha`/`head_commit_id` given; `GET .../pulls/N` says whether it
was merged, and its head and base. When the file LOG.merge-500 holds a number, that many merges are
answered 500 first. `GET .../collaborators/LOGIN` (Gitea) answers 204 for a login listed in
LOG.members (one per line), else 404. A request's description (`body`) is read from LOG.bodies (a
JSON object by number).
"""
import json
import re
import subprocess
import sys
import tempfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = sys.argv[1]
repository = sys.argv[2] if len(sys.argv) > 2 else None
record = open(log, "a")
merged = set()

MERGE = re.compile(r".*/(pulls|merge_requests)/(\d+)/merge$")
REQUEST = re.compile(r".*/(pulls|merge_requests)/(\d+)$")
COLLABORATOR = re.compile(r".*/collaborators/([^/]+)$")


def git(*arguments, cwd=None):
    return subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True)


def failures_left():
    """Takes one of the 500 answers LOG.merge-500 asks for; True when there was one."""
    path = log + ".merge-500"
    try:
        left = int(open(path).read().strip() or "0")
    except (OSError, ValueError):
        return False
    if left <= 0:
        return False
    with open(path, "w") as file:
        file.write(str(left - 1))
    return True


def merge(kind, number, body):
    """Merges request `number` into main: (status, answer)."""
    ref = f"refs/merge-requests/{number}/head" if kind == "merge_requests" else f"refs/pull/{number}/head"
    head = git("--git-dir", repository, "rev-parse", ref).stdout.strip()
    expected = body.get("sha") or body.get("head_commit_id")
    if expected and expected != head:
        return 409, {"message": f"head is {head}, not {expected}"}
    with tempfile.TemporaryDirectory() as work:
        steps = [
            ("clone", "-q", repository, work),
            ("-C", work, "fetch", "-q", "origin", ref),
            ("-C", work, "-c", "user.name=forge", "-c", "user.email=forge@example.org", "merge", "-q", "--no-ff", "-m", f"Merge #{number}", "FETCH_HEAD"),
            ("-C", work, "push", "-q", "origin", "HEAD:main"),
        ]
        for step in steps:
            result = git(*step)
            if result.returncode != 0:
                return 405, {"message": f"not mergeable: {result.stderr.strip()}"}
    merged.add(number)
    return 200, {"merged": True}


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        record.write(json.dumps({
            "method": self.command,
            "path": self.path,
            "authorization": self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or "",
            "body": body,
        }) + "\n")
        record.flush()
        merging = MERGE.match(self.path.split("?")[0])
        asking = REQUEST.match(self.path.split("?")[0])
        if merging and repository and self.command in ("PUT", "POST"):
            if failures_left():
                return self.answer(500, {"message": "the forge is down"})
            status, answer = merge(merging.group(1), int(merging.group(2)), json.loads(body or "{}"))
            return self.answer(status, answer)
        if asking and self.command == "GET":
            number = int(asking.group(2))
            done = number in merged
            head = git("--git-dir", repository, "rev-parse", f"refs/pull/{number}/head").stdout.strip() if repository else ""
            try:
                body = json.load(open(log + ".bodies")).get(str(number), "")
            except (OSError, ValueError):
                body = ""
            return self.answer(200, {
                "merged": done, "state": "merged" if done else "opened", "body": body,
                "head": {"ref": f"pr{number}", "sha": head}, "base": {"ref": "main", "sha": ""},
            })
        collaborator = COLLABORATOR.match(self.path.split("?")[0])
        if collaborator and self.command == "GET":
            try:
                members = open(log + ".members").read().split()
            except OSError:
                members = []
            self.send_response(204 if collaborator.group(1) in members else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.answer(201, {})

    do_POST = do_PUT = do_GET = handle_any

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
