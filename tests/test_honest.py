"""Honest results and no surprises: each defect a teacher or a student ran into, checked."""

import io
import json
import threading
import time

import numpy as np
import pandas as pd
import pytest

from rnncore.data import load_csv
from rnncore.data.layouts import unstack, wide_layout
from rnncore.data.samples import with_defaults
from rnncore.lab import Lab
from rnncore.lab.scenarios import scenario
from tests.apptest import new_app, run_until, session_lab, shown, stop_everything, texts


@pytest.fixture
def app():
    at = new_app()
    yield at
    stop_everything()


def tiny(config, epochs=3):
    """A tiny model of the declared defaults (not a sample's recommended settings)."""
    return with_defaults(config, {}).replace(model={"hidden_size": 4}, train={"epochs": epochs})


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def spec(chart) -> dict:
    return json.loads(chart.proto.spec)


# 1. Compare follows a series


def test_compare_follows_a_series_as_its_runs_arrive(app):
    lab = session_lab()
    lab.slots = threading.BoundedSemaphore(1)  # one at a time, so some are still waiting
    lab.load("sample:airline_passengers")
    base = tiny(lab.config, epochs=40)
    lab.start_series([base.replace(model={"cell": cell}) for cell in ("rnn", "gru", "lstm")])
    app.switch_page("views/compare.py")
    app.run()
    assert not app.exception
    picked = app.multiselect(key="w.compare.runs").value
    assert len(picked) == 3 and any("RNN" in p for p in picked)  # every run of the series, from the start
    assert "Training now: #1 RNN 4×1" in texts(app)
    lab.join(timeout=120)
    app.run()
    assert len(app.multiselect(key="w.compare.runs").value) == 3
    differs = app.dataframe[1].value
    assert "Cell" in differs.index and "Training now" not in texts(app)  # what differs: the cell, by its label


# 2. Opening a page never changes a setting


def test_a_scenarios_settings_survive_every_page(app):
    lab = session_lab()
    config = scenario("exploding").configs[0]  # SGD, lr 0.3, no clipping: the slider has no 0.3
    lab.load(config.data.source, config.data.params)
    lab.config = config
    for page in ("train", "data", "inside", "evaluate", "compare", "learn", "train"):
        app.switch_page(f"views/{page}.py")
        app.run()
        assert not app.exception, page
    assert lab.config == config


# 3. The weights a metric comes from


def test_a_run_without_early_stopping_keeps_and_scores_its_last_weights():
    lab = Lab()
    lab.load("sample:sunspots")
    base = lab.config.replace(model={"hidden_size": 16}, train={"epochs": 25, "lr": 0.01, "patience": 0})
    runs = lab.start_series([base, base.replace(train={"patience": 5}), base.replace(train={"keep": "best"})])
    lab.join(timeout=120)
    last, early, best = (run.record for run in runs)
    assert last.kept_epoch == len(last.history) == 25  # no early stopping: the last weights
    assert early.kept_epoch == min(early.history, key=lambda r: r.val_loss).epoch  # early stopping: the best
    assert best.kept_epoch == min(best.history, key=lambda r: r.val_loss).epoch  # chosen: the best
    if last.kept_epoch != best.kept_epoch:
        assert last.metrics["test"]["rmse"] != best.metrics["test"]["rmse"]
    assert f"weights of epoch {last.kept_epoch} are kept" in last.message


def test_evaluate_says_whose_weights_the_metrics_are(app):
    lab = session_lab()
    lab.load("sample:airline_passengers")
    lab.start(tiny(lab.config)).join(timeout=60)
    app.switch_page("views/evaluate.py")
    app.run()
    assert "metrics of the weights of epoch 3 (last epoch)" in texts(app)


# 5. Dates at their own resolution, 11. the Data page


def quarterly_csv() -> bytes:
    rows = [f"{1970 + i // 4} Q{i % 4 + 1},{100 + i + 5 * np.sin(i):.2f},{1000 * i}" for i in range(80)]
    return ("quarter,gdp,big\n" + "\n".join(rows)).encode()


def test_the_data_page_after_an_upload(app):
    """Dates at their resolution; the inputs not empty; the sidebar names the new data at once; one panel
    per column (the big column does not squash the target)."""
    app.switch_page("views/data.py")
    app.run()
    app.file_uploader(key="w.upload").set_value(("gdp.csv", quarterly_csv(), "text/csv"))
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert str(table.index[0]) == "1970 Q1"
    assert app.multiselect(key="w.features").value == ["gdp"]
    assert "Data: gdp.csv (80 rows)" in " ".join(c.value for c in app.sidebar.caption).replace("\\", "")
    series = spec(app.get("plotly_chart")[0])
    assert [t["yaxis"] for t in series["data"]] == ["y", "y2"] and series["layout"]["xaxis"]["hoverformat"] == "%Y Q%q"


def test_a_memory_task_is_named_by_its_sequences(app):
    lab = session_lab()
    lab.load("synthetic:adding", {"steps": 50, "samples": 3000})
    app.run()
    said = " ".join(c.value for c in app.sidebar.caption).replace("\\", "")
    assert "adding problem (memory task) (3,000 sequences of 50 steps)" in said


def test_a_lookback_carried_over_from_the_data_before_is_said(app):
    lab = session_lab()
    lab.config = lab.config.replace(window={"lookback": 52})  # the person's own: it goes with them
    app.switch_page("views/data.py")
    app.run()
    app.button(key="b.generate").click()  # other data than a sample, which brings its own recommended settings
    app.run()
    assert "Lookback 52 and horizon 1 come from the data loaded before" in texts(app)


# 6. Trending series, 7. metrics that mislead


def trending_csv() -> bytes:
    t = np.arange(200)
    rows = [f"{2000 + i // 12}-{i % 12 + 1:02d},{1000 + 25 * i + 30 * np.sin(i / 2):.1f}" for i in t]
    return ("month,level\n" + "\n".join(rows)).encode()


def test_a_test_part_above_the_training_range_is_warned_of_and_differencing_offered(app):
    app.switch_page("views/data.py")
    app.run()
    app.file_uploader(key="w.upload").set_value(("level.csv", trending_csv(), "text/csv"))
    app.run()
    assert "rises above anything the training part saw" in texts(app)
    app.selectbox(key="w.difference").set_value("first")
    app.run()
    assert not app.exception and "rises above" not in texts(app)
    assert session_lab().config.window.difference == "first"


def test_evaluate_hides_mape_near_zero_and_says_what_a_negative_r2_means(app):
    lab = session_lab()
    lab.load("synthetic:sine", {"length": 400})
    lab.start(tiny(lab.config, epochs=1).replace(window={"lookback": 12})).join(timeout=60)
    app.switch_page("views/evaluate.py")
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert "MAPE %" not in table.columns and "MAPE is not shown" in texts(app)  # hidden for every row
    assert "always the mean" in table.index and "MASE" in table.columns
    if (table["R²"] < 0).any():
        assert "An R² in red is below 0: worse than always predicting the mean" in texts(app)


def test_a_run_without_a_validation_part_opens_on_every_page(app):
    app.switch_page("views/data.py")
    app.run()
    app.slider(key="w.val_fraction").set_value(0.0)  # the slider allows it: training watches the training loss
    app.run()
    lab = session_lab()
    lab.start(tiny(lab.config, epochs=2)).join(timeout=60)
    for page in ("views/train.py", "views/inside.py", "views/evaluate.py", "views/compare.py"):
        app.switch_page(page)
        app.run()
        assert not app.exception, (page, [e.message for e in app.exception])
        assert not app.error, (page, [e.value for e in app.error])
        if page == "views/evaluate.py":
            assert app.radio(key="w.evaluate.split").options == ["test"]  # no empty part to choose
            assert app.dataframe[0].value.loc["model", "RMSE"] > 0
    assert "there is no validation part" in lab.runs[-1].message


def test_an_r2_below_zero_is_shown_red():
    from ui.evaluate import WORSE_THAN_THE_MEAN, Evaluated, metrics_table

    metrics = {"test": {"rmse": 1.0, "mae": 1.0, "mape": None, "r2": -0.5, "mase": 1.2}}
    mean = {"test": {"rmse": 0.9, "mae": 0.8, "mape": None, "r2": 0.0, "mase": 1.0}}
    styled = metrics_table(Evaluated(None, metrics, {"mean": mean}, {}, {}, None), "test")
    html = styled.to_html()
    assert WORSE_THAN_THE_MEAN.split(";")[0] in html and "MAPE" not in html and "-0.5" in html


# 8. Wide tables


def el_nino_csv(years: int = 25) -> bytes:
    months = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec".split(",")
    rows = [",".join([str(1990 + y)] + [f"{np.sin(y + m / 12):.3f}" for m in range(12)]) for y in range(years)]
    rows[-1] = ",".join(rows[-1].split(",")[:7] + [""] * 6)  # this year: the months to come are empty
    return ("Year," + ",".join(months) + "\n" + "\n".join(rows)).encode()


def test_a_year_by_month_table_is_recognised_and_unstacked_into_one_series():
    table = load_csv(el_nino_csv())
    assert wide_layout(table) == "months"
    series = unstack(table)
    assert list(series.frame.columns) == ["value"] and len(series.frame) == 24 * 12 + 6
    assert series.frame.index[0] == pd.Timestamp("1990-01-01") and series.period == 12
    assert series.freq == "MS" and series.notes[-1].key == "unstacked_months"
    np.testing.assert_allclose(series.frame["value"].iloc[13], np.sin(1 + 1 / 12), atol=1e-3)
    assert wide_layout(load_csv(b"t,v\n" + b"\n".join(f"{i},{i % 5}".encode() for i in range(30)))) is None


def test_the_data_page_offers_to_unstack_and_says_the_windows_are_few(app):
    session_lab().config = session_lab().config.replace(window={"lookback": 6})
    app.switch_page("views/data.py")
    app.run()
    app.file_uploader(key="w.upload").set_value(("nino.csv", el_nino_csv(), "text/csv"))
    app.run()
    said = texts(app)
    assert "one row a year and one column a month" in said and "training windows: little to learn" in said
    next(b for b in app.button if b.key == "b.unstack").click()
    app.run()
    assert not app.exception
    lab = session_lab()
    assert len(lab.dataset.frame) == 294 and lab.config.data.layout == "unstack"
    assert "little to learn" not in texts(app)


# 9. A diverged run on Compare, runs trained on differently scaled data


def test_compare_shows_a_diverged_runs_curve_up_to_the_divergence_and_why(app):
    lab = session_lab()
    config = scenario("exploding").configs[0].replace(train={"epochs": 2})
    lab.load(config.data.source, config.data.params)
    lab.start(config).join(timeout=60)
    assert lab.runs[-1].status == "diverged"
    app.switch_page("views/compare.py")
    app.run()
    figure = spec(app.get("plotly_chart")[0])
    diverged = [t for t in figure["data"] if "diverged" in t.get("name", "")]
    assert diverged and len(diverged[0]["x"]["bdata"] if isinstance(diverged[0]["x"], dict) else diverged[0]["x"])
    assert "training diverged in epoch 1" in texts(app)
    assert "None" not in texts(app)  # the loss became NaN or inf, said as such (read back from the store)


def test_runs_trained_on_differently_scaled_data_compare_in_the_datas_units(app):
    lab = session_lab()
    lab.load("sample:airline_passengers")
    base = tiny(lab.config, epochs=2)
    lab.start_series([base.replace(window={"scaler": "none"}), base.replace(window={"scaler": "minmax"})])
    lab.join(timeout=60)
    app.switch_page("views/compare.py")
    app.run()
    figure = spec(app.get("plotly_chart")[0])
    assert figure["layout"]["yaxis"]["title"]["text"] == "error in the data's units"
    assert "each run's error in the data's units" in texts(app)


# 10. A run imported without its data


def upload_and_train(lab, content: bytes) -> bytes:
    from rnncore.io.bundle import export_run

    lab.load("level.csv", content=content)
    run = lab.start(tiny(lab.config, epochs=2).replace(window={"lookback": 12}))
    run.join(timeout=60)
    return export_run(run.record.result, run.record.history)


def test_a_run_imported_without_its_data_opens_as_far_as_it_can(app):
    data = upload_and_train(Lab(), trending_csv())
    lab = session_lab()
    record = lab.import_run(data)
    assert record.result is None and record.data["rows"] == 200 and len(record.data["sha256"]) == 64
    app.switch_page("views/evaluate.py")
    app.run()
    assert not app.exception
    said = texts(app)
    assert "trained on the file level.csv (200 rows; fingerprint " + record.data["sha256"][:12] in said
    assert len(app.dataframe) == 1 and len(app.get("plotly_chart")) >= 2  # metrics, bars, predictions, residuals
    assert next(b for b in app.button if b.key == "b.continue").disabled
    lab.load("level.csv", content=trending_csv())
    again = lab.import_run(data)  # now the same file is loaded: evaluated again in full
    assert again.result is not None


# 12. Plain names


def test_messages_tables_and_legends_use_the_widgets_names(app):
    from tests.apptest import start_training

    lab = session_lab()
    lab.limits = lab.limits.__class__(max_epochs=10)
    start_training(app, epochs=20, hidden_size=4)
    said = texts(app)
    assert "Epochs is 20, above this server's limit" in said and "epochs is 20" not in said
    lab.limits = None
    lab.start(tiny(lab.config, epochs=1)).join(timeout=60)
    app.switch_page("views/inside.py")
    app.run()
    legends = {t.get("name") for c in app.get("plotly_chart") for t in spec(c)["data"]}
    assert "input weights, layer 1 (weight_ih_l0)" in legends and "weight_ih_l0" not in legends


# 14. A click shows at once


def test_pause_shows_as_resume_before_the_epoch_ends():
    lab = Lab()
    lab.load("sample:co2")
    run = lab.start(lab.config.replace(model={"hidden_size": 64, "num_layers": 2}, train={"epochs": 50}))
    wait_for(lambda: run.status == "running")
    lab.pause()
    controls = lab.controls()
    assert controls.resume and not controls.pause and run.status == "running"  # Resume at once, still in the epoch
    lab.stop()
    run.join(timeout=30)


def test_the_live_metrics_say_how_often_they_follow(app):
    from tests.apptest import start_training

    start_training(app, epochs=3, hidden_size=4)
    run_until(app, lambda at: "finished" in texts(at), timeout=60)
    assert "the predictions and this table follow every 3 s" in shown(texts(app))


def test_csv_bytes_helpers_read():  # the helpers above make files the reader takes
    assert len(load_csv(io.BytesIO(quarterly_csv())).frame) == 80
