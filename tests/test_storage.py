"""Model files: safetensors + config.json round trip, clear errors, run folders."""

import json

import pandas as pd
import pytest
import torch

from rnncore.config import ExperimentConfig
from rnncore.io.model_files import HISTORY_COLUMNS, ModelFileError, load_model, save_model, write_run
from rnncore.nn.models import build_model
from rnncore.training import run_experiment

torch.set_num_threads(1)


def model_and_config(cell="gru", hidden=5):
    cfg = ExperimentConfig().replace(model={"cell": cell, "hidden_size": hidden})
    return build_model(cfg.model, 3, 2, torch.Generator().manual_seed(1)), cfg


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "article_lstm"])
def test_round_trip(tmp_path, cell):
    model, cfg = model_and_config(cell)
    save_model(tmp_path, model, cfg)
    loaded, loaded_cfg = load_model(tmp_path)
    assert loaded_cfg == cfg
    x = torch.randn(4, 6, 3, generator=torch.Generator().manual_seed(0))
    model.eval()
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)
    assert (tmp_path / "model.safetensors").read_bytes()[:8] != b"\x80\x04\x95"  # not a pickle
    loaded_again, _ = load_model(tmp_path / "model.safetensors", tmp_path / "config.json")
    torch.testing.assert_close(loaded_again(x), model(x), rtol=0, atol=0)


def test_missing_folder(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        load_model(tmp_path / "nowhere")


def test_corrupt_and_foreign_files(tmp_path):
    model, cfg = model_and_config()
    save_model(tmp_path, model, cfg)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    with pytest.raises(ModelFileError, match="not a readable safetensors"):
        load_model(tmp_path)
    torch.save(model.state_dict(), weights)  # a pickle, not safetensors
    with pytest.raises(ModelFileError, match="safetensors"):
        load_model(tmp_path)
    assert issubclass(ModelFileError, ValueError)


def test_shape_mismatch_and_unknown_cell(tmp_path):
    model, cfg = model_and_config(hidden=5)
    save_model(tmp_path, model, cfg)
    (tmp_path / "config.json").write_text(cfg.replace(model={"hidden_size": 6}).to_json())
    with pytest.raises(ModelFileError, match="does not fit"):
        load_model(tmp_path)
    data = cfg.to_dict()
    data["model"]["cell"] = "transformer"
    (tmp_path / "config.json").write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="cell"):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="JSON"):
        load_model(tmp_path)


def test_write_run_files(tmp_path):
    cfg = ExperimentConfig().replace(data={"source": "sample:airline_passengers"}, window={"lookback": 12},
                                     model={"hidden_size": 4}, train={"epochs": 2})
    result = run_experiment(cfg)
    write_run(tmp_path, result)
    assert ExperimentConfig.from_json((tmp_path / "config.json").read_text()) == cfg
    history = pd.read_csv(tmp_path / "history.csv")
    assert tuple(history.columns) == HISTORY_COLUMNS and len(history) == 2
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["test"]) == {"rmse", "mae", "mape", "r2", "mase"}
    assert set(metrics["baselines"]) == {"mean", "persistence", "seasonal_naive", "linear"}
    assert metrics["test"]["rmse"] == pytest.approx(result.metrics["test"]["rmse"])
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert {"split", "time", "truth", "model", "persistence", "linear"} <= set(predictions.columns)
    assert set(predictions["split"]) == {"train", "val", "test"}
    loaded, _ = load_model(tmp_path)
    assert loaded.num_parameters() == result.parameters
