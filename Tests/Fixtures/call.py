#!/usr/bin/env python3
"""One HTTP request with a bearer token, as a browser or a script would send it.

Usage: call.py METHOD URL TOKEN [BODY [HEADER:VALUE...]]  -- prints the status on the first line, then the body.
"""
import sys
import urllib.error
import urllib.request

method, url, token = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 and sys.argv[4] else None
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
for header in sys.argv[5:]:
    name, value = header.split(":", 1)
    headers[name] = value
request = urllib.request.Request(url, method=method, data=body, headers=headers)
try:
    with urllib.request.urlopen(request) as answer:
        print(answer.status)
        print(answer.read().decode())
except urllib.error.HTTPError as error:
    print(error.code)
    print(error.read().decode())
