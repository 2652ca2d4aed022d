"""A reload loses nothing, in a real browser: the file loaded is loaded again with no word about links, the run
trains on and the reloaded page shows it live and owns its controls, a second tab of the same browser shows it too,
and once every tab is closed the run stops after the grace period (rnncore/lab/shared.py)."""

from __future__ import annotations

import pytest

from rnncore.store import open_store
from tests.browser import go_to, open_app, start_server, wait_idle
from tests.test_browser import LONG_RUN, button, click, epochs_done, grows, upload_seasonal_csv, wait_for
from tests.test_browser_store import workspace_of

pytestmark = pytest.mark.browser
GRACE = 3  # seconds this server's workspaces train on once their last tab closed


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('reload')}/runs.sqlite3"


@pytest.fixture(scope="module")
def server(store_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("reload-server") / "server.log"
    running = start_server(env={"RNNLAB_STORE": store_url, "RNNLAB_MAX_EPOCHS": str(LONG_RUN),
                                "RNNLAB_GRACE_SECONDS": str(GRACE)}, log=log)
    yield running
    running.stop()


def statuses(store_url: str, key: str) -> list[str]:
    store = open_store(store_url)
    try:
        return [run.status for run in store.list_runs(key)]
    finally:
        store.close()


def upload_and_train(page, server, tmp_path) -> None:
    upload_seasonal_csv(page, server.url, tmp_path / "nile.csv")
    go_to(page, "Train")
    box = page.get_by_label("Epochs", exact=True)
    box.fill(str(LONG_RUN))
    box.press("Enter")
    page.wait_for_timeout(500)
    click(page, "Start")
    assert wait_for(lambda: epochs_done(page) > 0, timeout=60), "no epoch after Start"


def test_a_reload_keeps_the_file_and_the_run_and_a_second_tab_shows_it(server, store_url, new_context, tmp_path):
    context = new_context()
    page = context.new_page()
    upload_and_train(page, server, tmp_path)
    key = workspace_of(context)
    page.reload()
    open_app(page, page.url)
    main = page.get_by_test_id("stMain")
    assert wait_for(lambda: "Data: nile.csv" in main.inner_text(), timeout=20), main.inner_text()
    assert "This link asked for things" not in page.get_by_test_id("stSidebar").inner_text()
    assert wait_for(lambda: epochs_done(page) > 0, timeout=30), "the reloaded page shows no epoch of the run"
    before, after = grows(page)  # the run trained on through the reload, and this page shows it live
    assert after > before > 0, (before, after)
    assert statuses(store_url, key) == ["running"]

    other = context.new_page()  # a second tab of the same browser: the same workspace, the same run
    open_app(other, server.url)
    go_to(other, "Train")
    assert wait_for(lambda: epochs_done(other) > 0, timeout=30), "the second tab shows no epoch of the run"
    before, after = grows(other)
    assert after > before > 0, (before, after)

    click(page, "Stop")  # the reloaded page owns the run's controls
    page.get_by_text("Stopped ·").wait_for(timeout=20_000)
    assert wait_for(lambda: statuses(store_url, key) == ["stopped"], timeout=20)
    assert wait_for(button(page, "Start").is_enabled, timeout=20)
    wait_idle(page)  # the reruns Stop caused have drawn: Start stays where it is while it is clicked
    click(page, "Start")  # the file reloaded is the next run's data: Start trains on it
    if not wait_for(lambda: statuses(store_url, key)[-1:] == ["running"], timeout=60):  # what the page said, whole
        said = page.get_by_test_id("stMain").inner_text()
        pytest.fail(f"no run started: {statuses(store_url, key)}; the page: {said}")
    click(page, "Stop")
    context.close()


def test_closing_every_tab_stops_the_run_after_the_grace_period(server, store_url, new_context, tmp_path):
    context = new_context()
    page = context.new_page()
    upload_and_train(page, server, tmp_path)
    key = workspace_of(context)
    context.close()
    assert wait_for(lambda: statuses(store_url, key)[-1:] == ["stopped"], timeout=GRACE + 30), \
        statuses(store_url, key)
