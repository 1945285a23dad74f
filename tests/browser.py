"""A headless Chromium driven over its DevTools pipe: the browser of the page tests, of the query page's tests
(tests/test_serve.py) and of ``benchmarks/bench_page.py``.

``--dump-dom`` (tests/test_visualise.py) shows a page once it has run; the
year control, the selection and the query page need a page that is clicked
and read while it runs. :class:`Chromium` speaks the DevTools protocol over
``--remote-debugging-pipe`` (no port, no library), and every wait has a
deadline. The browser is offline: its proxy is a closed port (Chromium
never sends loopback addresses such as 127.0.0.1 to a proxy, so a server
of the tests is reached directly), and :meth:`Tab.requests` lists every
request a page made.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

__all__ = ["Chromium", "Tab"]


class Chromium:
    """One headless Chromium, spoken to over its DevTools pipe."""

    def __init__(self, binary: str, profile: Path, width: int = 1200, height: int = 800) -> None:
        commands_in, self._commands = os.pipe()  # we write commands; the browser reads them on descriptor 3
        self._answers, answers_out = os.pipe()  # the browser answers on descriptor 4; we read them
        arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--proxy-server=127.0.0.1:9", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", f"--window-size={width},{height}", f"--user-data-dir={profile}",
            "--remote-debugging-pipe", "about:blank",
        ]  # fmt: skip
        profile.mkdir(parents=True, exist_ok=True)
        self._log = open(profile / "chromium.log", "wb")  # noqa: SIM115 - closed in close()
        # The shell puts the pipe's ends on descriptors 3 and 4, where the browser looks for them.
        self.process = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$@" 3<&0 4>&1 0</dev/null 1>&2', "sh", *arguments],
            stdin=commands_in,
            stdout=answers_out,
            stderr=self._log,
            start_new_session=True,
        )
        os.close(commands_in)
        os.close(answers_out)
        self._buffer = b""
        self._next_id = 0
        self.events: dict[str, list[dict]] = {}  # by session: the events the browser sent

    def command(self, method: str, session: str | None = None, timeout: float = 60, **params) -> dict:
        """Send one DevTools command and wait for its answer (events that come first are kept)."""
        self._next_id += 1
        message: dict = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.setdefault(answer.get("sessionId", ""), []).append(answer)

    def open(self, url: str, ready: str = "document.documentElement.getAttribute('data-drawn') === '1'") -> Tab:
        """A new tab showing ``url``, once ``ready`` (a JavaScript expression) is true."""
        return Tab(self, url, ready)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._answers], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise EOFError(f"Chromium ended (exit status {self.process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def close(self) -> None:
        """Close the browser (killing its process group if it does not end)."""
        with contextlib.suppress(OSError, RuntimeError, TimeoutError, EOFError):
            self.command("Browser.close", timeout=10)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group this browser started in, and only it
            self.process.wait(timeout=10)
        os.close(self._commands)
        os.close(self._answers)
        self._log.close()


class Tab:
    """One tab of :class:`Chromium` showing ``url``, once ``ready`` is true; ``script``, if given, runs in each of
    its documents before the page's own scripts."""

    def __init__(self, browser: Chromium, url: str, ready: str, script: str = "") -> None:
        self.browser = browser
        self.target = browser.command("Target.createTarget", url="about:blank")["targetId"]
        self.session = browser.command("Target.attachToTarget", targetId=self.target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.command(f"{domain}.enable")
        if script:  # DevTools scripts are not subject to the page's content security policy
            self.command("Page.addScriptToEvaluateOnNewDocument", source=script)
        self.command("Page.navigate", url=url)
        self.wait_for(ready)

    def command(self, method: str, **params) -> dict:
        """A DevTools command to this tab."""
        return self.browser.command(method, self.session, **params)

    def evaluate(self, expression: str):
        """The value of a JavaScript expression in the page (promises awaited).

        Raises:
            RuntimeError: if it throws.
        """
        answer = self.command("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(answer["exceptionDetails"])
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60):
        """Wait until a JavaScript expression is truthy; its value.

        Raises:
            TimeoutError: if it is still false after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the document is still being replaced
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            time.sleep(0.05)

    def _events(self) -> list[dict]:
        self.evaluate("0")  # so that the events sent so far are read
        return self.browser.events.get(self.session, [])

    def errors(self) -> list[str]:
        """Script errors so far: exceptions, console errors and error log entries."""
        found = []
        for event in self._events():
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails']}")
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(f"console: {params.get('args')}")
            elif event["method"] == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
        return found

    def requests(self) -> list[str]:
        """The URL of every request the page made, in order."""
        return [e["params"]["request"]["url"] for e in self._events() if e["method"] == "Network.requestWillBeSent"]

    def screenshot(self, path: Path) -> Path:
        """Save what the tab shows as a PNG."""
        data = self.command("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Close the tab."""
        self.browser.command("Target.closeTarget", targetId=self.target)
