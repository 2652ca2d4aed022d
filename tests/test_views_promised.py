"""Every view a page promises is there: what Inside, Evaluate and Compare show is read from each run's
own record, in the store, so it is there for every run of a series, right after training and after a reload."""

from __future__ import annotations

import pytest

from rnncore.data.sources import load_source
from rnncore.store import open_store
from tests.apptest import session_lab, stop_everything, texts
from tests.test_app_workspace import QUICK, open_app


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def test_the_forecast_beyond_the_data_is_there_right_after_training():
    at = open_app({"workspace": open_store().create_workspace()})
    lab = session_lab()
    lab.start(QUICK)
    assert lab.join(timeout=120)
    at.switch_page("views/evaluate.py")
    at.run()
    assert not at.exception and "Forecast beyond the data" in texts(at)


def test_every_run_of_a_series_keeps_its_gradient_through_time_and_inside_reads_it_from_the_store():
    """After "RNN vs LSTM vs GRU" Inside showed the gradient through time for the last run only, and after a
    reload for none: each run keeps its last measured one with it, in the store."""
    from rnncore.lab.scenarios import scenario

    key = open_store().create_workspace()
    at = open_app({"workspace": key})
    lab = session_lab()
    configs = [c.replace(train={"epochs": 3}, data={"params": {"steps": 20, "samples": 300}})
               for c in scenario("memory").configs]
    lab.start_series(configs, dataset=load_source(configs[0].data.source, configs[0].data.params))
    assert lab.join(timeout=180)
    numbers = [r.id for r in lab.runs]
    assert len(numbers) == 3
    for reloaded in (False, True):
        if reloaded:
            at = open_app({"workspace": key})  # a reload after the server forgot the Lab: read from the store
        at.switch_page("views/inside.py")
        at.run()
        for number in numbers:
            at.selectbox(key="w.inside.run").set_value(number).run()
            said = texts(at)
            assert "Measured at epoch 3" in said and "measured after the first epoch" not in said, (number, reloaded)


@pytest.mark.parametrize(("page", "instead"), [("compare", "No runs yet"), ("evaluate", "No finished run yet"),
                                               ("inside", "Train a model first")])
def test_a_workspace_of_text_and_label_runs_shows_them_as_it_shows_forecasts(page, instead, capsys):
    """Compare said "No runs yet" above a (collapsed) section listing a classification run; the run is now one
    of the page's own."""
    import os

    from rnncore.__main__ import main
    from tests.test_task_store import CLASSIFY

    key = open_store().create_workspace()
    assert main([*CLASSIFY, "--epochs", "1", "--store", os.environ["RNNLAB_STORE"], "--workspace", key]) == 0
    at = open_app({"workspace": key})
    at.switch_page(f"views/{page}.py")
    at.run()
    said = texts(at)
    assert not at.exception and instead not in said, said
    picker = {"compare": "w.compare.runs", "evaluate": "w.evaluate.run", "inside": "w.inside.run"}[page]
    chosen = at.multiselect(key=picker).value if page == "compare" else [at.selectbox(key=picker).value]
    assert len(chosen) == 1, chosen


def test_compare_preselects_runs_on_the_same_data_and_says_when_a_chosen_one_is_not(monkeypatch):
    """It pre-selected the airline run beside two sine runs, switched to data units and showed "None"."""
    from tests.apptest import follow_language

    follow_language(monkeypatch)
    key = open_store().create_workspace()
    at = open_app({"workspace": key})
    lab = session_lab()
    lab.start(QUICK)
    assert lab.join(timeout=120)
    sine = QUICK.replace(data={"source": "synthetic:sine", "params": {"length": 300}})
    lab.load(sine.data.source, sine.data.params)
    for _ in range(2):
        lab.start(sine)
        assert lab.join(timeout=120)
    at.switch_page("views/compare.py")
    at.run()
    picked = at.multiselect(key="w.compare.runs")
    assert [label.split()[0] for label in picked.value] == ["#2", "#3"]  # the sine runs, not the airline one
    said = texts(at)
    assert "On other data" not in said and "None" not in said.split()
    first = next(option for option in picked.options if option.startswith("#1 "))
    picked.set_value([*picked.value, first]).run()
    assert "On other data than the first run chosen: #1" in texts(at)
