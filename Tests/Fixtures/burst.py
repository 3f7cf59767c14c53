#!/usr/bin/env python3
"""Queues many runs of one job on a real Hangar server at once and waits until every one has ended.

Usage: burst.py BASE-URL TOKEN PROJECT/JOB COUNT  -- prints a JSON object: {"queued": N, "states": {STATE: N}}.
"""
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, token, target, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
project, job = target.split("/")


def call(method, path):
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


with ThreadPoolExecutor(8) as pool:
    ids = list(pool.map(lambda _: call("POST", f"/api/v1/projects/{project}/jobs/{job}/runs")["id"], range(count)))

states = {}
deadline = time.time() + 600
while time.time() < deadline:
    runs, before = [], ""
    while True:
        page = call("GET", f"/api/v1/runs?project={project}&job={job}&limit=500{before}")
        runs += page
        if len(page) < 500:
            break
        before = f"&before={page[-1]['id']}"
    mine = [run for run in runs if run["id"] in set(ids)]
    states = {}
    for run in mine:
        states[run["state"]] = states.get(run["state"], 0) + 1
    if states.get("queued", 0) + states.get("running", 0) == 0:
        break
    time.sleep(0.5)
print(json.dumps({"queued": len(ids), "states": states}))
