"""Helpers for browser tests: a real streamlit server on a free loopback port, and page helpers.

The server is a separate process, so whether it is training is read from ``/proc``: Python 3.11 does
not give its threads OS names, but a thread that trains runs below the server's other threads (a higher
nice, rnncore/training/slots.py), so ``training_threads`` finds them by that, with their CPU time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rnncore.nn import native

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
IDLE_SCRIPT = "[data-testid=stApp][data-test-script-state=notRunning]"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` in a child process; ``url`` once it answers its health check."""

    def __init__(self, env: dict | None = None, log: Path | None = None, prefix: list[str] | None = None,
                 script: str = "app.py"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [*(prefix or []), sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                   "--server.address", "127.0.0.1", "--server.port", str(self.port),
                   "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
        self._log = open(log, "wb") if log is not None else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})},
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.process.returncode} before it was healthy")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode().strip() == "ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"streamlit did not answer {self.url}/_stcore/health within {timeout:.0f} s")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)

    def training_threads(self) -> dict[int, float]:
        """CPU seconds so far of each live thread of the server that runs below its main thread (the trainers)."""
        def nice_and_cpu(stat: Path) -> tuple[int, float]:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return int(fields[16]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # nice (field 19), utime+stime

        main_nice = nice_and_cpu(Path(f"/proc/{self.process.pid}/stat"))[0]
        threads = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                nice, cpu = nice_and_cpu(task / "stat")
            except (FileNotFoundError, ProcessLookupError):  # the thread ended while we read
                continue
            if nice > main_nice:
                threads[int(task.name)] = cpu
        return threads

    def cpu_use(self, seconds: float = 2.0) -> float:
        """Cores the server kept busy over the next ``seconds`` (1.0: one core all the time)."""
        before, started = self.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        return (self.cpu_seconds() - before) / (time.monotonic() - started)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()


def start_server(env: dict | None = None, log: Path | None = None, prefix: list[str] | None = None,
                 script: str = "app.py") -> Server:
    """A healthy server of ``script`` (run from the repository root, so with its .streamlit/config.toml);
    ``prefix`` goes before the command (e.g. ``taskset -c 1``).

    The C++ extension is built first, here (the server then loads it in a moment): on a fresh machine its
    build takes 25 to 90 s, which a test waiting for a run's first epoch would otherwise count."""
    native.module()
    server = Server(env, log, prefix, script)
    try:
        server.wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A streamlit server for this test module: yields the Server (``server.url``), then stops it."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    # runs that outlast any test; a closed tab's workspace stops training 2 s later (grace_seconds)
    running = start_server(env={"RNNLAB_MAX_EPOCHS": "100000", "RNNLAB_GRACE_SECONDS": "2"}, log=log)
    yield running
    running.stop()


# page helpers ---------------------------------------------------------------------------------
def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until the script run the last action caused has finished."""
    page.wait_for_timeout(150)  # let the rerun the action triggers begin
    page.locator(IDLE_SCRIPT).wait_for(timeout=timeout)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.locator(IDLE_SCRIPT).wait_for(timeout=60_000)
    page.get_by_test_id("stSidebarNav").wait_for()


def go_to(page, title: str) -> None:
    """Click a page in the sidebar (a page.goto would start a new session)."""
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
    path = link.evaluate("a => new URL(a.href).pathname")
    link.click()
    page.wait_for_function("(path) => location.pathname === path", arg=path, timeout=30_000)
    wait_idle(page)


def plot_points(page, index: int = 0) -> int:
    """How many x values the first trace of the ``index``-th Plotly chart on the page has (-1: none).

    Plotly keeps numpy arrays as ``{dtype, bdata}`` (base64) in ``data``; those are counted by size.
    """
    return page.evaluate("""(i) => {
        const plots = document.querySelectorAll('.js-plotly-plot');
        if (plots.length <= i || !plots[i].data || !plots[i].data.length) return -1;
        const x = plots[i].data[0].x;
        if (!x) return -1;
        if (x.length !== undefined) return x.length;
        const sizes = {i1: 1, u1: 1, u1c: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8};
        return atob(x.bdata).length / sizes[x.dtype];
    }""", index)


def progress_text(page) -> str:
    """The progress bar's text, e.g. "Epoch 12 of 300 · 3.1 s · about 70 s left" ('' when absent)."""
    bar = page.get_by_test_id("stProgress")
    return bar.first.inner_text() if bar.count() else ""


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)
