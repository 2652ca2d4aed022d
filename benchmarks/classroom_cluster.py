"""A classroom on several replicas: one teacher and S students in chromium through HAProxy (tests/cluster.py).

The cluster: a throwaway PostgreSQL, R replicas of ``streamlit run app.py`` and HAProxy with sticky sessions
by cookie, all on loopback. Every browser goes through the balancer (nobody is pinned: the balancer places
each new browser, and its cookie says where). Each student, ``--stagger`` s after the one before: opens the
app, goes to Train, sets a small run (Epochs 20, Hidden units 8), clicks Start, and waits until the store
says the run finished. The teacher opened the app before the first student; once a student has started, the
teacher opens that student's workspace link (``/?workspace=KEY``) in a tab of its own browser and goes
between Evaluate and Compare until Evaluate shows the run as finished: that is when the teacher has *seen* it.

Measured: per student, Start -> finished in the store, and Start -> seen by the teacher; per replica, the time
from a navigation (opening the app, a link, a page of the sidebar) until the page is idle; errors (an
exception box, an alert saying "Something went wrong", a page exception, a timeout); the replicas' CPU.

``--mode classroom`` (the default): the teacher makes a class on the Teacher page and watches its board;
each student joins with the room code on the Class page, loads the challenge, trains, and submits the run
once it has finished; a submission is *seen* when the board names it (it refreshes by itself, and may be
served by another replica than the student's). ``--mode workspace-links``: the same without a class, the
teacher following each student's workspace link. Each role is one coroutine; ``ROLES`` maps a mode to a pair.

    python benchmarks/classroom_cluster.py [--replicas 2] [--students 10] [--seconds 240] [--mode classroom]

The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as python benchmarks/NAME.py

from rnncore.store import StoreSettings, open_store  # noqa: E402
from tests.browser import CHROMIUM, CHROMIUM_ARGS, IDLE_SCRIPT  # noqa: E402
from tests.cluster import STICKY, WORKSPACE, start_cluster  # noqa: E402

TIMEOUT = 90_000  # ms per action: many sessions on 2 cores make script runs slow
EPOCHS, HIDDEN = 20, 8
SOMETHING_WRONG = "Something went wrong"
QUEUED = "All training slots of this server are in use"
FINISHED_ON_EVALUATE = re.compile(rf"\bfinished {EPOCHS} epochs\b")  # Evaluate's caption of the run


@dataclass
class Person:
    """One browser context: a student or the teacher."""

    name: str
    context: object
    errors: list[str] = field(default_factory=list)
    navigations: list[tuple[str, float]] = field(default_factory=list)  # (replica, seconds until idle)
    replica: str = "?"

    def error(self, what: str) -> None:
        if what not in self.errors:
            self.errors.append(what)

    async def watch(self, page) -> None:
        page.on("pageerror", lambda e: self.error(f"page exception: {str(e)[:200]}"))

    async def where(self) -> str:
        found = [c["value"] for c in await self.context.cookies() if c["name"] == STICKY]
        self.replica = found[0] if found else "?"
        return self.replica

    async def idle(self, page) -> None:
        await page.wait_for_timeout(150)  # let the rerun the action causes begin
        await page.locator(IDLE_SCRIPT).wait_for(timeout=TIMEOUT)

    async def check(self, page, after: str) -> None:
        """Error boxes on the page now."""
        boxes = page.locator("[data-testid=stException]")
        for i in range(await boxes.count()):
            self.error(f"exception box after {after}: {(await boxes.nth(i).inner_text())[:160]!r}")
        alerts = page.locator("[data-testid=stAlert]").filter(has_text=SOMETHING_WRONG)
        for i in range(await alerts.count()):
            self.error(f"'{SOMETHING_WRONG}' after {after}: {(await alerts.nth(i).inner_text())[:160]!r}")

    async def open(self, page, url: str, what: str) -> None:
        started = time.monotonic()
        await page.goto(url, timeout=TIMEOUT)
        await page.locator(IDLE_SCRIPT).wait_for(timeout=TIMEOUT)
        await page.get_by_test_id("stSidebarNav").wait_for(timeout=TIMEOUT)
        self.navigations.append((await self.where(), time.monotonic() - started))
        await self.check(page, what)

    async def go_to(self, page, title: str) -> None:
        link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True)
        path = await link.evaluate("a => new URL(a.href).pathname")
        started = time.monotonic()
        await link.click(timeout=TIMEOUT)
        await page.wait_for_function("(p) => location.pathname === p", arg=path, timeout=TIMEOUT)
        await self.idle(page)
        self.navigations.append((self.replica, time.monotonic() - started))
        await self.check(page, f"going to {title}")

    async def set_number(self, page, label: str, value: int) -> None:
        box = page.get_by_label(label, exact=True)
        await box.fill(str(value), timeout=TIMEOUT)
        await box.press("Enter")
        await self.idle(page)
        await self.check(page, f"setting {label}")

    async def click(self, page, name: str) -> None:
        await page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True).click(timeout=TIMEOUT)
        await self.idle(page)
        await self.check(page, name)


@dataclass
class Submission:
    student: str
    key: str  # the student's workspace
    started: float  # monotonic time of the click on Start
    finished: float | None = None  # when the store first said "finished"
    seen: float | None = None  # when the teacher's browser first showed it finished
    queued_looks: int = 0  # looks (every 0.5 s) at which the student's page said all slots were in use


class StoreWatcher(threading.Thread):
    """Polls the run store for the submitted workspaces until each has a finished run (one connection, its own
    thread, so the browsers' event loop never waits on the database)."""

    def __init__(self, url: str, every: float = 0.25):
        super().__init__(daemon=True)
        self.url, self.every, self._lock, self._halt = url, every, threading.Lock(), threading.Event()
        self.pending: list[Submission] = []
        self.failures: list[str] = []

    def add(self, submission: Submission) -> None:
        with self._lock:
            self.pending.append(submission)

    def run(self) -> None:
        store = open_store(self.url, StoreSettings())
        try:
            while not self._halt.is_set():
                with self._lock:
                    waiting = [s for s in self.pending if s.finished is None]
                for submission in waiting:
                    try:
                        runs = store.list_runs(submission.key)
                    except Exception as exc:  # noqa: BLE001 (a figure to report, not a crash)
                        self.failures.append(f"{type(exc).__name__}: {exc}"[:200])
                        continue
                    if any(r.status == "finished" for r in runs):
                        submission.finished = time.monotonic()
                self._halt.wait(self.every)
        finally:
            store.close()

    def stop(self) -> None:
        self._halt.set()
        self.join()


@dataclass
class Room:
    """What the roles share: where the class is, the submissions, the store's view, the deadline."""

    url: str
    deadline: float
    watcher: StoreWatcher
    submissions: list[Submission] = field(default_factory=list)
    arrivals: asyncio.Queue = field(default_factory=asyncio.Queue)
    students_done: int = 0
    code: str | None = None  # the class's room code (classroom mode), once the teacher made it
    cookie_missing: int = 0  # students whose browser never got the workspace cookie

    def submit(self, submission: Submission) -> None:
        self.submissions.append(submission)
        self.watcher.add(submission)
        self.arrivals.put_nowait(submission)

    def left(self) -> float:
        return self.deadline - time.monotonic()


# today's roles: what exists (workspace links) ----------------------------------------------------------------
async def student_workspace_links(me: Person, room: Room) -> None:
    """Open the app, set a small run, Start, and wait until the store says it finished."""
    page = await me.context.new_page()
    await me.watch(page)
    await me.open(page, room.url, "opening the app")
    await me.go_to(page, "Train")
    await me.set_number(page, "Epochs", EPOCHS)
    await me.set_number(page, "Hidden units", HIDDEN)
    started = time.monotonic()
    await me.click(page, "Start")
    key, until = None, min(time.monotonic() + 30, room.deadline)
    while key is None and time.monotonic() < until:
        key = next((c["value"] for c in await me.context.cookies() if c["name"] == WORKSPACE), None)
        if key is None:
            await asyncio.sleep(0.2)
    if key is None:  # counted as an error; the sidebar's workspace link still says which workspace it is
        me.error("the app set no workspace cookie within 30 s of Start")
        room.cookie_missing += 1
        key = await workspace_from_sidebar(me, page)
        if key is None:
            return
    submission = Submission(me.name, key, started)
    room.submit(submission)
    while submission.finished is None and room.left() > 0:
        submission.queued_looks += QUEUED in await page.get_by_test_id("stMain").inner_text()
        await asyncio.sleep(0.5)
    if submission.finished is None:
        me.error("the run did not finish in the store before the deadline")


async def workspace_from_sidebar(me: Person, page) -> str | None:
    """The key in the workspace link the sidebar shows (its "Your workspace" expander)."""
    sidebar = page.get_by_test_id("stSidebar")
    await sidebar.get_by_text("Your workspace", exact=True).first.click(timeout=TIMEOUT)
    code = sidebar.get_by_test_id("stCode").filter(has_text="?workspace=")
    await code.first.wait_for(timeout=TIMEOUT)
    match = re.search(r"\?workspace=([\w-]+)", await code.first.inner_text())
    if match is None:
        me.error("no workspace link in the sidebar either")
    return match[1] if match else None


async def teacher_workspace_links(me: Person, room: Room, students: int) -> None:
    """The app open from the start; a tab on each student's workspace link as they start, watched until its
    run shows as finished on Evaluate."""
    page = await me.context.new_page()
    await me.watch(page)
    await me.open(page, room.url, "opening the app")
    watching: list[asyncio.Task] = []

    async def follow(submission: Submission) -> None:
        tab = await me.context.new_page()
        await me.watch(tab)
        await me.open(tab, f"{room.url}/?workspace={submission.key}", f"the workspace link of {submission.student}")
        while room.left() > 0:
            await me.go_to(tab, "Evaluate")
            if FINISHED_ON_EVALUATE.search(await tab.get_by_test_id("stMain").inner_text()):
                submission.seen = time.monotonic()
                return
            await me.go_to(tab, "Compare")
            await asyncio.sleep(1.0)
        me.error(f"the teacher never saw the run of {submission.student} finished")

    while (len(watching) < students) and room.left() > 0:
        try:
            submission = await asyncio.wait_for(room.arrivals.get(), timeout=max(0.1, min(1.0, room.left())))
        except TimeoutError:
            if room.students_done == students:
                break  # every student ended, some without submitting
            continue
        watching.append(asyncio.create_task(guarded(me, follow(submission))))
    await asyncio.gather(*watching)


async def guarded(me: Person, work) -> None:
    try:
        await work
    except (TimeoutError, PlaywrightError) as exc:
        me.error(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")


# the classroom's roles: a class with a room code, submissions, the teacher's board ----------------------------
async def student_in_class(me: Person, room: Room) -> None:
    """Join with the room code, load the challenge, train a small run, submit it when the store says it ended."""
    while room.code is None and room.left() > 0:
        await asyncio.sleep(0.2)
    page = await me.context.new_page()
    await me.watch(page)
    await me.open(page, room.url, "opening the app")
    await me.go_to(page, "Class")
    await page.get_by_label("Room code").fill(room.code, timeout=TIMEOUT)
    await page.get_by_label("Your display name").fill(me.name, timeout=TIMEOUT)
    await me.click(page, "Join the class")
    await me.click(page, "Use the challenge's data and window")
    await me.go_to(page, "Train")
    await me.set_number(page, "Epochs", EPOCHS)
    await me.set_number(page, "Hidden units", HIDDEN)
    started = time.monotonic()
    await me.click(page, "Start")
    key = None
    while key is None and room.left() > 0:
        key = next((c["value"] for c in await me.context.cookies() if c["name"] == WORKSPACE), None)
        await asyncio.sleep(0.2)
    if key is None:
        me.error("the app set no workspace cookie")
        return
    submission = Submission(me.name, key, started)
    room.watcher.add(submission)
    while submission.finished is None and room.left() > 0:
        await asyncio.sleep(0.5)
    if submission.finished is None:
        me.error("the run did not finish in the store before the deadline")
        return
    await me.go_to(page, "Class")
    await me.click(page, "Submit to class")
    await page.get_by_text("scored an RMSE of").first.wait_for(timeout=TIMEOUT)
    submission.started = started
    room.submit(submission)


async def teacher_board(me: Person, room: Room, students: int) -> None:
    """Make the class on the Teacher page, tell the students its code, and watch the board (it refreshes by
    itself) until every submission is named on it."""
    page = await me.context.new_page()
    await me.watch(page)
    await me.open(page, room.url, "opening the app")
    await me.go_to(page, "Teacher")
    await page.get_by_label("Class name").fill("Cluster class", timeout=TIMEOUT)
    await me.click(page, "Make the class")
    notice = await page.get_by_text("Your class is ready: room code").first.inner_text(timeout=TIMEOUT)
    room.code = re.search(r"room code (\w{6})", notice)[1]
    while room.left() > 0 and not (room.students_done == students and all(s.seen for s in room.submissions)):
        board = await page.get_by_test_id("stMain").inner_text()
        for submission in room.submissions:
            if submission.seen is None and f"{submission.student} (#" in board:
                submission.seen = time.monotonic()
        await asyncio.sleep(0.5)
    await me.check(page, "watching the board")


ROLES = {"workspace-links": (student_workspace_links, teacher_workspace_links),
         "classroom": (student_in_class, teacher_board)}


# the classroom ------------------------------------------------------------------------------------------------
async def warm_up(cluster, epochs: int = 2) -> list[str]:
    """Before the class: one browser sent to each replica opens the app and trains a tiny run (the first script
    run of a process imports torch and reads the data: the class would otherwise time that). Its errors."""
    errors = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        async def one(replica) -> None:
            context = await browser.new_context()
            await context.add_cookies([{"name": STICKY, "value": replica.name, "url": cluster.url}])
            me = Person(f"warm-up {replica.name}", context)
            page = await context.new_page()
            await guarded(me, me.open(page, cluster.url, "opening the app"))
            await guarded(me, me.go_to(page, "Train"))
            await guarded(me, me.set_number(page, "Epochs", epochs))
            await guarded(me, me.click(page, "Start"))
            await page.wait_for_timeout(3000)
            await context.close()
            errors.extend(f"{me.name}: {e}" for e in me.errors)

        await asyncio.gather(*(one(r) for r in cluster.replicas))
        await browser.close()
    return errors


async def classroom(url: str, store_url: str, args) -> tuple[Room, Person, list[Person]]:
    student_role, teacher_role = ROLES[args.mode]
    watcher = StoreWatcher(store_url)
    watcher.start()
    room = Room(url, time.monotonic() + args.seconds, watcher)
    try:
        async with async_playwright() as p:
            def launch():
                return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            browsers = [await launch()]
            room.deadline = time.monotonic() + args.seconds
            teacher = Person("teacher", await browsers[0].new_context(viewport={"width": 1280, "height": 900}))
            students = []
            for i in range(args.students):
                if i % args.contexts_per_browser == 0:
                    browsers.append(await launch())
                students.append(Person(f"student{i + 1}", await browsers[-1].new_context(
                    viewport={"width": 1280, "height": 900})))

            async def student(i: int, me: Person) -> None:
                await asyncio.sleep(args.teacher_head_start + i * args.stagger)
                await guarded(me, student_role(me, room))
                room.students_done += 1

            await asyncio.gather(guarded(teacher, teacher_role(teacher, room, args.students)),
                                 *(student(i, s) for i, s in enumerate(students)))
            for browser in browsers:
                await browser.close()
    finally:
        watcher.stop()
    return room, teacher, students


def spread(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2) if values else None,
            "worst": round(max(values), 2) if values else None, "count": len(values)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=240, help="bound on the whole class (after the start)")
    parser.add_argument("--mode", choices=sorted(ROLES), default="classroom")
    parser.add_argument("--stagger", type=float, default=1.0, help="seconds between two students' arrivals")
    parser.add_argument("--teacher-head-start", type=float, default=3.0)
    parser.add_argument("--contexts-per-browser", type=int, default=5)
    parser.add_argument("--keep-logs", type=Path, help="copy the replicas' and HAProxy's logs here at the end")
    parser.add_argument("--server-env", nargs="*", default=[], type=lambda s: tuple(s.split("=", 1)),
                        help="NAME=VALUE for every replica, e.g. RNNLAB_MAX_CONCURRENT=2")
    args = parser.parse_args()

    began, load_before = time.monotonic(), os.getloadavg()[0]
    with start_cluster(args.replicas, env=dict(args.server_env)) as cluster:
        print(f"cluster of {args.replicas} up in {time.monotonic() - began:.1f} s at {cluster.url}", flush=True)
        warm_errors = asyncio.run(warm_up(cluster))
        if warm_errors:
            print(f"warm-up errors: {warm_errors}", flush=True)
        sessions_before = {r.name: r.sessions_opened() for r in cluster.replicas}
        cpu_before = {r.name: r.cpu_seconds() for r in cluster.replicas}
        started = time.monotonic()
        room, teacher, students = asyncio.run(classroom(cluster.url, cluster.store_url, args))
        wall, load_after = time.monotonic() - started, os.getloadavg()[0]
        cpu = {r.name: round((r.cpu_seconds() - cpu_before[r.name]) / wall, 2) for r in cluster.replicas}
        sessions = {r.name: r.sessions_opened() - sessions_before[r.name] for r in cluster.replicas}
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for path in [*cluster.folder.glob("*.log"), cluster.folder / "haproxy.cfg"]:
                shutil.copy(path, args.keep_logs / path.name)

    people = [teacher, *students]
    by_replica: dict[str, list[float]] = {}
    for person in people:
        for replica, seconds in person.navigations:
            by_replica.setdefault(replica, []).append(seconds)
    done = [s for s in room.submissions if s.finished is not None]
    seen = [s for s in room.submissions if s.seen is not None]
    errors = [f"{p.name}: {e}" for p in people for e in p.errors] + [f"store: {e}" for e in room.watcher.failures]
    for person in people:
        print(f"{person.name:<10} on {person.replica}: {len(person.navigations)} navigations"
              + (f"; errors: {person.errors}" if person.errors else ""), flush=True)
    result = {
        "mode": args.mode, "replicas": args.replicas, "students": args.students, "seconds": args.seconds,
        "epochs": EPOCHS, "hidden": HIDDEN, "wall_s": round(wall, 1),
        "submissions": len(room.submissions), "finished_in_store": len(done), "seen_by_teacher": len(seen),
        # a run's first frame can say "queued" for an instant; two looks (0.5 s apart) mean it waited
        "workspace_cookie_missing": room.cookie_missing,
        "saw_queued": sum(s.queued_looks >= 2 for s in room.submissions),
        "seconds_until_finished": spread([s.finished - s.started for s in done]),
        "seconds_until_seen": spread([s.seen - s.started for s in seen]),
        "seen_after_finished": spread([s.seen - s.finished for s in seen if s.finished is not None]),
        "students_by_replica": {name: sum(p.replica == name for p in students) for name in sorted(cpu)},
        "teacher_replica": teacher.replica,
        "response_by_replica": {name: spread(values) for name, values in sorted(by_replica.items())},
        "response_by_role": {"teacher": spread([t for _, t in teacher.navigations]),
                             "students": spread([t for p in students for _, t in p.navigations])},
        # the machine's 1-minute load average before and after (other jobs share it: figures are only comparable
        # between runs made under a similar load)
        "load_average": [round(load_before, 1), round(load_after, 1)], "cpu_count": os.cpu_count(),
        "cpu_cores_by_replica": cpu, "websocket_sessions_by_replica": sessions,
        "errors": errors,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
