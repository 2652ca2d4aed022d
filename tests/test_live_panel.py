"""The Train page's live panel: what it redraws while a run goes on, and what it shows once it ends."""

import base64
import gc
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import streamlit as st

from rnncore.lab import Lab
from tests.apptest import new_app, run_until, start_training, stop_everything, texts
from ui import state

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app():
    at = new_app()
    yield at
    stop_everything()


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr(st, "session_state", {})
    ticking = Clock()
    monkeypatch.setattr(state.time, "monotonic", ticking)
    return ticking


def test_held_keeps_a_value_for_its_seconds_then_takes_the_newest(clock):
    assert state.held("x", "run1", "a", every=3.0) == "a"
    clock.now += 2.9
    assert state.held("x", "run1", "b", every=3.0) == "a"
    clock.now += 0.2
    assert state.held("x", "run1", "c", every=3.0) == "c"
    assert state.held("x", "run1", "d", every=0.0) == "d"  # every=0: always the newest


def test_held_never_holds_none_nor_another_owners_value(clock):
    assert state.held("x", "run1", None, every=3.0) is None
    assert state.held("x", "run1", "a", every=3.0) == "a"  # the first real value comes at once
    assert state.held("x", "run2", "b", every=3.0) == "b"  # a new run: its own value at once
    assert state.held("y", "run2", "c", every=3.0) == "c"  # names are separate


def test_streamlit_does_not_collect_garbage_after_every_run():
    """Streamlit's default gc.collect() after each (fragment) run held the GIL ~0.2 s a second while
    the Train page refreshed, and the dashboard trained at 0.39 of the command line's speed."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def session_lab() -> Lab:
    labs = [o for o in gc.get_objects() if type(o) is Lab and o.current is not None]
    assert len(labs) == 1
    return labs[0]


def loss_points(at) -> int:
    x = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["x"]
    if isinstance(x, dict):  # plotly sends numpy arrays as {"dtype": "f4", "bdata": base64}
        return len(np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]))
    return len(x)


def test_while_running_the_details_are_held_and_once_ended_the_last_weights_show(app, monkeypatch):
    monkeypatch.setattr(state, "DETAIL_SECONDS", 1000.0)  # so the test does not depend on timing
    start_training(app, epochs=1000, hidden_size=4)
    run_until(app, lambda at: len(at.dataframe) and loss_points(at) >= 2, timeout=60, every=0.1)
    lab = session_lab()
    held_metrics, points = app.dataframe[0].value, loss_points(app)
    run_until(app, lambda at: loss_points(at) > points, timeout=60, every=0.1)
    assert lab.status() == "running", "the run ended too soon for this test: give it more epochs"
    assert loss_points(app) > points  # the loss chart follows every refresh
    assert app.dataframe[0].value.equals(held_metrics)  # the details wait for their turn

    next(b for b in app.button if b.label == "Stop").click()
    app.run()
    run_until(app, lambda at: "stopped" in texts(at).lower(), timeout=60)
    shown = app.dataframe[0].value
    run = lab.current
    latest = run.metrics(run.frame())["model"]
    model_row = shown[shown.iloc[:, 0] == "model"].iloc[0]
    assert model_row["RMSE"] == pytest.approx(latest["rmse"])
    assert not shown.equals(held_metrics)
    assert f"After epoch {run.frame().epoch}," in texts(app)  # the table says which weights it shows


def _status_line_of(status: str, reason: str) -> None:
    from rnncore.training.progress import Progress, Status
    from ui.training_panel import status_line

    status_line(Progress(status=Status(status), reason=reason, epochs=30))


@pytest.mark.parametrize(("reason", "says_all_in_use"), [("queued", True), ("starting", False)])
def test_the_slots_banner_shows_only_while_a_run_waits_for_a_slot(reason, says_all_in_use):
    """A run starting (its C++ loops still building on a fresh server, say) is queued too, but no slot is busy."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_status_line_of, args=("queued", reason)).run()
    assert not at.exception
    shown = [box.value for box in at.info]
    assert (any("in use" in text for text in shown)) is says_all_in_use, shown
