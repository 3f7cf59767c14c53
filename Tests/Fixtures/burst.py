#!/usr/bin/env python3
"""Queues many runs of one job on a real Hangar server at once and waits until every one has ended.

Usage: burst.py BASE-URL TOKEN PROJECT/JOB COUNT [--timings]
Prints a JSON object {"queued": N, "states": {STATE: N}}; with --timings, instead, each run's
trigger-to-task-start time in milliseconds, one a line.
"""
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base, token, target, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
timings = "--timings" in sys.argv
project, job = target.split("/")


def call(method, path):
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


with ThreadPoolExecutor(8) as pool:
    ids = list(pool.map(lambda _: call("POST", f"/api/v1/projects/{project}/jobs/{job}/runs")["id"], range(count)))

deadline = time.time() + 1800
while time.time() < deadline:
    waiting = [call("GET", f"/api/v1/runs?project={project}&job={job}&state={state}&limit=1") for state in ("queued", "running")]
    if not any(waiting):
        break
    time.sleep(0.2 if count < 100 else 0.5)

if timings:
    for run_id in ids:
        run = call("GET", f"/api/v1/runs/{run_id}")
        print("%.2f" % ((run["tasks"][0]["startedAt"] - run["createdAt"]) * 1000))
    sys.exit(0)

wanted, states, before = set(ids), {}, ""
while True:
    page = call("GET", f"/api/v1/runs?project={project}&job={job}&limit=500{before}")
    for run in page:
        if run["id"] in wanted:
            states[run["state"]] = states.get(run["state"], 0) + 1
    if len(page) < 500:
        break
    before = f"&before={page[-1]['id']}"
print(json.dumps({"queued": len(ids), "states": states}))
