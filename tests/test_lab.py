"""The Lab: one session's data, config, trainer and run history, without Streamlit."""

import threading

import pytest
import torch

from rnncore.config import ConfigError
from rnncore.data import DataError
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


def tiny(lab, epochs: int = 2) -> None:
    lab.config = lab.config.replace(model={"hidden_size": 4}, train={"epochs": epochs},
                                    window={"lookback": 12})


def test_a_failed_load_keeps_the_previous_data(make_lab):
    lab = make_lab()
    lab.load("sample:sunspots")
    with pytest.raises(DataError):
        lab.load("sample:no_such_sample")
    assert lab.dataset.name == "sunspots"
    assert lab.config.data.source == "sample:sunspots"


def test_a_new_data_set_keeps_only_columns_that_exist(make_lab):
    lab = make_lab()
    lab.load("sample:stocks")
    lab.config = lab.config.replace(data={"target": "AAPL", "features": ("AAPL", "MSFT")})
    lab.load("sample:airline_passengers")
    assert lab.config.data.target is None and lab.config.data.features == ()


def test_a_run_is_collected_once_with_its_metrics_and_live_copies(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=3)
    trainer = lab.start()
    assert trainer.join(timeout=60)
    frame = lab.live.latest()
    assert frame.epoch == 3 and set(frame.state) == set(trainer.model.state_dict())
    predictions = lab.live.predictions(frame)
    assert set(predictions) == {"train", "val", "test"} and len(predictions["test"][1]) > 0
    assert {"model", "persistence", "seasonal_naive", "linear"} <= set(lab.live.metrics(frame))
    record = lab.collect()
    assert record is not None and lab.collect() is None  # once
    assert record.status == "finished" and len(record.history) == 3
    assert record.metrics["test"]["rmse"] > 0 and "persistence" in record.baselines
    assert record.parameters == trainer.model.num_parameters()


def test_live_copies_are_taken_from_the_training_thread_not_shared(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=2)
    trainer = lab.start()
    trainer.join(timeout=60)
    frame = lab.live.latest()
    for name, value in trainer.model.state_dict().items():
        assert value.data_ptr() != frame.state[name].data_ptr()


def test_start_refuses_while_busy_and_limits_say_which(make_lab):
    lab = make_lab(limits=RunLimits(max_epochs=5))
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=50)
    with pytest.raises(ConfigError, match="max_epochs=5"):
        lab.start()
    tiny(lab, epochs=500)
    lab.limits = None
    lab.start()
    with pytest.raises(ConfigError, match="still going"):
        lab.start()
    lab.close()
    assert lab.trainer.join(timeout=10)
    assert lab.collect().status == "stopped"


def test_step_trains_one_epoch_then_pauses(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=10)
    lab.step()
    deadline = threading.Event()
    for _ in range(200):
        if lab.status() == "paused":
            break
        deadline.wait(0.05)
    assert lab.status() == "paused" and len(lab.trainer.snapshot().history) == 1
    lab.stop()
    assert lab.trainer.join(timeout=10)


def test_a_series_trains_each_config_in_turn_and_keeps_them_all(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab)
    configs = [lab.config.replace(model={"cell": cell}) for cell in ("rnn", "gru")]
    lab.start_series(configs)
    for _ in range(600):
        if len(lab.runs) == 2:
            break
        threading.Event().wait(0.05)
    assert [r.config.model.cell for r in lab.runs] == ["rnn", "gru"]


def test_a_series_that_cannot_go_on_says_why_until_the_next_series(make_lab):
    from rnncore.config import ConfigError
    from rnncore.training import RunLimits

    lab = make_lab(limits=RunLimits(max_epochs=5))
    lab.load("sample:airline_passengers")
    tiny(lab)
    configs = [lab.config, lab.config.replace(train={"epochs": 50})]  # the second is over the limit
    lab.start_series(configs)
    for _ in range(600):
        if lab.series_error is not None:
            break
        threading.Event().wait(0.05)
    error = lab.series_error
    assert isinstance(error, ConfigError) and error.key == "over_limit"  # a page can say it in any language
    assert error.details["name"] == "epochs" and "choose at most 5" in str(error)
    lab._chain.join(timeout=10)
    lab.start_series(configs[:1])
    assert lab.series_error is None


def test_history_is_bounded_and_only_the_latest_runs_keep_models(make_lab):
    lab = make_lab(keep_models=1, max_runs=2)
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=1)
    for _ in range(3):
        lab.start().join(timeout=60)
        lab.collect()
    assert [r.id for r in lab.runs] == [2, 3]
    assert lab.runs[0].result is None and lab.runs[1].result is not None


def test_after_the_run_the_pages_see_the_kept_weights(make_lab):
    lab = make_lab()
    lab.load("sample:airline_passengers")
    tiny(lab, epochs=30)
    lab.config = lab.config.replace(train={"epochs": 30, "patience": 3, "lr": 0.05})
    lab.start().join(timeout=60)
    lab.collect()
    frame = lab.live.latest()
    for name, value in lab.trainer.model.state_dict().items():
        assert torch.equal(frame.state[name], value), name  # the best epoch's, not the last one's


def trained_zip(lab) -> bytes:
    from rnncore.io.bundle import export_run

    tiny(lab)
    lab.start().join(timeout=60)
    record = lab.collect()
    return export_run(record.result, record.history)


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
