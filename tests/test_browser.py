"""The dashboard in a real browser: upload, live training controls, sessions kept apart, cleanup on close."""

import math
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import go_to, open_app, plot_points, progress_text, server, set_number, wait_idle

__all__ = ["server"]  # the module-scoped fixture, imported so pytest finds it

pytestmark = pytest.mark.browser
LONG_RUN = 100_000  # epochs (the test server allows it): far more than any test waits for


def epochs_done(page) -> int:
    """N of the progress text "Epoch N of M · ..." (the loss chart is downsampled past 1,000 points)."""
    match = re.search(r"Epoch (\d+) of", progress_text(page))
    return int(match[1]) if match else -1


def grows(page, timeout: float = 30.0) -> tuple[int, int]:
    """Epochs done now, and then once the page shows more (at most ``timeout`` s later), as the page shows them."""
    before = epochs_done(page)
    wait_for(lambda: epochs_done(page) > before, timeout=timeout)
    return before, epochs_done(page)


def holds(page, seconds: float = 3.0) -> tuple[int, int]:
    """Epochs done now and ``seconds`` later (for what must not change), as the page shows them."""
    before = epochs_done(page)
    page.wait_for_timeout(seconds * 1000)
    return before, epochs_done(page)


def wait_for(condition, timeout: float = 20.0, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def button(page, name: str):
    """A button of the page itself (the header's own "Stop" shows while a script runs)."""
    return page.get_by_test_id("stMain").get_by_role("button", name=name, exact=True)


def click(page, name: str) -> None:
    button(page, name).click()
    wait_idle(page)


def noisy_seasonal_csv(path, rows: int = 150) -> None:
    lines = ["date,value"]
    for i in range(rows):
        value = 100 + 0.5 * i + 20 * math.sin(2 * math.pi * i / 12) + 3 * math.sin(7.3 * i)
        lines.append(f"{2000 + i // 12}-{i % 12 + 1:02d}-01,{value:.3f}")
    path.write_text("\n".join(lines) + "\n")


def start_long_run(page) -> None:
    go_to(page, "Train")
    set_number(page, "Epochs", LONG_RUN)
    set_number(page, "Early-stopping patience", 0)  # a sample's recommended early stopping would end it
    click(page, "Start")
    assert wait_for(lambda: plot_points(page) > 0, timeout=60), "no loss point appeared after Start"


def upload_seasonal_csv(page, url: str, path) -> None:
    """Open the app at ``url`` and load a noisy seasonal CSV written to ``path`` on the Data page."""
    noisy_seasonal_csv(path)
    open_app(page, url)
    go_to(page, "Data")
    page.get_by_role("tab", name="Upload a CSV").click()
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(path)
    page.get_by_role("heading", level=2).filter(has_text=path.stem).wait_for(timeout=30_000)


def test_upload_then_start_pause_resume_stop(server, page, tmp_path):
    upload_seasonal_csv(page, server.url, tmp_path / "seasonal_upload.csv")

    start_long_run(page)
    assert page.get_by_test_id("stMain").get_by_text("Data: seasonal_upload.csv, 150 rows").is_visible()
    before, after = grows(page)
    assert after > before > 0, f"the progress did not move while training (epoch {before} -> {after})"
    page.screenshot(path=tmp_path / "train_running.png", full_page=True)

    pause = button(page, "Pause")
    assert wait_for(pause.is_enabled, timeout=10), "Pause stays disabled while the run is going"
    click(page, "Pause")
    button(page, "Resume").wait_for(timeout=20_000)
    page.get_by_text("Paused ·").wait_for(timeout=10_000)
    points = plot_points(page)
    before, after = holds(page)
    assert after == before > 0, f"training went on while paused (epoch {before} -> {after})"
    assert plot_points(page) == points > 0, "the loss chart changed while paused"
    assert f"of {LONG_RUN}" in progress_text(page)

    click(page, "Resume")
    button(page, "Pause").wait_for(timeout=20_000)
    before, after = grows(page)
    assert after > before, f"training did not go on after Resume (epoch {before} -> {after})"

    click(page, "Stop")
    page.get_by_text("Stopped ·").wait_for(timeout=20_000)
    expect(button(page, "Start")).to_be_enabled(timeout=10_000)
    expect(button(page, "Stop")).to_be_disabled(timeout=10_000)


def test_two_sessions_stay_apart(server, new_context):
    a, b = new_context().new_page(), new_context().new_page()
    open_app(a, server.url)
    open_app(b, server.url)
    go_to(a, "Data")
    go_to(b, "Data")
    a.get_by_test_id("stSelectbox").filter(has_text="Data set").click()
    a.get_by_role("option", name="Sunspots (yearly)").click()
    wait_idle(a)
    click(a, "Use this data set")
    a.get_by_role("heading", name="Sunspots (yearly)", exact=True).wait_for(timeout=20_000)

    start_long_run(a)
    go_to(b, "Train")  # B's own Lab: no training, and still the airline data
    assert b.get_by_text("Press Start to train").is_visible()
    assert plot_points(b) == -1
    assert button(b, "Start").is_enabled()
    assert b.get_by_test_id("stMain").get_by_text("Data: Airline passengers (monthly)").is_visible()
    go_to(b, "Data")
    assert b.get_by_role("heading", level=2).first.inner_text().strip() == "Airline passengers (monthly)"
    click(a, "Stop")


def test_closing_the_tab_stops_its_training(server, new_context):
    """Once its last tab is closed a workspace's training stops, after the grace period (2 s on this server).
    Read from the trainer threads themselves (not the server's CPU use, which other tests running at the
    same time on the machine's cores can push either way): one trains while the tab is open, none after."""
    assert wait_for(lambda: not server.training_threads(), timeout=15), "the server trains before the test"
    context = new_context()
    page = context.new_page()
    open_app(page, server.url)
    start_long_run(page)
    assert wait_for(lambda: sum(server.training_threads().values()) > 0.5, timeout=30), \
        f"no thread of the server trains after Start: {server.training_threads()}"
    context.close()
    assert wait_for(lambda: not server.training_threads(), timeout=15), \
        f"the server kept training after its tab closed: {server.training_threads()}"


def test_a_shared_link_opened_first_on_a_fresh_server_restores_everything(page, tmp_path):
    """The first visitor of a new server arrives by a link to a page (Streamlit's old pages/ routing bit here)."""
    from rnncore.config import ExperimentConfig
    from tests.browser import start_server

    fresh = start_server(log=tmp_path / "server.log")
    try:
        query = ExperimentConfig().replace(data={"source": "sample:sunspots"}, model={"cell": "gru"},
                                           train={"epochs": 7}).to_query()
        link = f"{fresh.url}/train?" + "&".join(f"{k}={v}" for k, v in {**query, "lang": "zh"}.items())
        open_app(page, link)
        nav = page.get_by_test_id("stSidebarNav").get_by_role("link")
        views = (Path(__file__).resolve().parents[1] / "views").glob("*.py")
        ours = len([v for v in views if v.stem != "tasks"])  # a link per page (tasks.py: a former address, hidden)
        assert nav.count() == ours and any(text.endswith("训练") for text in nav.all_inner_texts())  # in Chinese
        assert page.get_by_role("heading", level=1).first.inner_text().strip() == "训练"
        assert page.get_by_test_id("stMain").get_by_text("太阳黑子数（年度）").first.is_visible()  # its name in Chinese
        assert "cell=gru" in page.url  # the URL keeps following the experiment
    finally:
        fresh.stop()
