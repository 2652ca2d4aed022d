"""Tabs that train and switch pages fast on one server: does Streamlit's frontend fail anywhere?

Each tab opens the app, starts a run on the Train page, then clicks through Inside, Compare, Evaluate and
Data (back to Train between each) with a pause of ``--pause`` to 3x that between clicks, ``--rounds``
times. Every websocket frame is decoded with Streamlit's protobufs; for a tab whose browser raised an
error, its frames (the page of each run, the fragments rerun, each delta's path) are written to
``--out`` so the error can be traced. This is how "Bad delta path index" was traced (docs/PERFORMANCE.md,
"Classroom load"); ui/fragments.py fixed it.

    python benchmarks/page_switching.py [--tabs 20] [--rounds 3] [--pause 0.5] [--out DIR]

Prints the errors by message, and how often the server dropped or redirected a stale fragment rerun
(from its log).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, IDLE_SCRIPT, start_server  # noqa: E402

PAGES = ["Inside the cell", "Train", "Compare", "Train", "Evaluate", "Train", "Data", "Train"]
TIMEOUT = 60_000  # ms, for any one step


def said(msg: ForwardMsg) -> str:
    """One line for a frame from the server."""
    kind, run = msg.WhichOneof("type"), msg.metadata.run
    ids = f"run {run.script_run_id[:6]} fragments {[f[:6] for f in run.fragment_ids]}"
    if kind == "delta":
        delta = msg.delta
        return f"delta {list(msg.metadata.delta_path)} {delta.WhichOneof('type')} fragment {delta.fragment_id[:6]}"
    if kind == "new_session":
        return f"new_session page {msg.new_session.page_script_hash[:6]} {ids}"
    if kind == "script_finished":
        return f"script_finished {msg.script_finished} {ids}"
    if kind == "auto_rerun":
        return f"auto_rerun every {msg.auto_rerun.interval} s fragment {msg.auto_rerun.fragment_id[:6]}"
    return kind


def asked(msg: BackMsg) -> str:
    """One line for a frame from the browser."""
    kind = msg.WhichOneof("type")
    if kind == "rerun_script":
        rerun = msg.rerun_script
        return f"rerun page {rerun.page_script_hash[:6]} fragment {rerun.fragment_id[:6]}"
    return kind


class Tab:
    def __init__(self, number: int) -> None:
        self.number, self.log, self.errors = number, [], []

    def note(self, way: str, text: str) -> None:
        self.log.append((round(time.monotonic(), 3), way, text))

    def error(self, text: str) -> None:
        self.errors.append(text)
        self.note("!", text)

    def watch(self, page) -> None:
        def frames(ws):
            ws.on("framereceived",
                  lambda data: isinstance(data, bytes) and self.note("<", said(ForwardMsg.FromString(data))))
            ws.on("framesent", lambda data: isinstance(data, bytes) and self.note(">", asked(BackMsg.FromString(data))))
        page.on("websocket", frames)
        page.on("console", lambda m: m.type == "error" and self.error(f"console: {m.text[:200]}"))
        page.on("pageerror", lambda e: self.error(f"pageerror: {str(e)[:200]}"))

    async def run(self, browser, url: str, rounds: int, pause: float) -> None:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        self.watch(page)
        nav = page.get_by_test_id("stSidebarNav")
        try:
            await page.goto(url, timeout=TIMEOUT)
            await page.locator(IDLE_SCRIPT).wait_for(timeout=TIMEOUT)
            await nav.get_by_role("link", name="Train", exact=True).click(timeout=TIMEOUT)
            await page.wait_for_timeout(1500)
            await page.locator(IDLE_SCRIPT).wait_for(timeout=TIMEOUT)
            await page.get_by_test_id("stMain").get_by_role("button", name="Start", exact=True).click(timeout=TIMEOUT)
            await page.wait_for_timeout(3000)
            for round_ in range(rounds):
                for title in PAGES:
                    self.note("#", f"click {title}")
                    await nav.get_by_role("link", name=title, exact=True).click(timeout=TIMEOUT)
                    await page.wait_for_timeout(int(pause * 1000 * (1 + (self.number + round_) % 3)))
        except Exception as exc:  # a step that timed out: counted, and this tab stops
            self.error(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        finally:
            await context.close()


async def drive(url: str, tabs: int, rounds: int, pause: float) -> list[Tab]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        sessions = [Tab(i) for i in range(tabs)]
        await asyncio.gather(*(tab.run(browser, url, rounds, pause) for tab in sessions))
        await browser.close()
    return sessions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pause", type=float, default=0.5, help="seconds between clicks (times 1 to 3)")
    parser.add_argument("--out", type=Path, default=None, help="where the frames of tabs with errors go")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="page_switching_"))
    out.mkdir(parents=True, exist_ok=True)
    server = start_server(env={"RNNLAB_MAX_EPOCHS": "100000"}, log=out / "server.log")
    try:
        tabs = asyncio.run(drive(server.url, args.tabs, args.rounds, args.pause))
    finally:
        server.stop()
    counts = collections.Counter(error.splitlines()[0] for tab in tabs for error in tab.errors)
    for tab in tabs:
        if tab.errors:
            (out / f"tab_{tab.number}.json").write_text(json.dumps(tab.log, indent=0))
    log = (out / "server.log").read_text(errors="replace")
    print(f"{args.tabs} tabs, {args.rounds} rounds, pause {args.pause} s: "
          f"{sum(bool(t.errors) for t in tabs)} tabs with errors, {sum(counts.values())} errors")
    for error, n in counts.most_common(12):
        print(f"  {n} x {error}")
    print(f"server: {log.count('does not exist anymore')} reruns of forgotten fragments dropped, "
          f"{log.count('for a page the browser has left')} sent back to their page; frames and log in {out}")


if __name__ == "__main__":
    main()
