#!/usr/bin/env python3
"""Drives a real headless Chromium through the web UI of a running `hangar serve`, over WebDriver
(chromedriver's W3C HTTP protocol, Python's standard library only).

    browser.py SERVER_URL OPERATOR_TOKEN SCREENSHOT_FOLDER

Signs in, opens the project, triggers `greet` with a parameter and sees it pass, watches the live
log of `ticker` grow without a reload, cancels it, and checks at 390 px that no page scrolls
sideways. Saves screenshots of the main pages. Prints each step; exits 1 at the first that fails.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

server, token, shots = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(shots, exist_ok=True)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
driver = subprocess.Popen(["chromedriver", f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
base = f"http://127.0.0.1:{port}"


class WebDriverError(Exception):
    pass


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response).get("value")
    except urllib.error.HTTPError as error:
        raise WebDriverError(f"WebDriver {method} {path}: {error.read().decode()[:300]}")


def until(what, check, seconds=30):
    """Polls `check` until it returns something true; a page that is still loading counts as not yet."""
    deadline = time.time() + seconds
    last = None
    while time.time() < deadline:
        try:
            value = check()
            if value:
                return value
        except WebDriverError as error:
            last = error
        time.sleep(0.2)
    fail(f"timed out waiting for {what}" + (f" (last: {last})" if last else ""))


session = None
try:
    def ready():
        try:
            with urllib.request.urlopen(base + "/status", timeout=2) as response:
                return json.load(response)["value"]["ready"]
        except OSError:
            return False

    until("chromedriver to start", ready, 20)
    options = {"args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"]}
    if os.path.exists("/usr/bin/chromium"):
        options["binary"] = "/usr/bin/chromium"
    created = call("POST", "/session", {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": options}}})
    session = f"/session/{created['sessionId']}"

    def go(path):
        call("POST", f"{session}/url", {"url": server + path})

    def script(source, *args):
        return call("POST", f"{session}/execute/sync", {"script": source, "args": list(args)})

    def element(css):
        """The WebDriver id of the first element `css` matches, once there is one."""
        found = until(f"an element '{css}'", lambda: call("POST", f"{session}/elements", {"using": "css selector", "value": css}), 15)
        return next(iter(found[0].values()))

    def click(css):
        call("POST", f"{session}/element/{element(css)}/click", {})

    def type_into(css, text):
        handle = element(css)
        call("POST", f"{session}/element/{handle}/clear", {})
        call("POST", f"{session}/element/{handle}/value", {"text": text})

    def text(css):
        return script("const e = document.querySelector(arguments[0]); return e ? e.textContent : ''", css)

    def path():
        return script("return location.pathname + location.search")

    def screenshot(name):
        with open(os.path.join(shots, name), "wb") as f:
            f.write(base64.b64decode(call("GET", f"{session}/screenshot")))

    def window(width, height):
        call("POST", f"{session}/window/rect", {"width": width, "height": height})

    # Sign in: a page that needs a token leads to the sign-in page, and back after it.
    go("/projects/demo")
    until("the sign-in page", lambda: path().startswith("/login"))
    type_into("input[name=token]", token)
    click("form button")
    until("the project page after signing in", lambda: path() == "/projects/demo")
    print("signed in and back on /projects/demo", flush=True)

    # The signatures folder's wrong files (the test broke two after the server started) are listed
    # with where each is wrong; the one that was good keeps its last good version in the table.
    def problems():
        go("/signatures")
        return script("const e = document.getElementById('signature-problems'); return e ? e.textContent : ''")
    until("both wrong signature files on /signatures", lambda: "broken.yml" in problems() and "slab.yml" in problems(), 30)
    listed = problems()
    for expected in ["broken.yml:3:10: retries must be from 0 to 10, not -3", "slab.yml:2:10", "its last good version is in use"]:
        if expected not in listed:
            fail(f"the signatures page lacks {expected!r}: {listed!r}")
    if "BUG at slab" not in text("#signatures"):
        fail(f"slab's last good version left the table: {text('#signatures')!r}")
    print("the signatures page lists both wrong files, each where it is wrong", flush=True)
    go("/projects/demo")

    # Trigger with a parameter; the run page shows it pass.
    type_into("input[name=WHO]", "browser")
    click("form[action$='/greet/trigger'] button")
    until("the run page", lambda: path().startswith("/runs/"))
    greet = path()
    until("greet to pass (the page reloads when the run ends)", lambda: text("#state") == "passed", 60)
    if "Hello, browser" not in text("#log"):
        fail(f"the log lacks the greeting: {text('#log')!r}")
    print(f"greet passed on {greet}", flush=True)

    # The log viewer: a line's permalink highlights it (unfolding its task); timestamps on demand.
    go(greet + "#L2")
    highlighted = "const l = document.getElementById('L2'); return !!l && l.classList.contains('hl') && (!l.closest('details') || l.closest('details').open)"
    until("line 2 to be highlighted in an unfolded task", lambda: script(highlighted))
    shown = "return getComputedStyle(document.querySelector('#log .at')).display != 'none'"
    if script(shown):
        fail("timestamps are shown before they are asked for")
    click("label[for=show-times]")
    until("timestamps to show", lambda: script(shown))
    print("the permalink #L2 highlighted its line; timestamps showed on demand", flush=True)

    # The live log grows without a reload, then cancel.
    go("/projects/demo")
    click("form[action$='/ticker/trigger'] button")
    until("the ticker's run page", lambda: path().startswith("/runs/"))
    ticker = path()
    until("the first tick", lambda: "tick" in text("#log"), 60)
    script("window.hangarMark = 'same page'")
    first = text("#log").count("tick")
    until("the live log to grow", lambda: text("#log").count("tick") > first + 2, 30)
    if script("return window.hangarMark") != "same page":
        fail("the page was reloaded instead of following the log")
    print(f"live log grew from {first} to {text('#log').count('tick')} lines without a reload", flush=True)
    screenshot("run-live.png")

    # The machines page: the worker running the ticker is running; once it ends, idle.
    def worker_states():
        go("/machines")
        return script("return [...document.querySelectorAll('#workers .state')].map(e => e.textContent)")
    until("the worker shown running", lambda: worker_states() == ["running"])
    go(ticker)
    click("#cancel")
    until("the ticker to end cancelled", lambda: text("#state") == "cancelled", 30)
    print(f"cancelled {ticker}", flush=True)
    until("the worker shown idle", lambda: worker_states() == ["idle"])
    print("the machines page showed the worker running, then idle", flush=True)

    # Desktop screenshots of the main pages.
    for name, page in [("dashboard.png", "/"), ("project.png", "/projects/demo"), ("run.png", greet), ("history.png", "/runs")]:
        go(page)
        time.sleep(0.3)
        screenshot(name)

    def whole_badges(width):
        # A state badge is a word: it never wraps ("pass/ed").
        for page in ["/runs", greet, "/"]:
            go(page)
            broken = script("return [...document.querySelectorAll('.state')].filter(e => e.getClientRects().length > 1).map(e => e.textContent)")
            if broken:
                fail(f"{page} at {width} px wraps state badges: {broken}")

    whole_badges(1280)
    # At phone width no page scrolls sideways.
    window(390, 844)
    for page in ["/", "/runs", greet, ticker, "/projects/demo", "/machines", "/signatures", "/login"]:
        go(page)
        width = script("return [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            fail(f"{page} scrolls sideways at {width[1]} px: it is {width[0]} px wide")
    print("no page scrolls sideways at 390 px", flush=True)
    whole_badges(390)
    print("state badges are whole words at 1280 and 390 px", flush=True)
    go(greet)
    screenshot("run-phone.png")
    print("ok", flush=True)
except WebDriverError as error:
    fail(str(error))
finally:
    if session:
        try:
            call("DELETE", session)
        except WebDriverError:
            pass
    driver.terminate()
    driver.wait(10)
