"""A classroom on one server, with the browsers taken out: N sessions speak Streamlit's own protocol.

``classroom_load.py`` drives real chromium tabs; on one 2-core machine, 30 tabs take most of the CPU
the server would have, so the response times it measures are mostly the browsers'. In a classroom the
browsers run on the students' machines. This script plays each student with a light client instead: a
websocket to the server's ``/_stcore/stream`` that sends the messages the browser would (BackMsg
``rerun_script`` with the widgets' values, the page to show, a fragment's periodic reruns) and reads
what the server sends back (the ForwardMsgs: elements, fragments to rerun, "script finished"). The
server does the work it does for a browser: on opening the app each client also fetches every file a
real chromium tab fetched from the server (recorded once per run by one browser session: the page, the
frontend's scripts, styles, fonts and images, six at a time, as a fresh browser with an empty cache).

Each session runs classroom_load's script: open the app; Data: pick a sample, "Use this data set";
Train: Epochs, Hidden units, Start; watch until 3 epochs are done; Inside the cell; Evaluate; Train;
Stop. While a page shows a live fragment (the training panel, the sidebar's status), the client
reruns it at the interval the server asked for, as the browser does. Response: the message sent until
the server finished the script run it caused (Start: until the page shows the run, progress or the
queued box). ``--server-cpus 0 --client-cpus 1`` pins the server and these clients to different cores;
``--cache`` puts HAProxy in front with deploy/haproxy.cfg's rules, whose cache keeps the frontend's files.

    python benchmarks/classroom_protocol.py --sessions 30 --server-cpus 0 --client-cpus 1 [--out results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.classroom_load import QUEUED, SAMPLES, Sampler, parse_cpus, profile_summary, profiler  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, go_to, open_app, start_server  # noqa: E402

EPOCH = re.compile(rb"Epoch (\d+) of (\d+)")
TIMEOUT = 60.0  # seconds per action, as classroom_load's
FINISHED = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
FRAGMENT_DONE = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


def files_a_browser_fetches(url: str) -> list[str]:
    """The paths one chromium tab fetched from the server while it opened the app and went through the
    pages a session visits (its own requests, not the websocket)."""
    from playwright.sync_api import sync_playwright

    paths = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: r.url.startswith(url) and "/_stcore/stream" not in r.url
                and paths.append(r.url[len(url):]))
        open_app(page, url)
        for title in ("Data", "Train", "Inside the cell", "Evaluate"):
            go_to(page, title)
        browser.close()
    return paths


def fetch(url: str) -> int:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, br"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        return len(response.read())


class Client:
    """One browser tab, as far as the server can tell: the widgets it has, the page, the fragments."""

    def __init__(self, url: str, files: list[str]):
        self.base, self.files = url, files
        self.url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.pages: dict[str, str] = {}  # page name -> page_script_hash
        self.page = ""  # the page shown: its page_script_hash ("" is the default page)
        self.widgets: dict[tuple[str, str], object] = {}  # (kind, label) -> the element's proto
        self.values: dict[str, object] = {}  # widget id -> (field, value) the client sends with each rerun
        self.fragments: dict[str, asyncio.Task] = {}  # fragment id -> the task rerunning it
        self.finished = asyncio.Event()  # a full script run finished
        self.text = b""  # what the page showed most recently: the elements' bytes, newest last
        self.errors: list[str] = []

    async def load_files(self) -> None:
        """What a browser with an empty cache fetches: the files, six connections at a time."""
        limit = asyncio.Semaphore(6)

        async def one(path):
            async with limit:
                await asyncio.to_thread(fetch, self.base + path)
        await asyncio.gather(*(one(path) for path in dict.fromkeys(self.files)))

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=TIMEOUT, ping_interval=None)
        self.reader = asyncio.create_task(self.read())

    async def close(self) -> None:
        for task in self.fragments.values():
            task.cancel()
        await self.ws.close()
        self.reader.cancel()

    async def read(self) -> None:
        try:
            async for data in self.ws:
                self.receive(data)
        except websockets.ConnectionClosed:
            pass

    def receive(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        kind = msg.WhichOneof("type")
        if kind in ("navigation", "new_session"):
            pages = msg.navigation.app_pages if kind == "navigation" else msg.new_session.app_pages
            self.pages.update({p.page_name: p.page_script_hash for p in pages})
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            name = element.WhichOneof("type")
            proto = getattr(element, name)
            if name in ("button", "number_input", "selectbox") and proto.label:
                self.widgets[(name, proto.label)] = proto
            if name == "exception":
                self.errors.append(f"exception: {proto.message[:200]}")
            self.text = (self.text + data)[-200_000:]
        elif kind == "auto_rerun":
            self.poll(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                if (task := self.fragments.pop(fragment, None)) is not None:
                    task.cancel()
        elif kind == "script_finished" and msg.script_finished == FINISHED:
            self.finished.set()

    def poll(self, fragment: str, interval: float) -> None:
        if (task := self.fragments.pop(fragment, None)) is not None:
            task.cancel()

        async def again():
            while True:
                await asyncio.sleep(interval)
                await self.send(fragment=fragment)
        self.fragments[fragment] = asyncio.create_task(again())

    async def send(self, fragment: str = "", trigger: str | None = None) -> None:
        back = BackMsg()
        state = back.rerun_script
        state.page_script_hash, state.fragment_id, state.is_auto_rerun = self.page, fragment, bool(fragment)
        for widget_id, (field, value) in self.values.items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            setattr(widget, field, value)
        if trigger is not None:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        await self.ws.send(back.SerializeToString())

    async def rerun(self, trigger: str | None = None) -> None:
        """A full rerun (a click, a changed value, another page), until the server finished it."""
        for task in self.fragments.values():  # the frontend drops a page's fragments when it reruns it
            task.cancel()
        self.fragments.clear()
        self.finished.clear()
        self.text = b""
        await self.send(trigger=trigger)
        await asyncio.wait_for(self.finished.wait(), TIMEOUT)

    def widget(self, kind: str, label: str):
        if (kind, label) not in self.widgets:
            raise LookupError(f"no {kind} labelled {label!r} on the page")
        return self.widgets[(kind, label)]

    async def go_to(self, title: str) -> None:
        self.page, self.widgets, self.values = self.pages[title], {}, {}
        await self.rerun()

    async def click(self, label: str) -> None:
        await self.rerun(trigger=self.widget("button", label).id)

    async def choose(self, label: str, option: str) -> None:
        self.values[self.widget("selectbox", label).id] = ("string_value", option)
        await self.rerun()

    async def set_number(self, label: str, value: float) -> None:
        box = self.widget("number_input", label)
        field = "int_value" if box.data_type == NumberInput.INT else "double_value"
        self.values[box.id] = (field, int(value) if field == "int_value" else float(value))
        await self.rerun()

    def epoch(self) -> int:
        found = EPOCH.findall(self.text)
        return int(found[-1][0]) if found else -1

    def queued(self) -> bool:
        return QUEUED.encode() in self.text


class Session:
    def __init__(self, number: int, url: str, files: list[str], epochs: int, hidden: int):
        self.number, self.client, self.epochs, self.hidden = number, Client(url, files), epochs, hidden
        self.actions: list[tuple[str, float]] = []
        self.errors: list[str] = []
        self.seen: list[tuple[float, str, int]] = []

    async def timed(self, name: str, action, *args) -> None:
        started = time.monotonic()
        await action(*args)
        self.actions.append((name, time.monotonic() - started))

    async def shows_run(self) -> None:
        while self.client.epoch() < 0 and not self.client.queued():
            await asyncio.sleep(0.05)

    async def start(self) -> None:
        await self.client.click("Start")
        await asyncio.wait_for(self.shows_run(), TIMEOUT)

    async def watch(self, seconds: float, epochs: int = 3) -> None:
        until = time.monotonic() + seconds
        while True:
            epoch, queued = self.client.epoch(), self.client.queued()
            self.seen.append((time.monotonic(), "queued" if queued else "running" if epoch >= 0 else "other", epoch))
            if epoch >= epochs or time.monotonic() >= until:
                return
            await asyncio.sleep(0.5)

    async def run(self, stagger: float) -> None:
        await asyncio.sleep(stagger)
        client = self.client
        try:
            async def open_app():
                await client.load_files()
                await client.connect()
                await client.rerun()
            await self.timed("open app", open_app)
            await self.timed("go to Data", client.go_to, "Data")
            await self.timed("pick sample", client.choose, "Data set", SAMPLES[self.number % len(SAMPLES)])
            await self.timed("Use this data set", client.click, "Use this data set")
            await self.timed("go to Train", client.go_to, "Train")
            await self.timed("set Epochs", client.set_number, "Epochs", self.epochs)
            await self.timed("set Hidden units", client.set_number, "Hidden units", self.hidden)
            await self.timed("Start", self.start)
            await self.watch(20)
            for title in ("Inside the cell", "Evaluate"):
                await self.timed(f"go to {title}", client.go_to, title)
            await self.timed("go to Train", client.go_to, "Train")
            await self.watch(10)
            await self.timed("Stop", client.click, "Stop")
        except (TimeoutError, LookupError, websockets.WebSocketException, OSError) as exc:
            self.errors.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        finally:
            self.errors += client.errors
            await client.close()


async def drive(url: str, files: list[str], n: int, epochs: int, hidden: int, stagger: float) -> list[Session]:
    sessions = [Session(i, url, files, epochs, hidden) for i in range(n)]
    await asyncio.gather(*(s.run(i * stagger) for i, s in enumerate(sessions)))
    return sessions


def cached(folder: Path, app_port: int, pin: list[str] | None):
    """HAProxy in front of the server with deploy/haproxy.cfg's rules (tests/cluster.py's loopback copy, one
    replica): it keeps the frontend's files (/static/: hashed names, "immutable") in its cache, so the server's
    Python serves each file once, not once per browser."""
    from tests.browser import free_port
    from tests.cluster import find_haproxy, haproxy_config

    port = free_port()
    config = folder / "haproxy.cfg"
    config.write_text(haproxy_config(port, [("r1", app_port)], folder / "haproxy.sock"))
    process = subprocess.Popen([*(pin or []), find_haproxy(), "-f", str(config), "-db"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return process, f"http://127.0.0.1:{port}"


def classroom(n: int, args) -> dict:
    log = Path(tempfile.mkdtemp(prefix="protocol_")) / f"server_{n}.log"
    pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else None
    env = {"RNNLAB_STORE": f"sqlite:///{log.parent}/store.sqlite3", **dict(args.server_env)}
    server = start_server(env=env, log=log, prefix=pin)
    balancer, url = cached(log.parent, server.port, pin) if args.cache else (None, server.url)
    try:
        files = files_a_browser_fetches(url)
        if args.client_cpus:
            os.sched_setaffinity(0, parse_cpus(args.client_cpus))
        asyncio.run(drive(url, files, 1, 2, args.hidden, 0))  # warm up: torch imported, a sample parsed
        sampler = Sampler(server.process.pid)
        sampler.start()
        spy = profiler(server.process.pid, log.with_suffix(".pyspy")) if args.profile else None
        began = time.monotonic()
        sessions = asyncio.run(drive(url, files, n, args.epochs, args.hidden, args.stagger))
        span = time.monotonic() - began
        clients = sampler.browser_cpu()
        if spy is not None:
            spy.send_signal(2)  # SIGINT: py-spy writes its samples
            spy.wait(60)
        sampler.stop()
    finally:
        if balancer is not None:
            balancer.terminate()
            balancer.wait(10)
        server.stop()
        os.sched_setaffinity(0, range(os.cpu_count()))
    times = [t for s in sessions for _, t in s.actions]
    by_action: dict[str, list[float]] = {}
    for name, t in (a for s in sessions for a in s.actions):
        by_action.setdefault(name, []).append(t)
    server_cpu = sampler.samples[-1]["cpu"] - sampler.samples[0]["cpu"]
    result = {
        "sessions": n, "actions": len(times), "median_s": statistics.median(times), "worst_s": max(times),
        "by_action": {k: {"median_s": statistics.median(v), "worst_s": max(v), "count": len(v)}
                      for k, v in by_action.items()},
        "saw_queued": sum(any(state == "queued" for _, state, _ in s.seen) for s in sessions),
        "final_epochs": sorted(s.seen[-1][2] for s in sessions if s.seen),  # at the last look; 0: queued throughout
        "errors": {s.number: s.errors for s in sessions if s.errors},
        "cpu": {"server_cores": server_cpu / span, "clients_cores": clients / span, "span_s": span,
                "server_cpus": args.server_cpus or "all", "client_cpus": args.client_cpus or "all"},
        "files_per_session": len(set(files)), "server_log": str(log),
    }
    if spy is not None:
        result["profile"] = profile_summary(log.with_suffix(".pyspy"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[30])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between two sessions' starts")
    parser.add_argument("--server-cpus", help="cores for the server, as taskset takes them (e.g. 0)")
    parser.add_argument("--client-cpus", help="cores for the clients (e.g. 1)")
    parser.add_argument("--server-env", nargs="*", default=[], type=lambda s: tuple(s.split("=", 1)),
                        help="NAME=VALUE for the server, e.g. RNNLAB_TRAINING_NICE=0")
    parser.add_argument("--cache", action="store_true",
                        help="HAProxy in front, with deploy/haproxy.cfg's rules: the frontend's files from its cache")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy while sessions run")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    results = [classroom(n, args) for n in args.sessions]
    for r in results:
        c = r["cpu"]
        print(f"N={r['sessions']}: {r['actions']} actions, median {r['median_s']:.2f} s, worst {r['worst_s']:.2f} s, "
              f"saw queued {r['saw_queued']}, epochs at the last look {r['final_epochs']}, "
              f"errors {len(r['errors'])}; server {c['server_cores']:.2f} cores on {c['server_cpus']}, "
              f"clients {c['clients_cores']:.2f} cores on {c['client_cpus']}")
        print("  by action (median/worst s): " + "; ".join(
            f"{k} {v['median_s']:.2f}/{v['worst_s']:.2f}" for k, v in r["by_action"].items()))
        for number, errors in r["errors"].items():
            print(f"  session {number}: {errors}")
        if "profile" in r:
            print(json.dumps(r["profile"], indent=1))
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                       indent=1, default=str))


if __name__ == "__main__":
    main()
