"""The Lab: one session's next-run choices, its runs going (each owning its data) and its runs done."""

import threading
import time

import numpy as np
import pytest
import torch

from rnncore.config import ConfigError
from rnncore.data import DataError
from rnncore.data.samples import with_defaults
from rnncore.lab import Lab
from rnncore.training import RunLimits

torch.set_num_threads(1)


@pytest.fixture
def make_lab():
    made = []

    def make(**kwargs) -> Lab:
        made.append(Lab(**kwargs))
        return made[-1]

    yield make
    for each in made:  # no training thread may outlive its test
        each.close()


def tiny(lab, epochs: int = 2, lookback: int = 12) -> None:
    """A tiny model of the declared defaults (not a sample's recommended settings)."""
    lab.config = with_defaults(lab.config, {}).replace(model={"hidden_size": 4}, train={"epochs": epochs},
                                                       window={"lookback": lookback})


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_failed_load_keeps_the_previous_data(make_lab):
    lab = make_lab()
    lab.load("sample:sunspots")
    config = lab.config
    for bad in (lambda: lab.load("sample:no_such_sample"), lambda: lab.load("mine.csv", content=b"PK\x03\x04"),
                lambda: lab.load("synthetic:sine", {"period": -1})):
        with pytest.raises((DataError, ConfigError)):
            bad()
        assert lab.dataset.name == "sunspots" and lab.config == config  # all or nothing


def test_an_upload_goes_through_the_same_door_as_a_sample(make_lab):
    lab = make_lab()
    content = ("t,v\n" + "\n".join(f"{i},{np.sin(i / 3):.4f}" for i in range(80))).encode()
    dataset = lab.load("waves.csv", content=content)
    assert lab.dataset is dataset and lab.config.data.source == "waves.csv" and lab.config.data.kind == "file"
    assert len(dataset.frame) == 80


def test_a_new_data_set_keeps_only_columns_that_exist(make_lab):
    lab = make_lab()
    lab.load("sample:stocks")
    lab.config = lab.config.replace(data={"target": "AAPL", "features": ("AAPL", "MSFT")})
    lab.load("sample:airline_passengers")
    assert lab.config.data.target is None and lab.config.data.features == ()


def test_a_run_is_kept_once_with_its_metrics_and_live_copies(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=3)
    run = lab.start()
    assert run.join(timeout=60)
    frame = run.frame()
    assert frame.epoch == 3 and set(frame.state) == set(run.model_view().model.state_dict())
    predictions = run.predictions(frame)
    assert set(predictions) == {"train", "val", "test"} and len(predictions["test"][1]) > 0
    assert {"model", "persistence", "seasonal_naive", "linear"} <= set(run.metrics(frame))
    assert lab.runs == [run.record]  # kept once, by the training thread, before the status said "finished"
    record = run.record
    assert record.id == run.id and record.status == "finished" and len(record.history) == 3
    assert record.metrics["test"]["rmse"] > 0 and "persistence" in record.baselines
    assert record.parameters == run.parameters


def test_live_copies_are_taken_from_the_training_thread_not_shared(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=2)
    run = lab.start()
    run.join(timeout=60)
    frame = run.frame()
    for name, value in run.model_view().model.state_dict().items():
        assert value.data_ptr() != frame.state[name].data_ptr()


def test_start_refuses_while_busy_and_a_refusal_changes_nothing(make_lab):
    lab = make_lab(limits=RunLimits(max_epochs=5))
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=2)
    over = lab.config.replace(train={"epochs": 50})
    with pytest.raises(ConfigError, match="max_epochs=5"):
        lab.start(over)
    assert lab.current is None and lab.config.train.epochs == 2  # nothing started, nothing changed
    lab.limits = None
    tiny(lab, epochs=500)
    run = lab.start()
    with pytest.raises(ConfigError, match="still going"):
        lab.start()
    with pytest.raises(ConfigError, match="still going"):
        lab.start_series([lab.config])
    assert lab.current is run
    lab.close()
    assert run.join(timeout=10) and run.record.status == "stopped"


def test_step_trains_one_epoch_then_pauses(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=10)
    lab.step()
    wait_for(lambda: lab.status() == "paused")
    assert len(lab.current.progress().history) == 1 and lab.controls().resume and lab.controls().step
    lab.step()
    wait_for(lambda: len(lab.current.progress().history) == 2 and lab.status() == "paused")
    lab.stop()
    assert lab.join(timeout=10)


def test_a_series_trains_side_by_side_within_the_slots_and_keeps_every_run(make_lab):
    lab = make_lab(slots=threading.BoundedSemaphore(2))
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=60)
    runs = lab.start_series([lab.config.replace(model={"cell": cell}) for cell in ("rnn", "gru", "lstm")])
    assert [r.id for r in runs] == [1, 2, 3] and lab.active() == runs
    seen = set()
    deadline = time.monotonic() + 60
    while not all(r.status.ended for r in runs) and time.monotonic() < deadline:
        statuses = [r.status for r in runs]
        assert statuses.count("running") <= 2  # never more than the slots
        if statuses.count("running") == 2:
            seen.add("two at once")
        time.sleep(0.005)
    assert "two at once" in seen
    assert sorted(r.config.model.cell for r in lab.runs) == ["gru", "lstm", "rnn"]
    assert {r.id for r in lab.runs} == {1, 2, 3}


def test_a_series_with_one_config_that_cannot_run_starts_none(make_lab):
    lab = make_lab(limits=RunLimits(max_epochs=5))
    lab.load("sample:airline_passengers")
    tiny(lab)
    before = lab.config
    configs = [lab.config, lab.config.replace(train={"epochs": 50})]  # the second is over the limit
    with pytest.raises(ConfigError) as info:
        lab.start_series(configs)
    assert info.value.key == "over_limit" and info.value.details["name"] == "epochs"
    assert lab.current is None and lab.runs == [] and lab.config == before


def test_history_is_bounded_and_only_the_latest_runs_keep_models(make_lab):
    lab = make_lab(keep_models=1, max_runs=2)
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=1)
    for _ in range(3):
        lab.start().join(timeout=60)
    assert [r.id for r in lab.runs] == [2, 3]
    assert lab.runs[0].result is None and lab.runs[1].result is not None


def test_after_the_run_the_pages_see_the_kept_weights(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=30)
    lab.config = lab.config.replace(train={"epochs": 30, "patience": 3, "lr": 0.05})
    run = lab.start()
    run.join(timeout=60)
    frame = run.frame()
    for name, value in run.model_view().model.state_dict().items():
        assert torch.equal(frame.state[name], value), name  # the best epoch's, not the last one's


# what the next run uses never changes the run going


def test_loading_other_data_while_a_run_goes_on_changes_only_the_next_run(make_lab):
    """the Train page drew the run against the data loaded now."""
    lab = make_lab()
    lab.load("sample:co2")
    tiny(lab, epochs=500, lookback=52)
    run = lab.start()
    wait_for(lambda: run.frame() is not None)
    lab.load("sample:stocks")  # fewer rows than co2
    lab.config = lab.config.replace(window={"lookback": 4, "horizon": 3, "scaler": "minmax"},
                                    data={"target": "MSFT"})
    assert lab.current is run and run.dataset.name == "co2" and run.config.window.lookback == 52
    assert lab.next_differs() == "co2"
    frame = run.frame()
    positions, values = run.predictions(frame)["test"]
    assert positions.max() < len(run.dataset.frame) and len(run.windows.target_values) == len(run.dataset.frame)
    assert np.isfinite(values).all() and set(run.metrics(frame)) >= {"model", "persistence"}
    assert run.windows.lookback == 52 and run.windows.horizon == 1 and run.windows.target == "co2"
    lab.stop()
    run.join(timeout=10)
    assert run.record.data_name == "co2" and run.record.config.window.lookback == 52
    assert lab.next_differs() is None  # nothing going: nothing to say


def test_the_current_run_moves_on_through_a_series_and_each_draws_its_own_windows(make_lab):
    slots = threading.BoundedSemaphore(1)
    lab = make_lab(slots=slots)
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=3)
    configs = [lab.config.replace(window={"lookback": lookback}) for lookback in (6, 18)]
    assert slots.acquire(timeout=5)  # the test holds the only slot: both runs wait, none can end yet
    first, second = lab.start_series(configs)
    assert lab.current is first
    slots.release()
    wait_for(lambda: first.status.ended)
    wait_for(lambda: lab.current is second or second.status.ended)
    second.join(timeout=60)
    assert lab.current is second  # all ended: the last one
    assert first.windows.lookback == 6 and second.windows.lookback == 18
    for run in (first, second):
        positions, _ = run.predictions(run.frame())["train"]
        assert positions.min() >= run.windows.lookback


def test_continue_while_a_run_goes_on_is_refused_and_changes_nothing(make_lab):
    """Issue 11: Continue swapped the data before start() refused."""
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=2)
    lab.start().join(timeout=60)
    done = lab.runs[-1]
    lab.load("sample:sunspots")
    tiny(lab, epochs=500)
    running = lab.start()
    dataset, config = lab.dataset, lab.config
    with pytest.raises(ConfigError, match="still going"):
        lab.continue_run(done)
    assert lab.dataset is dataset and lab.config == config and lab.current is running
    lab.stop()
    running.join(timeout=10)
    continued = lab.continue_run(done)  # now it may, on the run's own data
    assert continued.dataset.name == "airline_passengers" and lab.dataset is continued.dataset
    continued.join(timeout=60)


def trained_zip(lab) -> bytes:
    from rnncore.io.bundle import export_run

    tiny(lab)
    run = lab.start()
    run.join(timeout=60)
    return export_run(run.record.result, run.record.history)


def test_an_imported_run_says_whether_its_data_was_found(make_lab, tmp_path):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    record = make_lab().import_run(trained_zip(lab))  # a sample: found, so evaluated again
    assert record.reason == "imported" and record.result is not None
    assert record.details == {"cell": "lstm", "epochs": 2, "source": "sample:airline_passengers"}

    path = tmp_path / "mine.csv"
    path.write_text("value\n" + "\n".join(str(i % 7) for i in range(200)))
    lab.load(str(path))
    record = make_lab().import_run(trained_zip(lab))  # a file the new session has not loaded
    assert record.reason == "imported_no_data" and record.result is None
    assert "load it again" in record.message


def test_a_page_reading_runs_while_a_series_moves_on_never_mixes_two_runs(make_lab):
    """Issue 11: the panel read the Lab's trainer and live view separately while the series thread replaced
    them, and drew one run's frame with another run's model (size mismatch, about 1 refresh in 750)."""
    lab = make_lab(slots=threading.BoundedSemaphore(1))
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=8)
    configs = [lab.config.replace(model={"hidden_size": size}) for size in (16, 64, 8)]
    lab.start_series(configs)
    reads, seen = 0, set()
    while lab.busy or reads < 10:
        run = lab.current  # what a refresh does: one run, everything from it
        frame = run.frame()
        if frame is not None:
            seen.add(run.id)
            run.predictions(frame)
            run.metrics(frame)
            view = run.model_view()
            assert view.model.config.hidden_size == run.config.model.hidden_size
            assert frame.state["rnn.weight_hh_l0"].shape[1] == run.config.model.hidden_size
            reads += 1
    assert reads >= 10 and len(seen) >= 2 and len(lab.runs) == 3  # read across runs as the series moved on


def test_continuing_a_run_numbers_its_epochs_on_and_draws_one_curve(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=3)
    lab.start().join(timeout=60)
    first = lab.runs[-1]
    continued = lab.continue_run(first)
    continued.join(timeout=60)
    epochs = [r.epoch for r in continued.record.history]
    assert epochs == [1, 2, 3, 4, 5, 6]  # the first run's three, then three more
    assert continued.record.history[:3] == first.history
    assert continued.progress().epochs == 6 and continued.record.kept_epoch == 6


def test_runs_side_by_side_are_kept_in_the_order_they_started_whatever_order_they_end_in(make_lab):
    """The monkey found it: a sweep stopped at once ended its runs out of order, and the history read [2, 1]."""
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=2)
    slow, quick = lab.config.replace(train={"epochs": 300}), lab.config
    lab.start_series([slow, quick])
    wait_for(lambda: len(lab.runs) == 1)  # the quick one, #2, ends first
    lab.stop()
    lab.join(timeout=30)
    assert [r.id for r in lab.runs] == [1, 2]


# every task's data -----------------------------------------------------------------------------------
def test_a_text_or_labelled_set_is_the_next_runs_data_with_the_settings_of_its_task(make_lab):
    from rnncore.data.labelled import LabelledSet
    from rnncore.data.text import Text
    from rnncore.tasks.build import STARTING, recommended

    lab = make_lab()
    text = lab.load("sample:genesis", task="charlm")
    assert isinstance(text, Text) and lab.dataset is text and lab.config.data.task == "charlm"
    assert lab.config == recommended(lab.config)  # the sample's recommended settings
    lab.config = lab.config.replace(model={"cell": "gru"})  # the person's own change
    lab.load("tang.txt", content="床前明月光，疑是地上霜。\n".encode() * 40, task="charlm")
    assert lab.config.model.cell == "gru"  # kept on other data of the same task
    assert lab.config.window.lookback == STARTING["charlm"]["window"]["lookback"]  # the sample's went back
    labelled = lab.load("synthetic:waveform", {"samples": 60}, task="classify")
    assert isinstance(labelled, LabelledSet) and len(labelled) == 60
    assert lab.config.model.cell == "lstm" and lab.config.model.hidden_size == STARTING["classify"]["model"][
        "hidden_size"]  # another task starts from its own settings
    run = lab.start(lab.config.replace(train={"epochs": 1}))
    assert lab.join(timeout=120) and run.record.status == "finished" and run.dataset is labelled
    assert lab.runs[-1].config.data.source == "synthetic:waveform"


def test_data_that_cannot_be_used_changes_nothing_whatever_its_task(make_lab):
    lab = make_lab()
    text = lab.load("sample:genesis", task="charlm")
    before = lab.config
    with pytest.raises(DataError, match="not UTF-8"):
        lab.load("poem.txt", content="床前明月光".encode("gb18030") * 60, task="charlm")
    with pytest.raises(DataError, match="no label column 'outcome'"):
        lab.load("days.csv", content=b"season,a,b\n" + b"hot,1,2\ncold,2,3\n" * 30, task="classify", label="outcome")
    assert lab.dataset is text and lab.config == before


def test_a_long_text_is_cut_to_its_beginning_and_the_file_kept_is_the_part_trained_on(make_lab, monkeypatch):
    import hashlib

    from rnncore.lab import workbench

    monkeypatch.setattr(workbench, "MOST_TEXT", 500)
    kept = {}
    lab = make_lab()
    monkeypatch.setattr(type(lab.archive), "stored", True, raising=False)
    monkeypatch.setattr(lab.archive, "keep_data", lambda name, content: kept.update({name: content}) or [],
                        raising=False)
    content = ("abcdefghij" * 100).encode()
    text = lab.load("long.txt", content=content, task="charlm")
    assert len(text) == 500 and text.whole == 1000 and kept["long.txt"] == content[:500]
    assert text.identity()["sha256"] == hashlib.sha256(content[:500]).hexdigest()
    assert lab.upload == content[:500]  # (what a workspace keeps, so the run can be reopened)


def test_a_scenario_of_a_task_becomes_the_next_runs_data_only_once_it_starts(make_lab):
    from rnncore.config import ExperimentConfig
    from rnncore.tasks.build import task_data

    lab = make_lab(limits=RunLimits(max_epochs=5))
    series = lab.ensure_dataset()
    config = ExperimentConfig().replace(data={"task": "classify", "source": "synthetic:sign_memory"},
                                        model={"hidden_size": 4}, train={"epochs": 50})
    with pytest.raises(ConfigError, match="max_epochs"):
        lab.start_series([config], dataset=task_data(config))
    assert lab.dataset is series and lab.config.data.task == "forecast"  # refused: nothing changed
    config = config.replace(model={"hidden_size": 4}, train={"epochs": 1})
    (run,) = lab.start_series([config], dataset=task_data(config))
    assert lab.config == config and lab.dataset is run.dataset and lab.join(timeout=120)
    with pytest.raises(DataError):
        lab.reshape("unstack")  # (a labelled set has no layout to change)
