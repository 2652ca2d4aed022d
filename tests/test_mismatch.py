"""A run is drawn from its own data, whatever the person changes meanwhile.

Each test starts a run, changes what the *next* run will use (the data, the window, the target,
the scaling, the language), and checks that every page still draws the running run, from that
run's own data, without an exception.
"""

import base64
import json

import numpy as np
import pytest

from rnncore.data.samples import with_defaults
from rnncore.viz.plots import downsample
from tests.apptest import choose_sample, follow_language, new_app, run_until, session_lab, stop_everything, texts

PAGES = ["views/train.py", "views/inside.py", "views/data.py", "views/evaluate.py", "views/compare.py"]


@pytest.fixture
def app():
    at = new_app()
    yield at
    stop_everything()


def values(encoded) -> np.ndarray:
    if isinstance(encoded, dict):  # plotly sends numpy arrays as {"dtype": ..., "bdata": base64}
        return np.frombuffer(base64.b64decode(encoded["bdata"]), dtype=encoded["dtype"])
    return np.asarray(encoded)


def prediction_chart(at):
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["data"] and spec["data"][0].get("name") in ("truth", "真实值"):
            return spec
    return None


def start_long_run(at, source: str, **config) -> object:
    lab = session_lab()
    lab.load(source)
    lab.config = with_defaults(lab.config, {}).replace(model={"hidden_size": 4}, train={"epochs": 1000}, **config)
    run = lab.start()
    at.switch_page("views/train.py")
    run_until(at, lambda a: prediction_chart(a) is not None, timeout=60, every=0.2)
    return run


def every_page_draws_the_run(at, run) -> None:
    truth = run.windows.target_values
    for page in PAGES:
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception])
    at.switch_page("views/train.py")
    at.run()
    chart = prediction_chart(at)
    assert chart is not None, "the Train page no longer draws the running run"
    shown = values(chart["data"][0]["y"])
    np.testing.assert_allclose(shown, truth[downsample(len(truth))])  # the run's own series


def test_loading_other_data_during_a_run_does_not_crash_the_train_page(app):
    """The crash: train on CO2, load the stocks sample on Data, back to Train -> IndexError in the panel."""
    run = start_long_run(app, "sample:co2")
    choose_sample(app, "stocks")
    assert not app.exception
    assert "The run going trains on CO₂ at Mauna Loa (weekly)" in texts(app)
    every_page_draws_the_run(app, run)
    assert "The run going trains on CO₂ at Mauna Loa (weekly)" in texts(app)  # the Train page says so too


def test_changing_window_target_and_scaling_during_a_run_changes_only_the_next_run(app):
    run = start_long_run(app, "sample:stocks", data={"target": "AAPL"})
    app.switch_page("views/data.py")
    app.run()
    app.selectbox(key="w.target").set_value("MSFT")
    app.number_input(key="w.lookback").set_value(5)
    app.number_input(key="w.horizon").set_value(3)
    app.selectbox(key="w.scaler").set_value("minmax")
    app.run()
    assert not app.exception
    lab = session_lab()
    assert lab.config.data.target == "MSFT" and lab.config.window.lookback == 5
    assert run.config.data.target == "AAPL" and run.windows.lookback == 24 and run.windows.horizon == 1
    every_page_draws_the_run(app, run)


def test_switching_the_language_during_a_run_redraws_the_same_run(app, monkeypatch):
    follow_language(monkeypatch)
    run = start_long_run(app, "sample:airline_passengers")
    app.sidebar.selectbox(key="w.lang").set_value("zh")
    app.run()
    assert not app.exception
    every_page_draws_the_run(app, run)
    assert "损失" in json.dumps([json.loads(c.proto.spec)["layout"]["title"] for c in app.get("plotly_chart")],
                              ensure_ascii=False)


def test_the_second_run_of_a_series_is_drawn_from_its_own_windows(app):
    lab = session_lab()
    lab.slots = None
    lab.load("sample:airline_passengers")
    base = with_defaults(lab.config, {}).replace(model={"hidden_size": 4}, train={"epochs": 3})
    first, second = lab.start_series([base.replace(window={"lookback": 6}), base.replace(window={"lookback": 30},
                                                                                         train={"epochs": 1000})])
    first.join(timeout=60)
    app.switch_page("views/train.py")
    run_until(app, lambda a: lab.current is second and prediction_chart(a) is not None, timeout=60, every=0.2)
    assert lab.current is second
    every_page_draws_the_run(app, second)
