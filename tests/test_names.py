"""What a person reads names things as the page does, in their language: data sources by their titles, settings by
their labels, a column without a name by its number, every limit of a class budget a run breaks; and how long a
run still trains is estimated from its own pace, within its time limit."""

from __future__ import annotations

import hashlib

import pytest

import ui.i18n
from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.config import ExperimentConfig, WindowConfig, config_error
from rnncore.data import load_csv
from rnncore.data.windows import make_windows
from rnncore.errors import ClassError, DataError
from rnncore.training.lineage import HERE, Lineage
from rnncore.training.progress import EpochRecord, time_left
from tests.apptest import shown


@pytest.fixture(params=["en", "zh"])
def lang(request, monkeypatch):
    monkeypatch.setattr(ui.i18n, "language", lambda: request.param)
    return request.param


def said(exc: Exception) -> str:
    return shown(ui.i18n.explain_error(exc))


def test_a_data_source_is_named_by_its_title_in_the_readers_language(lang):
    names = {source: ui.i18n.source_name(source) for source in ("sample:airline_passengers", "synthetic:random_walk",
                                                                "sample:genesis", "synthetic:waveform", "nile.csv")}
    assert names == {"en": {"sample:airline_passengers": "Airline passengers (monthly)",
                            "synthetic:random_walk": "random walk", "sample:genesis":
                                "Genesis (King James Version, English)",
                            "synthetic:waveform": "Which waveform: sine, square or sawtooth (generated)",
                            "nile.csv": "nile.csv"},
                     "zh": {"sample:airline_passengers": "航空旅客人数（月度）", "synthetic:random_walk": "随机游走",
                            "sample:genesis": "《创世记》（英王钦定本，英文）",
                            "synthetic:waveform": "哪种波形：正弦、方波还是锯齿波（生成）",
                            "nile.csv": "nile.csv"}}[lang]


def test_a_message_names_settings_by_the_labels_the_page_shows(lang):
    short = load_csv(b"v\n" + b"".join(b"%d\n" % i for i in range(20)))
    with pytest.raises(DataError) as refused:
        make_windows(short, WindowConfig(lookback=24))
    text = said(refused.value)
    assert "train_fraction" not in text and "val_fraction" not in text
    assert {"en": "with Training part 0.7 and Validation part 0.15 need at least 36 rows",
            "zh": "训练集比例 0.7 和验证集比例 0.15 至少需要 36 行"}[lang] in text
    fractions = said(config_error("fractions"))
    assert fractions.startswith({"en": "Training part + Validation part must be below 1",
                                 "zh": "训练集比例 + 验证集比例 必须小于 1"}[lang])
    syntax = ui.i18n._template("sweeperror.bad_range")  # what to type keeps the names typed
    assert "hidden_size=4:64,lr=0.0001:0.1" in syntax


def test_a_column_without_a_name_is_called_by_its_number(lang):
    written_by_pandas = b",passengers\n" + b"".join(b"1949-%02d-01,%d\n" % (m, 100 + m) for m in range(1, 13))
    data = load_csv(written_by_pandas)
    assert list(data.frame.columns) == ["passengers"]
    note = shown(ui.i18n.explain_note(data.notes[0]))
    assert note == {"en": "column 1 (no name) used as the time axis", "zh": "列 1（无列名） 用作时间轴"}[lang]
    blank_header = b"time,a,\n" + b"".join(b"%d,%d,%d\n" % (2000 + i, i, 2 * i) for i in range(12))
    assert list(load_csv(blank_header).frame.columns) == ["a", "column 3"]  # not pandas' "Unnamed: 2"
    index_column = b",v\n" + b"".join(b"%d,%d\n" % (i, i * i) for i in range(12))  # row numbers, as before
    assert list(load_csv(index_column).frame.columns) == ["v"]


def test_a_run_over_the_class_budget_is_told_every_limit_it_breaks(lang):
    challenge = Challenge(max_epochs=100, max_parameters=20_000, max_seconds=60, cells=("lstm", "gru"))
    sha = hashlib.sha256(challenges.student_data(challenge)).hexdigest()
    config = challenge.student_config(ExperimentConfig()).replace(train={"epochs": 200, "max_seconds": 60})
    with pytest.raises(ClassError) as refused:
        challenges.check(challenge, config, {"sha256": sha, "name": challenge.data_name}, 67_012, 200, 1, sha,
                         Lineage(HERE, (sha,)))
    assert refused.value.key == "over_budget"
    assert {"en": "run 1 is over the challenge's budget (Epochs = 200 against 100; 67,012 parameters against "
                  "20,000); train within the budget",
            "zh": "运行 1 超出了挑战的预算（训练轮数 = 200，预算为 100；67,012 个参数，预算为 20,000）；请在预算内训练"
            }[lang] == said(refused.value)
    over = challenges.over_budget(challenge, config.replace(model={"cell": "rnn"}, train={"max_seconds": 0}),
                                  5_000, 10)
    assert [e.key for e in over] == ["other_cell", "no_time_limit"]


def record(epoch: int, seconds: float) -> EpochRecord:
    return EpochRecord(epoch=epoch, train_loss=1.0, val_loss=1.0, seconds=seconds, grad_norm=1.0,
                       layer_grad_norms={}, lr=0.01)


def test_the_time_left_follows_the_latest_epochs_and_stops_at_the_time_limit():
    history = [record(1, 8.0), *(record(e, 0.1) for e in range(2, 11))]  # a slow first epoch (warm-up), then fast
    assert time_left(history, 500, 10, elapsed=9.0, limit=0) == pytest.approx(0.1 * 490)
    assert time_left(history, 500, 10, elapsed=9.0, limit=20) == pytest.approx(11.0)  # not past the limit
    assert time_left(history, 500, 10, elapsed=25.0, limit=20) == 0.0


def test_a_running_runs_time_left_is_within_its_time_limit():
    from rnncore.training.progress import Status
    from rnncore.training.trainer import Trainer

    cfg = ExperimentConfig().replace(model={"hidden_size": 4}, train={"epochs": 100_000, "max_seconds": 3,
                                                                     "patience": 0})
    trainer = Trainer(cfg)
    trainer.start()
    try:
        progress = trainer.snapshot()
        while progress.status.value in ("idle", "queued") or progress.eta is None and not progress.status.ended:
            trainer.join(0.05)
            progress = trainer.snapshot()
        assert progress.status == Status.RUNNING, progress.message
        assert progress.eta <= 3 - progress.elapsed + 0.5 and not progress.eta_sooner
    finally:
        trainer.stop()
        trainer.join(30)
