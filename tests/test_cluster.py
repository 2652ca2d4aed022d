"""Two replicas behind HAProxy on one PostgreSQL store (tests/cluster.py), in real browsers: a browser stays on
its replica (sticky by cookie, never by IP: every browser here has the same address); a student's submission made
on one replica reaches the teacher's board served by the other; and the run is listed by the other replica for
the browser that opened the student's workspace link.

Which replica served what is read twice, from both ends: HAProxy's access log (every request of a browser
context carries a tag cookie that the log records, its websocket streams included) and each replica's own
count of the websocket sessions it opened (Streamlit's /_stcore/metrics)."""

from __future__ import annotations

import re
import subprocess
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rnncore.store import StoreSettings, open_store
from tests import cluster as clusters
from tests.browser import ROOT, go_to, open_app, set_number, wait_idle
from tests.test_browser import click, wait_for

pytestmark = pytest.mark.browser
STREAM = "/_stcore/stream"  # Streamlit's websocket: one per session (a page load)


@pytest.fixture(scope="module")
def cluster():
    why = clusters.missing()
    if why is not None:
        clusters.unavailable(why)
    with clusters.start_cluster(replicas=2) as running:
        yield running


def opened(cluster) -> dict[str, int]:
    """Websocket sessions each replica has opened so far, by its own count."""
    return {r.name: r.sessions_opened() for r in cluster.replicas}


def grew(before: dict[str, int], cluster, settle: float = 5.0) -> dict[str, int]:
    """How many sessions each replica opened since ``before`` (waiting up to ``settle`` s for the counts to stop
    moving: a reload's old websocket closes and the new one opens asynchronously)."""
    last, steady_since = opened(cluster), time.monotonic()
    deadline = time.monotonic() + settle
    while time.monotonic() < deadline and time.monotonic() - steady_since < 1.0:
        time.sleep(0.25)
        now = opened(cluster)
        if now != last:
            last, steady_since = now, time.monotonic()
    return {name: last[name] - before[name] for name in last}


CACHED = "<CACHE>"  # the server HAProxy's log names for a file it answered from its cache


def served(cluster, tag: str) -> tuple[set[str], int]:
    """The replicas that served the requests of the browser tagged ``tag`` (not HAProxy's cache), and how many
    websocket streams it opened, by HAProxy's log."""
    requests = cluster.requests(tag)
    assert requests, f"HAProxy logged no request of {tag!r}"
    return {r["server"] for r in requests} - {CACHED}, sum(r["path"].startswith(STREAM) and r["status"] == "101"
                                               for r in requests)


def browse(page, cluster, reloads: int = 0) -> int:
    """Open the app through the balancer, reload ``reloads`` times and change pages; the page loads it made
    (sessions)."""
    open_app(page, cluster.url)
    for _ in range(reloads):
        page.reload()
        open_app(page, page.url)
    go_to(page, "Train")
    go_to(page, "Compare")
    return 1 + reloads


def test_the_deployment_template_is_valid_for_haproxy():
    """deploy/haproxy.cfg parses (``haproxy -c``); its servers are found by DNS at run time, so none is needed."""
    done = subprocess.run([clusters.find_haproxy() or "haproxy", "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_browser_stays_on_its_replica(cluster, new_context):
    assert cluster.balancer.server_states() == {"r1": "UP", "r2": "UP"}

    # a new browser: the balancer picks a replica and names it in the cookie; reloads and pages keep to it
    free = new_context()
    cluster.tag(free, "free")
    before = opened(cluster)
    page = free.new_page()
    loads = browse(page, cluster, reloads=2)
    home = cluster.replica_of(free)
    assert home in ("r1", "r2"), f"the balancer set no sticky cookie: {free.cookies()}"
    other = "r2" if home == "r1" else "r1"
    counts = grew(before, cluster)  # once the sessions settled
    servers, streams = served(cluster, "free")
    assert servers == {home}, f"requests of one browser went to {servers}"
    assert streams >= loads, f"{streams} websocket streams for {loads} page loads"
    assert counts == {home: streams, other: 0}, \
        f"the replicas' own counts of new sessions {counts} disagree with HAProxy's {streams} streams to {home}"

    # two browsers sent to different replicas by the cookie set before their first request
    for name in ("r1", "r2"):
        pinned = new_context()
        cluster.pin(pinned, name)
        cluster.tag(pinned, f"pinned-{name}")
        before = opened(cluster)
        loads = browse(pinned.new_page(), cluster)
        assert cluster.replica_of(pinned) == name
        counts = grew(before, cluster)
        servers, streams = served(cluster, f"pinned-{name}")
        assert servers == {name} and streams >= loads, (servers, streams)
        assert counts == {name: streams, ("r2" if name == "r1" else "r1"): 0}, (counts, streams)
    counts = {r.name: r.metrics()["active"] for r in cluster.replicas}
    assert counts["r1"] >= 1 and counts["r2"] >= 1, f"sessions open now by replica: {counts}"


def test_the_frontends_files_are_served_once_by_a_replica_then_from_the_balancers_cache(cluster, new_context):
    """Every new browser fetches Streamlit's frontend (about 140 files); HAProxy keeps them, so once one browser
    has fetched them the next gets every one without a replica's Python serving it (deploy/haproxy.cfg)."""
    for tag in ("files-first", "files-second"):
        browser = new_context()
        cluster.tag(browser, tag)
        open_app(browser.new_page(), cluster.url)
    second = [r for r in cluster.requests("files-second") if r["path"].startswith("/static/")]
    assert len(second) > 20, f"the second browser fetched {len(second)} frontend files"
    assert {r["server"] for r in second} == {CACHED}, \
        f"{sum(r['server'] != CACHED for r in second)} of {len(second)} files reached a replica"
    assert {r["status"] for r in second} == {"200"}
    page_loads = [r for r in cluster.requests("files-second") if r["path"] in ("/", "") or r["path"].startswith(STREAM)]
    assert page_loads and all(r["server"] != CACHED for r in page_loads), "the page and its websocket are the app's"


def stored(cluster, key: str):
    store = open_store(cluster.store_url, StoreSettings())
    try:
        return store.list_runs(key)
    finally:
        store.close()


def test_a_students_submission_on_one_replica_reaches_the_teachers_board_on_the_other(cluster, new_context):
    """A teacher on r2 makes a class; a student on r1 joins it, trains and submits; the teacher's board, served
    by r2, shows the submission; and the student's workspace link opened on r2 lists the run."""
    teacher = new_context(viewport={"width": 1024, "height": 768})
    cluster.pin(teacher, "r2")
    cluster.tag(teacher, "teacher")
    board = teacher.new_page()
    open_app(board, cluster.url)
    go_to(board, "Teacher")
    board.get_by_label("Class name").fill("Period 3")
    click(board, "Make the class")
    room = re.search(r"room code (\w{6})", board.get_by_text("Your class is ready: room code").inner_text())[1]

    trainer = new_context()
    cluster.pin(trainer, "r1")
    cluster.tag(trainer, "trainer")
    page = trainer.new_page()
    open_app(page, cluster.url)
    go_to(page, "Class")
    page.get_by_label("Room code").fill(room)
    page.get_by_label("Your display name").fill("Ada")
    click(page, "Join the class")
    page.get_by_text("you are Ada").wait_for(timeout=20_000)
    click(page, "Use the challenge's data and window")
    go_to(page, "Train")
    set_number(page, "Epochs", 3)
    set_number(page, "Hidden units", 8)
    page.get_by_test_id("stMain").get_by_role("button", name="Start", exact=True).click()
    wait_idle(page)
    assert wait_for(lambda: clusters.workspace_of(trainer) is not None, timeout=10), "the app set no workspace cookie"
    key = clusters.workspace_of(trainer)
    assert wait_for(lambda: [r.status for r in stored(cluster, key)] == ["finished"], timeout=60), \
        f"the run did not finish in the store: {[(r.status, r.epochs) for r in stored(cluster, key)]}"
    go_to(page, "Class")
    click(page, "Submit to class")
    try:  # scored on r1 (slow under load); the board refreshes by itself, on the other replica
        board.get_by_text("1 students submitted: Ada (#1)").wait_for(timeout=60_000)
    except PlaywrightTimeout:
        pytest.fail("the submission made on r1 did not reach the teacher's board on r2")
    assert served(cluster, "teacher")[0] == {"r2"}

    other_device = new_context()
    cluster.pin(other_device, "r2")
    cluster.tag(other_device, "viewer")
    before = opened(cluster)
    theirs = other_device.new_page()
    open_app(theirs, f"{cluster.url}/?workspace={key}")
    theirs.get_by_text("Opened the workspace of the link: 1 run(s)").wait_for(timeout=20_000)
    assert wait_for(lambda: clusters.workspace_of(other_device) == key, timeout=10), "r2 did not adopt the workspace"
    go_to(theirs, "Compare")
    try:
        theirs.get_by_test_id("stMultiSelect").filter(has_text="#1 GRU 8×2").first.wait_for(timeout=15_000)
    except PlaywrightTimeout:
        pytest.fail("the run trained on r1 is not listed on r2's Compare page")
    assert cluster.replica_of(trainer) == "r1" and cluster.replica_of(other_device) == "r2"
    counts = grew(before, cluster)
    viewer_servers, viewer_streams = served(cluster, "viewer")
    assert served(cluster, "trainer")[0] == {"r1"} and viewer_servers == {"r2"}
    assert counts == {"r1": 0, "r2": viewer_streams}, (counts, viewer_streams)
    (run,) = stored(cluster, key)
    assert (run.status, run.epochs) == ("finished", 3)
