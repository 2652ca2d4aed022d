"""Faults on the page: a diverging run, a run that raises, data too short, Stop at any moment."""

import time

import pytest
import torch

from rnncore.lab import Lab
from rnncore.training import loop
from tests.apptest import new_app, run_until, stop_everything, texts

torch.set_num_threads(1)


@pytest.fixture
def app():
    at = new_app()
    at.switch_page("views/train.py")
    at.run()
    yield at
    stop_everything()


def press(at, label: str) -> None:
    next(b for b in at.button if b.label == label).click()
    at.run()


def ended(at) -> bool:
    return any(word in texts(at) for word in ("Finished", "Diverged", "Failed", "Stopped"))


def test_a_diverging_run_says_so_and_the_session_goes_on(app):
    app.selectbox(key="w.cell").set_value("rnn")
    app.selectbox(key="w.optimizer").set_value("sgd")
    app.select_slider(key="w.lr").set_value(1.0)
    app.number_input(key="w.epochs").set_value(30)
    app.run()
    press(app, "Start")
    run_until(app, ended, timeout=60)
    page = texts(app)
    assert not app.exception
    assert "Diverged" in page and "lower learning rate" in page and "clip" in page
    assert any("Diverged" in e.value.replace("\\", "") for e in app.error)
    # the session goes on: a sane run after it trains
    app.select_slider(key="w.lr").set_value(0.01)
    app.number_input(key="w.epochs").set_value(2)
    app.run()
    press(app, "Start")
    run_until(app, lambda at: "finished 2 epochs" in texts(at), timeout=60)
    assert "finished 2 epochs" in texts(app)


def test_a_run_that_raises_inside_the_trainer_fails_with_a_message(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(loop, "train_epoch", broken)
    app.number_input(key="w.epochs").set_value(3)
    app.run()
    press(app, "Start")
    run_until(app, ended, timeout=60)
    page = texts(app)
    assert not app.exception
    assert "Failed" in page and "the disk caught fire" in page
    assert "Traceback" not in page


def test_data_too_short_for_the_windows_is_a_message_not_a_traceback(app):
    app.switch_page("views/data.py")
    app.run()
    app.number_input(key="w.lookback").set_value(140)  # airline has 144 rows
    app.run()
    assert not app.exception
    assert "rows" in texts(app)  # the Data page says why the windows do not fit
    app.switch_page("views/train.py")
    app.run()
    press(app, "Start")
    assert not app.exception
    message = " ".join(e.value for e in app.error).replace("\\", "")
    assert "lookback" in message and "rows" in message
    assert "Press Start" in texts(app)  # nothing started, nothing lost


@pytest.mark.parametrize("when", ["queued", "mid-epoch", "paused", "twice", "after the end"])
def test_stop_at_any_moment_keeps_history_and_weights(when):
    lab = Lab()
    lab.load("sample:airline_passengers")
    lab.config = lab.config.replace(model={"hidden_size": 8}, train={"epochs": 400 if when != "after the end" else 2})
    run = lab.start()
    try:
        if when == "paused":
            lab.pause()
            run_until_status(lab, "paused")
        elif when == "mid-epoch":
            run_until_epochs(lab, 2)
        elif when == "after the end":
            run.join(timeout=60)
        lab.stop()
        if when == "twice":
            lab.stop()
        assert run.join(timeout=10)
        record = run.record
        assert lab.runs == [record]  # kept once
        progress = run.progress()
        assert record.status == ("finished" if when == "after the end" else "stopped")
        assert len(record.history) == progress.epoch == len(progress.history)
        if record.history:  # the best weights are the model's and the run can be evaluated
            assert record.result is not None and record.metrics["test"]["rmse"] > 0
        assert not lab.busy  # consistent: a new run can start
    finally:
        lab.close()


def run_until_status(lab, status, timeout=30.0):
    deadline = time.monotonic() + timeout
    while lab.status() != status and time.monotonic() < deadline:
        time.sleep(0.02)
    assert lab.status() == status


def run_until_epochs(lab, epochs, timeout=30.0):
    deadline = time.monotonic() + timeout
    while len(lab.current.progress().history) < epochs and time.monotonic() < deadline:
        time.sleep(0.01)
