"""Headless Chromium driven over the DevTools protocol (no browser download, no Playwright)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
RECEIVE_TIMEOUT = 60.0
"""Seconds to wait for one message before the test fails instead of hanging."""


@dataclass
class Tab:
    """One page in the browser; every event it sends is kept in ``events``."""

    browser: Browser
    session: str
    events: list[dict[str, Any]] = field(default_factory=list)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.call(method, params, session=self.session)

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            for event in self.events:
                if event["method"] == method:
                    self.events.remove(event)
                    return event
            self.browser.receive_one()

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")


class Browser:
    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.tabs: dict[str, Tab] = {}
        self._next_id = 0
        self._answers: dict[int, dict[str, Any]] = {}

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while self._next_id not in self._answers:
            self.receive_one()
        answer = self._answers.pop(self._next_id)
        assert "error" not in answer, f"{method}: {answer['error']}"
        result: dict[str, Any] = answer.get("result", {})
        return result

    def receive_one(self) -> None:
        message = json.loads(self.socket.recv(timeout=RECEIVE_TIMEOUT))
        if "id" in message:
            self._answers[message["id"]] = message
        elif (tab := self.tabs.get(message.get("sessionId", ""))) is not None:
            tab.events.append(message)

    @contextmanager
    def tab(self, *, width: int, height: int) -> Iterator[Tab]:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        tab = Tab(self, session["sessionId"])
        self.tabs[tab.session] = tab
        try:
            for domain in ("Page", "Network", "Log", "Runtime"):
                tab.call(f"{domain}.enable")
            tab.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield tab
        finally:
            del self.tabs[tab.session]
            self.call("Target.closeTarget", {"targetId": target})


@contextmanager
def chromium() -> Iterator[Browser]:
    with tempfile.TemporaryDirectory(prefix="reader-chromium-") as profile:
        # A session of its own, so that its helper processes can be stopped with it.
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            url = _devtools_url(Path(profile), process)
            with connect(url, max_size=None) as socket:
                browser = Browser(socket)
                try:
                    yield browser
                finally:
                    # The browser may drop the connection before it answers.
                    with contextlib.suppress(Exception):
                        browser.call("Browser.close")
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.terminate()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # helpers still holding the profile directory


def _devtools_url(profile: Path, process: subprocess.Popen[bytes]) -> str:
    """Chromium writes its port and browser endpoint to DevToolsActivePort once it listens."""
    marker = profile / "DevToolsActivePort"
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"chromium exited with {process.returncode}")
        lines = marker.read_text().split() if marker.is_file() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    raise AssertionError("chromium did not open its DevTools port")
