#!/usr/bin/env python3
"""Opens a `codex-state report --html` page in headless Chromium through chromedriver (raw W3C
WebDriver over HTTP, standard library only) and prints what the page shows as one JSON object.

    report_check.py PAGE.html SCREENSHOT.png [CLICK_TASK_ID] [SEARCH_TEXT]

The page is opened from file:// with the network cut off (the page must need none). Printed:
the tasks (the page's task list), the task boxes and edges drawn (what is in view),  nodes per status, the render time the page measured, whether clicking the
task opened its details (and their text), the search hits, the console errors, and where the
screenshot went. Exit 0 when the page rendered; the caller asserts on the facts.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Driver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.session = None

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read().decode() or "null").get("value")
        except urllib.error.HTTPError as e:
            raise RuntimeError("%s %s: %s" % (method, path, e.read().decode()[:500]))

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.session, path), body)

    def script(self, js, *args):
        return self.s("POST", "/execute/sync", {"script": js, "args": list(args)})


def main():
    page, shot = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    click = sys.argv[3] if len(sys.argv) > 3 else None
    search = sys.argv[4] if len(sys.argv) > 4 else None
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_bin = shutil.which("chromedriver")
    if not chrome or not driver_bin:
        print(json.dumps({"skipped": "chromium or chromedriver is not installed"}))
        return 0
    port = free_port()
    profile = tempfile.mkdtemp(prefix="codex-state-chromium-")
    proc = subprocess.Popen([driver_bin, "--port=%d" % port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d = Driver(port)
    out = {}
    try:
        for _ in range(200):
            try:
                if d.call("GET", "/status").get("ready"):
                    break
            except Exception:
                pass
            time.sleep(0.05)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": chrome, "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--user-data-dir=" + profile, "--no-first-run",
                # Nothing on the network: a page that needed it would show it.
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                "--allow-file-access-from-files"]}}}}
        created = d.call("POST", "/session", caps)
        d.session = created["sessionId"]
        d.s("POST", "/timeouts", {"script": 120000, "pageLoad": 120000, "implicit": 0})
        started = time.time()
        d.s("POST", "/url", {"url": "file://" + page})
        for _ in range(1200):
            if d.script("return document.body && document.body.getAttribute('data-ready')") == "1":
                break
            time.sleep(0.05)
        out["load_seconds"] = round(time.time() - started, 3)
        out.update(d.script("""
            const tasks = document.querySelectorAll('#task-index li');
            const statuses = {};
            for (const n of tasks) { const s = n.getAttribute('data-status'); statuses[s] = (statuses[s] || 0) + 1; }
            const nav = performance.getEntriesByType('navigation')[0];
            return {
              ready: document.body.getAttribute('data-ready') === '1',
              nodes: tasks.length,
              drawn: document.querySelectorAll('#dag .node').length,
              edges: document.querySelectorAll('#dag .edge').length,
              statuses: statuses,
              critical: document.querySelectorAll('#dag .node.crit').length,
              render_ms: window.codexStateReport ? Math.round(window.codexStateReport.renderMs) : null,
              dom_content_loaded_ms: nav ? Math.round(nav.domContentLoadedEventEnd) : null,
              milestones: document.querySelectorAll('#milestone-list .milestone').length,
              burndown_points: document.querySelectorAll('#burndown-chart circle').length,
              sessions: document.querySelectorAll('#session-timeline .session').length,
              memories: document.querySelectorAll('#memory-list .memory').length,
              superseded: document.querySelectorAll('#memory-list .memory.superseded').length,
              findings: document.querySelectorAll('#findings tr[data-code]').length,
              title: document.title,
              external: [...document.querySelectorAll('[src],[href]')].map(e => e.getAttribute('src') || e.getAttribute('href')).filter(u => !u.startsWith('#'))
            };"""))
        if click:
            # A real click, at the task's box, as a user makes it: first bring the task into view.
            d.script("document.querySelector('#search').value=''; return true")
            el = d.s("POST", "/element", {"using": "css selector", "value": '#dag .node[data-id="%s"] rect' % click})
            ref = list(el.values())[0]
            d.s("POST", "/element/%s/click" % ref, {})
            out["details"] = d.script("""
                const box = document.getElementById('details');
                return {shown: !box.hidden, task: box.getAttribute('data-task'), text: box.innerText};""")
        if search:
            el = d.s("POST", "/element", {"using": "css selector", "value": "#search"})
            d.s("POST", "/element/%s/value" % list(el.values())[0], {"text": search})
            # The graph redraws on the next animation frame.
            time.sleep(0.3)
            out["search_hits"] = d.script("return document.querySelectorAll('#dag .node.hit').length")
            out["search_count_text"] = d.script("return document.getElementById('search-count').textContent")
            d.script("const s = document.getElementById('search'); s.value=''; s.dispatchEvent(new Event('input')); return true")
        try:
            png = d.s("GET", "/screenshot")
        except RuntimeError as e:
            out["screenshot_error"] = str(e)[:300]
            print(json.dumps(out))
            return 1
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        out["screenshot"] = shot
        # Each other section as its own picture beside it (report-milestones.png, …).
        for section in ["milestones", "sessions", "memories", "drift"]:
            d.script("document.getElementById(arguments[0]).scrollIntoView(); window.scrollBy(0, -40); return true", section)
            data = d.s("GET", "/screenshot")
            path = shot[:-4] + "-" + section + ".png"
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
        try:
            logs = d.s("POST", "/se/log", {"type": "browser"}) or []
        except Exception:
            logs = []
        out["console_errors"] = [l.get("message") for l in logs if l.get("level") == "SEVERE"]
    finally:
        try:
            if d.session:
                d.s("DELETE", "")
        except Exception:
            pass
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
