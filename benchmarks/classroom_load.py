"""A classroom on one server: N real browser sessions load data, train, switch pages and stop.

For each N a fresh ``streamlit run app.py`` (loopback) is warmed up by one session that loads a
sample and trains 2 epochs (torch is imported), then closes; the server's RSS a few seconds
later is the *idle level*. Then N sessions (Playwright's async API, Debian's chromium, several
contexts per browser) each, within ``--seconds``: open the app; Data: pick a sample (they vary),
"Use this data set"; Train: set Epochs and Hidden units, Start, watch until 3 epochs are done or
the run ended; Inside the cell, Evaluate, Train; Stop; close the tab.

Response time: click -> the script is idle again (after the 0.15 s pause of tests/browser.py's
helpers for the rerun to begin); Start: until the run shows (progress or queued); Stop: until Start
is enabled again. Every 0.5 s the server's RSS, CPU time and threads are sampled. After the last
tab closed: RSS once it settles (at most ``--settle`` s) against idle, and the seconds until the
server uses under 5 % of a core (no Trainer thread left running). The CPU the server and the browsers
(this script's own process tree: Playwright's driver and chromium) each used while the sessions ran is
their share of the machine. ``--server-cpus 0 --browser-cpus 1`` pins them to different cores, as a
classroom has the browsers on the students' machines. ``--profile`` samples the server with py-spy
(non-blocking) while the sessions run and prints where its threads spent their CPU: by thread (the
Trainers, the page scripts, Streamlit's event loop), and the page scripts by page and by our function.

    python benchmarks/classroom_load.py [--sessions 5 10 20] [--seconds 75] [--out results.json]  (--help)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import CHROMIUM, CHROMIUM_ARGS, CLOCK_TICKS, IDLE_SCRIPT, start_server  # noqa: E402

SAMPLES = ["Airline passengers (monthly)", "Sunspots (yearly)", "Share prices (weekly, 6 series)",
           "CO₂ at Mauna Loa (weekly)"]
QUEUED = "All training slots of this server are in use"
RUNNING = re.compile(r"\bRunning\b ·")
EPOCH = re.compile(r"Epoch (\d+) of (\d+)")
MAIN = "document.querySelector('[data-testid=stMain]')"
SHOWS_RUN = f"/Epoch \\d+ of|{QUEUED}/.test({MAIN}.innerText)"
START_ENABLED = f"[...{MAIN}.querySelectorAll('button')].some(b => b.innerText.trim().endsWith('Start') && !b.disabled)"
OFFLINE = "net::ERR_NAME_NOT_RESOLVED"  # the favicon is fetched from fonts.gstatic.com
TIMEOUT = 60_000  # ms per action: 20 sessions on 2 cores make script runs slow


def proc_sample(pid: int) -> dict:
    """RSS (MiB, the process and its children), CPU seconds so far and threads of ``pid``."""
    rss, cpu, threads = 0.0, 0.0, 0
    for p in [pid, *children(pid)]:
        try:  # a child may end between the two reads
            status = Path(f"/proc/{p}/status").read_text()
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss += int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024
        threads += int(re.search(r"Threads:\s+(\d+)", status)[1])
        cpu += (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    return {"t": time.monotonic(), "rss": rss, "cpu": cpu, "threads": threads}


def children(pid: int) -> list[int]:
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [g for c in found for g in children(c)]


def tree_cpu(pid: int, leave_out: int) -> dict[int, float]:
    """CPU seconds so far of ``pid`` and each of its descendants but ``leave_out`` and its own, by process id."""
    left_out = {leave_out, *children(leave_out)}
    found = {}
    for p in [pid, *children(pid)]:
        if p in left_out:
            continue
        try:
            stat = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[p] = (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    return found


class Sampler(threading.Thread):
    """Samples the server every ``every`` seconds until stopped, and the CPU of this script's process tree
    (the browsers), keeping each process's last figure so a browser process that ended still counts."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self._stop_event = pid, every, [], threading.Event()
        self.browsers: dict[int, float] = {}
        self.browsers_before = sum(tree_cpu(os.getpid(), pid).values())

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(proc_sample(self.pid))
            self.browsers.update(tree_cpu(os.getpid(), self.pid))
            self._stop_event.wait(self.every)

    def browser_cpu(self) -> float:
        """CPU seconds this script and its browsers used since the sampler was made."""
        return sum(self.browsers.values()) - self.browsers_before

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def cpu_rate(samples: list[dict], start: int, span: float) -> float:
    """Cores used from ``samples[start]`` over the next ``span`` seconds (or what there is)."""
    first = samples[start]
    last = next((s for s in samples[start:] if s["t"] - first["t"] >= span), samples[-1])
    return (last["cpu"] - first["cpu"]) / max(last["t"] - first["t"], 1e-9)


class Session:
    def __init__(self, number: int, context, url: str, seconds: float, epochs: int, hidden: int):
        self.number, self.context, self.url, self.deadline = number, context, url, 0.0
        self.seconds, self.epochs, self.hidden, self.closed_at = seconds, epochs, hidden, 0.0
        self.actions: list[tuple[str, float]] = []  # (name, seconds)
        self.errors: list[str] = []
        self.offline: set[str] = set()  # requests to the internet that failed (no network here)
        self.seen: list[tuple[float, str, int]] = []  # (time, "queued"/"running"/"other", epoch)

    async def timed(self, name: str, action) -> None:
        started = time.monotonic()
        await action()
        self.actions.append((name, time.monotonic() - started))
        await self.check_errors(name)

    async def idle(self) -> None:
        await self.page.wait_for_timeout(150)  # let the rerun the action causes begin
        await self.page.locator(IDLE_SCRIPT).wait_for(timeout=TIMEOUT)

    async def check_errors(self, after: str) -> None:
        for test_id in ("stException", "stAlertContentError"):
            boxes = self.page.get_by_test_id(test_id)
            for i in range(await boxes.count()):
                text = (await boxes.nth(i).inner_text()).strip().replace("\n", " ")[:200]
                self.error(f"{test_id} after {after}: {text}")

    def error(self, error: str) -> None:
        if error not in self.errors:
            self.errors.append(error)

    def console(self, message) -> None:
        if message.type == "error" and OFFLINE not in message.text:  # those are counted in ``offline``
            self.error(f"console: {message.text[:200]}")

    async def go_to(self, title: str) -> None:
        link = self.page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
        path = await link.evaluate("a => new URL(a.href).pathname")

        async def act():
            await link.click()
            await self.page.wait_for_function("(p) => location.pathname === p", arg=path, timeout=TIMEOUT)
            await self.idle()
        await self.timed(f"go to {title}", act)

    def button(self, name: str):
        return self.page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)

    async def click(self, name: str, until: str | None = None) -> None:
        async def act():
            await self.button(name).click(timeout=TIMEOUT)
            await self.idle()
            if until:  # JavaScript: what the page shows once the action took effect
                await self.page.wait_for_function(until, timeout=TIMEOUT)
        await self.timed(name, act)

    async def set_number(self, label: str, value: int) -> None:
        async def act():
            box = self.page.get_by_label(label, exact=True)
            await box.fill(str(value), timeout=TIMEOUT)
            await box.press("Enter")
            await self.idle()
        await self.timed(f"set {label}", act)

    async def observe(self) -> tuple[str, int]:
        text = await self.page.get_by_test_id("stMain").inner_text()
        state = "queued" if QUEUED in text else "running" if RUNNING.search(text) else "other"
        epoch = int(m[1]) if (m := EPOCH.search(text)) else -1
        self.seen.append((time.monotonic(), state, epoch))
        return state, epoch

    async def watch(self, seconds: float, epochs: int = 3) -> None:
        """Until the run shows ``epochs`` epochs done, or ended, or ``seconds`` passed."""
        until = min(time.monotonic() + seconds, self.deadline)
        while True:  # at least one look, even past the deadline
            state, epoch = await self.observe()
            if epoch >= epochs or (state == "other" and epoch >= 0) or time.monotonic() >= until:
                return
            await self.page.wait_for_timeout(500)

    async def run(self, stagger: float) -> None:
        await asyncio.sleep(stagger)
        self.deadline = time.monotonic() + self.seconds
        self.page = await self.context.new_page()
        self.page.on("console", self.console)
        self.page.on("requestfailed", lambda r: OFFLINE in (r.failure or "") and self.offline.add(r.url))
        self.page.on("pageerror", lambda e: self.error(f"pageerror: {str(e)[:200]}"))
        try:
            await self.script()
        except (TimeoutError, PlaywrightError) as exc:
            self.error(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        finally:
            await self.context.close()
            self.closed_at = time.monotonic()

    async def script(self) -> None:
        async def open_app():
            await self.page.goto(self.url, timeout=TIMEOUT)
            await self.page.locator(IDLE_SCRIPT).wait_for(timeout=TIMEOUT)
            await self.page.get_by_test_id("stSidebarNav").wait_for(timeout=TIMEOUT)
        await self.timed("open app", open_app)
        await self.go_to("Data")

        async def pick():
            await self.page.get_by_test_id("stSelectbox").filter(has_text="Data set").click(timeout=TIMEOUT)
            await self.page.get_by_role("option", name=SAMPLES[self.number % len(SAMPLES)]).click(timeout=TIMEOUT)
            await self.idle()
        await self.timed("pick sample", pick)
        await self.click("Use this data set")
        await self.go_to("Train")
        await self.set_number("Epochs", self.epochs)
        await self.set_number("Hidden units", self.hidden)
        await self.click("Start", until=SHOWS_RUN)
        await self.watch(20)
        for title in ("Inside the cell", "Evaluate"):
            if time.monotonic() < self.deadline:
                await self.go_to(title)
        await self.go_to("Train")
        await self.watch(10)
        if await self.button("Stop").is_enabled(timeout=TIMEOUT):
            await self.click("Stop", until=START_ENABLED)
        await self.observe()


async def drive(url: str, n: int, per_browser: int, seconds: float, epochs: int, hidden: int,
                stagger: float) -> list[Session]:
    async with async_playwright() as p:
        browsers = [await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    for _ in range(-(-n // per_browser))]
        sessions = [Session(i, await browsers[i // per_browser].new_context(viewport={"width": 1280, "height": 900}),
                            url, seconds, epochs, hidden) for i in range(n)]
        await asyncio.gather(*(s.run(i * stagger) for i, s in enumerate(sessions)))
        await asyncio.gather(*(b.close() for b in browsers))
    return sessions


def most_running(sessions: list[Session]) -> int:
    """Most runs seen running at once: each session's [first, last] "running" sighting, overlapped.

    A run goes queued -> running -> stopped/finished without pausing here, so it was running
    for the whole interval; the intervals are a lower bound of the real ones.
    """
    spans = [(min(t), max(t)) for s in sessions if (t := [t for t, state, _ in s.seen if state == "running"])]
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans], key=lambda e: (e[0], -e[1]))
    return max(itertools.accumulate(step for _, step in events), default=0)


def classroom(n: int, args) -> dict:
    log = Path(tempfile.mkdtemp(prefix="classroom_")) / f"server_{n}.log"
    pin = ["taskset", "-c", args.server_cpus] if args.server_cpus else None
    server = start_server(env=dict(args.server_env), log=log, prefix=pin)
    if args.browser_cpus:  # this thread starts Playwright's driver, which starts chromium: they inherit it
        os.sched_setaffinity(0, parse_cpus(args.browser_cpus))
    try:
        warm = asyncio.run(drive(server.url, 1, 1, 60, 2, args.hidden, 0))
        if warm[0].errors:
            print(f"warm-up session errors: {warm[0].errors}", flush=True)
        time.sleep(5)  # then the idle level
        idle = proc_sample(server.process.pid)
        sampler = Sampler(server.process.pid)
        sampler.start()
        began = time.monotonic()
        spy = profiler(server.process.pid, log.with_suffix(".pyspy")) if args.profile else None
        sessions = asyncio.run(drive(server.url, n, args.contexts_per_browser, args.seconds, args.epochs,
                                     args.hidden, args.stagger))
        last_close = max(s.closed_at for s in sessions)
        browsers = sampler.browser_cpu()
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its samples and stops
            spy.wait(60)
        settle(sampler, last_close, args.settle)
        sampler.stop()
    finally:
        server.stop()
        os.sched_setaffinity(0, range(os.cpu_count()))
    result = summarise(n, sessions, sampler.samples, idle, began, last_close, log)
    server_cpu = next(s["cpu"] for s in reversed(sampler.samples) if s["t"] <= last_close) - sampler.samples[0]["cpu"]
    span = last_close - began
    result["cpu"] = {"server_s": server_cpu, "browsers_s": browsers, "span_s": span,
                     "server_cores": server_cpu / span, "browsers_cores": browsers / span,
                     "server_share": server_cpu / max(server_cpu + browsers, 1e-9),
                     "server_cpus": args.server_cpus or "all", "browser_cpus": args.browser_cpus or "all"}
    if args.profile:
        result["profile"] = profile_summary(log.with_suffix(".pyspy"))
    return result


def profiler(pid: int, out: Path) -> subprocess.Popen:
    """py-spy sampling ``pid``'s active threads 100 times a second, without pausing it, into ``out``."""
    if shutil.which("py-spy") is None:
        raise SystemExit("--profile needs py-spy (pip install py-spy)")
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--rate", "100", "--nonblocking", "--threads",
                             "--format", "raw", "--output", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


OURS = re.compile(r"\((?:[^()]*/)?(app|(?:views|ui|rnncore)/[\w/]+)\.py:\d+\)$")  # a frame in our code
PAGE = re.compile(r"\((?:[^()]*/)?(app|views/\w+)\.py:\d+\)$")


def profile_summary(path: Path, top: int = 12) -> dict:
    """Shares of py-spy's active samples: by thread name, and the page scripts' by page and by the
    innermost function of ours on the stack (e.g. a figure's builder, not Plotly's internals)."""
    threads, pages, ours = {}, {}, {}
    total = 0
    for line in path.read_text().splitlines() if path.exists() else []:
        stack, _, count = line.rpartition(" ")
        head, *frames = stack.split(";")
        name = re.sub(r"[-_]?\d+$", "", head.partition(": ")[2]) or "?"  # "AnyIO worker thread", not one per id
        total += int(count)
        threads[name] = threads.get(name, 0) + int(count)
        if name.startswith("ScriptRunner"):
            page = next((m[1] for f in frames if (m := PAGE.search(f))), "other")
            pages[page] = pages.get(page, 0) + int(count)
            mine = next((f for f in reversed(frames) if OURS.search(f)), "other (Streamlit)")
            ours[mine] = ours.get(mine, 0) + int(count)

    def shares(counts):
        return {k: round(v / max(total, 1), 4) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:top]}
    return {"samples": total, "by_thread": shares(threads), "scripts_by_page": shares(pages),
            "scripts_by_function": shares(ours)}


def parse_cpus(text: str) -> set[int]:
    """``"1"``, ``"0,2"`` or ``"0-3"``, as taskset takes them."""
    cpus = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        cpus.update(range(int(first), int(last or first) + 1))
    return cpus


def settle(sampler: Sampler, last_close: float, limit: float) -> None:
    """Wait until RSS moved under 1 % over 5 s and the server is idle, or ``limit`` seconds."""
    while time.monotonic() - last_close < limit:
        time.sleep(0.5)
        recent = [s for s in sampler.samples if s["t"] >= time.monotonic() - 5]
        if time.monotonic() - last_close < 6 or len(recent) < 8:
            continue
        rss = [s["rss"] for s in recent]
        if (max(rss) - min(rss)) / max(rss) < 0.01 and cpu_rate(recent, 0, 5) < 0.05:
            return


def summarise(n, sessions, samples, idle, began, last_close, log) -> dict:
    times = [t for s in sessions for _, t in s.actions]
    after = [i for i, s in enumerate(samples) if s["t"] >= last_close]
    idle_after = next((samples[i]["t"] - last_close for i in after if cpu_rate(samples, i, 1.0) < 0.05), None)
    final = samples[-1]
    by_action: dict[str, list[float]] = {}
    for name, t in (a for s in sessions for a in s.actions):
        by_action.setdefault(name, []).append(t)
    return {
        "sessions": n, "actions": len(times),
        "median_s": statistics.median(times) if times else None, "worst_s": max(times, default=None),
        "by_action": {k: {"median_s": statistics.median(v), "worst_s": max(v), "count": len(v)}
                      for k, v in by_action.items()},
        "saw_queued": sum(any(state == "queued" for _, state, _ in s.seen) for s in sessions),
        "most_running": most_running(sessions),
        "final_epochs": sorted(s.seen[-1][2] for s in sessions if s.seen),  # at the last look; 0: queued throughout
        "idle_rss_mib": idle["rss"], "peak_rss_mib": max(s["rss"] for s in samples),
        "final_rss_mib": final["rss"], "final_over_idle": final["rss"] / idle["rss"],
        "settle_s": final["t"] - last_close, "cpu_idle_after_close_s": idle_after,
        "threads": [idle["threads"], max(s["threads"] for s in samples), final["threads"]],  # idle, peak, final
        "session_seconds": [s.closed_at - began for s in sessions],
        "errors": {s.number: s.errors for s in sessions if s.errors},
        "offline_requests": sorted({u for s in sessions for u in s.offline}),
        "seen": {s.number: [(round(t - began, 1), state, epoch) for t, state, epoch in s.seen] for s in sessions},
        "memory": [(round(s["t"] - began, 1), round(s["rss"], 1), s["threads"]) for s in samples[::4]],
        "server_log": str(log),
    }


def table(results: list[dict]) -> str:
    head = ("| sessions | actions | median response | worst response | saw queued | most running at once | idle RSS "
            "| peak RSS | final RSS / idle | CPU idle after last close | threads idle/peak/final | errors |")
    lines = [head, "|" + "---|" * 12]
    for r in results:
        cpu = f"{r['cpu_idle_after_close_s']:.1f} s" if r["cpu_idle_after_close_s"] is not None else "never"
        lines.append(f"| {r['sessions']} | {r['actions']} | {r['median_s']:.2f} s | {r['worst_s']:.2f} s "
                     f"| {r['saw_queued']} | {r['most_running']} | {r['idle_rss_mib']:.0f} MiB "
                     f"| {r['peak_rss_mib']:.0f} MiB | {r['final_rss_mib']:.0f} MiB = {r['final_over_idle']:.2f} "
                     f"(after {r['settle_s']:.0f} s) | {cpu} | {'/'.join(map(str, r['threads']))} "
                     f"| {len(r['errors'])} |")
    lines += ["", "| sessions | server on | browsers on | server CPU | browsers' CPU | server's share |",
              "|" + "---|" * 6]
    for r in results:
        c = r["cpu"]
        lines.append(f"| {r['sessions']} | {c['server_cpus']} | {c['browser_cpus']} "
                     f"| {c['server_s']:.0f} s = {c['server_cores']:.2f} cores | {c['browsers_s']:.0f} s = "
                     f"{c['browsers_cores']:.2f} cores | {c['server_share']:.0%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--seconds", type=float, default=75, help="bound on each session's script")
    parser.add_argument("--contexts-per-browser", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--stagger", type=float, default=0.5, help="seconds between two sessions' starts")
    parser.add_argument("--settle", type=float, default=30, help="most seconds to wait for RSS to settle")
    parser.add_argument("--server-env", nargs="*", default=[], type=lambda s: tuple(s.split("=", 1)),
                        help="NAME=VALUE for the server, e.g. STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=5")
    parser.add_argument("--server-cpus", help="cores for the server, as taskset takes them (e.g. 0)")
    parser.add_argument("--browser-cpus", help="cores for the browsers (e.g. 1)")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy while sessions run")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    results = []
    for n in args.sessions:
        started = time.monotonic()
        results.append(result := classroom(n, args))
        print(f"N={n}: {time.monotonic() - started:.0f} s; by action: "
              + "; ".join(f"{k} {v['median_s']:.2f}/{v['worst_s']:.2f}" for k, v in result["by_action"].items()),
              flush=True)
        print("\n".join(f"  session {k}: {v}" for k, v in result["errors"].items()), flush=True)
        if "profile" in result:
            print(json.dumps(result["profile"], indent=1, ensure_ascii=False), flush=True)
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps({"args": {k: v for k, v in vars(args).items() if k != "out"},
                                        "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
