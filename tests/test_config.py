"""The config dataclasses: validation with messages that say what to do, JSON and URL round trips."""

import json

import pytest

from rnncore.config import (
    CELLS,
    ConfigError,
    DataConfig,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
    WindowConfig,
)

ODD = ExperimentConfig(DataConfig("synthetic:adding", {"steps": 30, "samples": 500, "noise": 0.1},
                                  target="target", features=("value", "marker")),
                       WindowConfig(lookback=7, horizon=3, stride=2, train_fraction=0.6, val_fraction=0.2,
                                    scaler="minmax"),
                       ModelConfig("article_lstm", 5, 3, 0.25, "relu", 1.0),
                       TrainConfig(epochs=9, batch_size=3, lr=0.0123, optimizer="rmsprop", weight_decay=1e-4,
                                   clip_norm=0.5, loss="huber", patience=4, scheduler="plateau", seed=12345,
                                   max_seconds=30.5, device="auto", probe_every=2))


def test_the_default_is_a_sensible_valid_experiment():
    cfg = ExperimentConfig()
    assert cfg.model.cell == "lstm" and cfg.data.source.startswith("sample:")
    assert ExperimentConfig.from_json(cfg.to_json()) == cfg


def test_json_round_trip_keeps_every_field_under_the_design_keys():
    doc = json.loads(ODD.to_json())
    assert set(doc) == {"version", "data", "window", "model", "train"}
    assert doc["data"]["features"] == ["value", "marker"] and doc["model"]["cell"] == "article_lstm"
    for section, keys in {"data": ["source", "params", "target", "features"],
                          "window": ["lookback", "horizon", "stride", "train_fraction", "val_fraction", "scaler"],
                          "model": ["cell", "hidden_size", "num_layers", "dropout", "activation", "forget_bias"],
                          "train": ["epochs", "batch_size", "lr", "optimizer", "weight_decay", "clip_norm", "loss",
                                    "patience", "seed", "max_seconds", "device"]}.items():
        assert set(keys) <= set(doc[section]), section
    assert ExperimentConfig.from_json(ODD.to_json()) == ODD


def test_query_round_trip_is_exact():
    query = ODD.to_query()
    assert all(isinstance(v, str) for v in query.values())
    assert query["p.steps"] == "30" and query["features"] == "value,marker"
    assert ExperimentConfig.from_query(query) == ODD
    assert ExperimentConfig.from_query({k: [v] for k, v in query.items()}) == ODD  # lists, as URLs give


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ModelConfig(hidden_size=0), "hidden_size must be between 1 and 1,024 (got 0)"),
    (lambda: ModelConfig(num_layers=0), "num_layers must be between 1 and 8 (got 0)"),
    (lambda: ModelConfig(cell="transformer"), "cell must be one of rnn, lstm, gru, article_lstm"),
    (lambda: ModelConfig(cell="gru", activation="relu"), "GRU cell supports only the tanh"),
    (lambda: ModelConfig(dropout=1.0), "dropout must be between 0 and 0.9 (got 1)"),
    (lambda: ModelConfig(hidden_size=2.5), "hidden_size must be a whole number (got 2.5)"),
    (lambda: ModelConfig(hidden_size=True), "hidden_size must be a whole number (got True)"),
    (lambda: WindowConfig(lookback=0), "lookback must be between 1 and 10,000 (got 0)"),
    (lambda: WindowConfig(train_fraction=0.9, val_fraction=0.1), "a test part remains"),
    (lambda: WindowConfig(scaler="robust"), "scaler must be one of none, standard, minmax"),
    (lambda: TrainConfig(lr=0), "lr must be between 1e-06 and 10 (got 0)"),
    (lambda: TrainConfig(lr=float("nan")), "lr must be a finite number (got nan)"),
    (lambda: TrainConfig(lr=100), "lr must be between 1e-06 and 10 (got 100)"),
    (lambda: TrainConfig(epochs=0), "epochs must be between 1 and 100,000 (got 0)"),
    (lambda: TrainConfig(optimizer="lbfgs"), "optimizer must be one of adam, adamw, sgd, rmsprop"),
    (lambda: TrainConfig(seed=-1), "seed must be between 0 and 4,294,967,295 (got -1)"),
    (lambda: TrainConfig(device="tpu"), "device must be one of cpu, cuda, auto"),
    (lambda: DataConfig(source=" "), "source must name"),
    (lambda: DataConfig(params={"length": float("inf")}), "finite"),
    (lambda: ModelConfig(hidden_size=1e308), "hidden_size must be a whole number"),
    (lambda: ModelConfig(hidden_size=10**30), "hidden_size must be between 1 and 1,024"),
    (lambda: WindowConfig(train_fraction="0.7"), "train_fraction must be a number"),
])
def test_bad_settings_say_what_is_wrong(make, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_config_errors_are_value_errors():
    assert issubclass(ConfigError, ValueError)


def test_strict_readers_refuse_and_lenient_ones_note():
    with pytest.raises(ConfigError, match="unknown link parameter 'colour'"):
        ExperimentConfig.from_query({"colour": "red"})
    with pytest.raises(ConfigError, match="version 99"):
        ExperimentConfig.from_dict({"version": 99})
    with pytest.raises(ConfigError, match="unknown config section"):
        ExperimentConfig.from_dict({"optimiser": {}})
    with pytest.raises(ConfigError, match="not valid JSON"):
        ExperimentConfig.from_json("{")
    problems = []
    cfg = ExperimentConfig.from_query({"train_fraction": "0.9", "val_fraction": "0.2"}, problems)
    assert cfg.window.train_fraction + cfg.window.val_fraction < 1  # one of the two was set back
    assert len(problems) == 1 and "test part remains" in str(problems[0])


def test_replace_changes_only_what_it_names_and_validates():
    cfg = ExperimentConfig().replace(model={"cell": "gru"}, train={"epochs": 3})
    assert cfg.model.cell == "gru" and cfg.model.hidden_size == 32 and cfg.train.epochs == 3
    with pytest.raises(ConfigError):
        cfg.replace(model={"activation": "relu"})


@pytest.mark.parametrize("cell", CELLS)
def test_fused_means_torch_can_train_it(cell):
    assert ModelConfig(cell=cell).fused == (cell != "article_lstm")
    if cell in ("rnn", "lstm", "article_lstm"):
        assert ModelConfig(cell=cell, activation="relu").fused == (cell == "rnn")
