"""A small Chrome DevTools Protocol client that drives a headless Chromium over the report: open a page,
click, type, evaluate, take a screenshot. The report's browser tests, its benchmark
(`benchmarks/bench_report.py`) and its screenshots (`benchmarks/report_screenshots.py`) use it; isobench
itself never starts a browser.

Chromium listens on 127.0.0.1 only (`--remote-debugging-port=0`: a free port it writes to
`DevToolsActivePort`), with the flags that keep it offline and quiet (no background networking, no
component updates, no sync) and a fresh profile; `websockets`' synchronous client speaks the protocol.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from isobench.jsontypes import JSON, JSONObject, obj

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)


def find_chromium() -> str | None:
    """Debian's chromium (what `scripts/setup --dev` installs), or another Chrome on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium with one page. Use as a context manager."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900) -> None:
        self.binary, self.width, self.height = binary, width, height
        self.profile = Path(tempfile.mkdtemp(prefix="isobench-chromium-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws: Any = None
        self.next_id = 0
        self.events: list[JSONObject] = []

    def __enter__(self) -> Chromium:
        from websockets.sync.client import connect

        args = [
            self.binary,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={self.width},{self.height}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.is_file() or not port_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.__exit__()
                raise BrowserError(f"{self.binary} did not open its DevTools port")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10)
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self.ws is not None:
            self.ws.close()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    # --- the protocol ---------------------------------------------------------------------------
    def send(self, method: str, timeout: float = 60, **params: JSON) -> JSONObject:
        """One command; returns its result (events that arrive meanwhile are kept in `events`)."""
        self.next_id += 1
        me = self.next_id
        self.ws.send(json.dumps({"id": me, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            msg = obj(json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic()))))
            if msg.get("id") == me:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error']}")
                return dict(obj(msg.get("result")))
            if "method" in msg:
                self.events.append(msg)

    def eval(self, expression: str, timeout: float = 60) -> JSON:
        """A JS expression's value (promises awaited)."""
        r = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            details = obj(r["exceptionDetails"])
            why = obj(details.get("exception", {})).get("description", "")
            raise BrowserError(f"{expression[:80]}: {details.get('text')} {why}")
        return obj(r.get("result", {})).get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> JSON:
        """Poll a JS expression until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout:g} s waiting for {expression}")
            time.sleep(0.05)

    # --- what a user does -----------------------------------------------------------------------
    def open(self, url: str, timeout: float = 60) -> float:
        """Navigate and wait until the page has loaded; returns the seconds it took."""
        t0 = time.perf_counter()
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'", timeout)
        return time.perf_counter() - t0

    def click(self, selector: str, timeout: float = 30) -> None:
        """Scroll the element into view and click its centre with the mouse (a real input event)."""
        sel = json.dumps(selector)
        box = obj(
            self.wait_for(
                f"(() => {{ const e = document.querySelector({sel}); if (!e) return null;"
                " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                " return r.width ? {x: r.x + r.width / 2, y: r.y + r.height / 2} : null; })()",
                timeout,
            )
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    def click_and_wait(self, selector: str, timeout: float = 60) -> float:
        """Click a link and wait for the next page to load; the seconds it took."""
        before = self.eval("location.href")
        self.eval("window.__isobenchOld = true")
        t0 = time.perf_counter()
        self.click(selector, timeout)
        self.wait_for(
            f"location.href !== {json.dumps(before)} && !window.__isobenchOld && document.readyState === 'complete'",
            timeout,
        )
        return time.perf_counter() - t0

    def type(self, selector: str, text: str) -> None:
        """Focus a field and type into it (key events, as a user types)."""
        self.click(selector)
        self.send("Input.insertText", text=text)

    def screenshot(self, path: Path, full_height: int | None = None) -> None:
        """A PNG of the viewport (or of the first `full_height` pixels of the page)."""
        if full_height:
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=self.width,
                height=full_height,
                deviceScaleFactor=1,
                mobile=False,
            )
        data = self.send("Page.captureScreenshot", format="png")["data"]
        Path(path).write_bytes(base64.b64decode(str(data)))
        if full_height:
            self.send(
                "Emulation.setDeviceMetricsOverride",
                width=self.width,
                height=self.height,
                deviceScaleFactor=1,
                mobile=False,
            )

    def frame_gaps(self, seconds: float) -> JSONObject:
        """Scroll the page to its end over `seconds`, measuring the gaps between animation frames: the
        longest is how long the page froze."""
        script = (
            "new Promise(done => { const gaps = []; let last = performance.now(); const end = last + "
            + str(int(seconds * 1000))
            + "; function f(now) { gaps.push(now - last); last = now; window.scrollBy(0, 400);"
            " if (now < end) requestAnimationFrame(f); else done({max_ms: Math.max(...gaps), frames: gaps.length,"
            " height: document.body.scrollHeight}); } requestAnimationFrame(f); })"
        )
        return dict(obj(self.eval(script, timeout=seconds + 60)))
