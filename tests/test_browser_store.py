"""Runs that last, in a real browser against real servers on one SQLite store: a reload, a restart, a
server killed mid-run (SIGKILL), and an experiment link that never carries the workspace."""

from __future__ import annotations

import signal

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from rnncore.store import StoreSettings, open_store
from tests.browser import go_to, open_app, start_server, wait_idle
from tests.test_browser import click, epochs_done, set_number, start_long_run, wait_for

pytestmark = pytest.mark.browser
BEAT = 0.5  # the servers' heartbeat: a run that missed 3 beats (1.5 s) reads as interrupted
COOKIE = "rnnlab_workspace"


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path}/runs.sqlite3"


def serve(store_url: str, tmp_path, name: str):
    env = {"RNNLAB_STORE": store_url, "RNNLAB_STORE_HEARTBEAT_SECONDS": str(BEAT), "RNNLAB_MAX_EPOCHS": "100000"}
    return start_server(env=env, log=tmp_path / f"{name}.log")


def workspace_of(context, timeout: float = 15.0) -> str:
    """The workspace key the app set in this browser's cookie (its frame's script runs when the browser gets
    to it: a moment after the page, longer under load)."""
    def found():
        return [c["value"] for c in context.cookies() if c["name"] == COOKIE]

    assert wait_for(lambda: bool(found()), timeout=timeout), "the app set no workspace cookie"
    return found()[0]


def stored(store_url: str, key: str):
    store = open_store(store_url, StoreSettings(heartbeat_seconds=BEAT))
    try:
        return store.list_runs(key)
    finally:
        store.close()


def compare_lists(page, label: str, timeout: float = 15_000) -> bool:
    """Whether the Compare page's run picker offers ``label`` (waiting up to ``timeout`` ms for it)."""
    go_to(page, "Compare")
    try:
        page.get_by_test_id("stMultiSelect").filter(has_text=label).first.wait_for(timeout=timeout)
    except PlaywrightTimeout:
        return False
    return True


def a_finished_run(server, new_context, store_url: str):
    """A new browser that trained one run of 3 epochs on ``server`` to the end: (context, page, workspace key). The
    airline sample's own settings otherwise: a GRU of two layers (sample_data/samples.json)."""
    context = new_context()
    page = context.new_page()
    open_app(page, server.url)
    go_to(page, "Train")
    set_number(page, "Epochs", 3)
    set_number(page, "Hidden units", 8)
    click(page, "Start")
    key = workspace_of(context)
    assert wait_for(lambda: [r.status for r in stored(store_url, key)] == ["finished"], timeout=60)
    return context, page, key


def test_a_run_outlasts_a_reload_and_a_server_restart(store_url, tmp_path, new_context):
    first = serve(store_url, tmp_path, "first")
    try:
        _, page, key = a_finished_run(first, new_context, store_url)
        page.reload()  # a reload is a new session: the cookie brings the workspace back
        open_app(page, page.url)
        assert compare_lists(page, "#1 GRU 8×2"), "the run is not listed after a reload"
        wait_for(lambda: page.locator(".js-plotly-plot").count() > 0, timeout=20)
        page.screenshot(path=tmp_path / "compare_after_reload.png", full_page=True)
        assert page.locator(".js-plotly-plot").count() > 0, "no loss curve for the stored run"
    finally:
        first.stop()

    second = serve(store_url, tmp_path, "second")
    try:
        other_device = new_context()  # no cookie: the workspace link is the way in
        page = other_device.new_page()
        open_app(page, f"{second.url}/?workspace={key}")
        page.get_by_text("Opened the workspace of the link: 1 run(s)").wait_for(timeout=20_000)
        assert "workspace=" not in page.url, "the key stayed in the address bar"
        assert workspace_of(other_device) == key
        assert compare_lists(page, "#1 GRU 8×2"), "the run is not listed after a restart"
        go_to(page, "Evaluate")
        page.get_by_text("finished 3 epochs").first.wait_for(timeout=30_000)
        assert page.locator(".js-plotly-plot").count() >= 3, "Evaluate drew no charts for the stored run"
    finally:
        second.stop()


def test_a_killed_server_leaves_an_interrupted_run_that_continues(store_url, tmp_path, new_context):
    doomed = serve(store_url, tmp_path, "doomed")
    context = new_context()
    page = context.new_page()
    try:
        open_app(page, doomed.url)
        start_long_run(page)
        key = workspace_of(context)
        assert wait_for(lambda: epochs_done(page) >= 3, timeout=60), "training did not get going"
        # the store holds what the page showed a moment later (its writer flushes once a second)
        assert wait_for(lambda: stored(store_url, key)[0].has_model and stored(store_url, key)[0].epochs >= 3,
                        timeout=60), "no checkpoint of the weights, or fewer than 3 epochs stored"
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(timeout=10)
    finally:
        doomed.stop()
    (run,) = stored(store_url, key)
    done = run.epochs
    assert done >= 3

    revived = serve(store_url, tmp_path, "revived")
    try:
        assert wait_for(lambda: stored(store_url, key)[0].status == "interrupted", timeout=10)
        open_app(page, revived.url)  # the same browser: its cookie
        go_to(page, "Evaluate")
        page.get_by_text("interrupted: the server stopped while this run trained").first.wait_for(timeout=30_000)
        page.screenshot(path=tmp_path / "evaluate_interrupted.png", full_page=True)
        click(page, "Continue training")
        page.get_by_role("heading", name="Train").wait_for(timeout=30_000)
        assert wait_for(lambda: epochs_done(page) > done, timeout=60), "the continued run did not go on"
        click(page, "Stop")
        runs = stored(store_url, key)
        assert [r.number for r in runs] == [1, 2] and runs[1].epochs > done
    finally:
        revived.stop()


def test_a_shared_experiment_link_never_opens_the_sharers_workspace(store_url, tmp_path, new_context):
    server = serve(store_url, tmp_path, "shared")
    try:
        _, page, key = a_finished_run(server, new_context, store_url)
        wait_idle(page)
        link = page.url  # what a student copies from the address bar to share the experiment
        assert key not in link and "workspace" not in link and "hidden_size=8" in link

        friend = new_context()
        theirs = friend.new_page()
        open_app(theirs, link)
        assert workspace_of(friend) != key
        go_to(theirs, "Compare")
        assert not compare_lists(theirs, "#1", timeout=3_000), "the shared link opened the sharer's runs"
        theirs.get_by_text("No runs yet").first.wait_for(timeout=10_000)
        assert stored(store_url, workspace_of(friend)) == []
    finally:
        server.stop()
