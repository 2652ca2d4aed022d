"""The command line: train writes every file, --config repeats a run, bad input exits 2."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rnncore.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--cell", "gru", "--hidden", "4", "--lookback", "12", "--epochs", "2", "--batch-size", "16"]
LOSS_COLUMNS = ["epoch", "train_loss", "val_loss", "grad_norm", "lr"]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "rnncore", *args], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_train_writes_every_file_and_config_repeats_the_run(tmp_path):
    first = cli("train", "--data", "sample:airline_passengers", *TINY, "--out", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("epoch ") >= 2 and "train_loss" in first.stdout
    run = tmp_path / "a"
    for name in ("config.json", "history.csv", "metrics.json", "predictions.csv", "model.safetensors"):
        assert (run / name).is_file(), name
    history = pd.read_csv(run / "history.csv")
    assert list(history.columns) == ["epoch", "train_loss", "val_loss", "seconds", "grad_norm", "lr"]
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"rmse", "mae", "mape", "r2"} <= set(metrics["test"])  # the design card's keys, and mase
    assert {"persistence", "seasonal_naive", "linear"} <= set(metrics["baselines"])
    assert {"split", "truth", "model"} <= set(pd.read_csv(run / "predictions.csv").columns)

    assert main(["train", "--config", str(run / "config.json"), "--out", str(tmp_path / "b")]) == 0
    again = pd.read_csv(tmp_path / "b" / "history.csv")
    pd.testing.assert_frame_equal(again[LOSS_COLUMNS], history[LOSS_COLUMNS])
    assert (tmp_path / "b" / "config.json").read_text() == (run / "config.json").read_text()


def test_config_with_overrides_and_generator_params(tmp_path, capsys):
    out = tmp_path / "adding"
    assert main(["train", "--data", "synthetic:adding", "--param", "steps=10", "--param", "samples=200",
                 *TINY, "--lookback", "10", "--out", str(out)]) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["data"]["params"] == {"steps": 10, "samples": 200}
    assert set(json.loads((out / "metrics.json").read_text())["baselines"]) == {"mean", "linear"}
    assert main(["train", "--config", str(out / "config.json"), "--epochs", "1", "--out",
                 str(tmp_path / "c")]) == 0
    changed = json.loads((tmp_path / "c" / "config.json").read_text())
    assert changed["train"]["epochs"] == 1 and changed["data"]["params"] == cfg["data"]["params"]
    assert len(pd.read_csv(tmp_path / "c" / "history.csv")) == 1


def test_param_takes_several_pairs_at_once_as_the_design_writes_it(tmp_path):
    out = tmp_path / "adding"
    assert main(["train", "--data", "synthetic:adding", "--param", "steps=10", "samples=200", *TINY,
                 "--out", str(out)]) == 0
    assert json.loads((out / "config.json").read_text())["data"]["params"] == {"steps": 10, "samples": 200}


@pytest.mark.parametrize("args, words", [
    (["train", "--data", "nowhere.csv", "--out", "x"], "nowhere.csv"),
    (["train", "--data", "sample:nothing", "--out", "x"], "nothing"),
    (["train", "--data", "synthetic:sine", "--param", "oops", "--out", "x"], "KEY=VALUE"),
    (["train", "--data", "synthetic:sine", "--hidden", "0", "--out", "x"], "hidden_size"),
    (["train", "--data", "synthetic:sine", "--epochs", "many", "--out", "x"], "--epochs"),
    (["train", "--out", "x"], "--data"),
    (["train", "--config", "missing/config.json", "--out", "x"], "config.json"),
    (["data", "nowhere.csv"], "nowhere.csv"),
])
def test_bad_input_exits_2_with_one_line(args, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_bad_input_from_the_shell_has_no_traceback():
    result = cli("train", "--data", "sample:nothing", "--out", "x")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_a_generated_set_too_big_to_make_exits_2_with_one_line(tmp_path):
    result = cli("train", "--data", "synthetic:adding", "--param", "steps=1000", "samples=200000",
                 "--out", str(tmp_path / "x"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "samples × steps × 2 = 400,000,000 values" in result.stderr and "2,000,000" in result.stderr
    assert not (tmp_path / "x").exists()


def test_data_command_describes_a_file(capsys):
    assert main(["data", str(ROOT / "sample_data" / "airline_passengers.csv")]) == 0
    out = capsys.readouterr().out
    assert "rows" in out and "passengers" in out.lower()


@pytest.mark.parametrize("args, words", [
    (["--hidden", "1000000"], "hidden_size must be between 1 and 1,024"),
    (["--hidden", "30000"], "hidden_size must be between 1 and 1,024"),
    (["--hidden", "1e308"], "hidden_size must be between 1 and 1,024"),
    (["--layers", "20000"], "num_layers must be between 1 and 8"),
    (["--lr", "nan"], "lr must be a finite number"),
    (["--cell", "transformer"], "cell must be one of"),
    (["--hidden", "1024", "--layers", "8"], "max_parameters"),  # the server's model-size limit
])
def test_settings_outside_their_declared_range_exit_2_before_training(args, words, capsys, tmp_path):
    assert main(["train", "--data", "synthetic:sine", *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "x").exists()  # nothing made for a refused run


def test_the_model_size_limit_can_be_lifted_by_a_flag(tmp_path):
    out = tmp_path / "big"
    args = ["train", "--data", "synthetic:sine", "--param", "length=60", "--cell", "rnn", "--hidden", "8",
            "--lookback", "5", "--epochs", "1", "--out", str(out)]
    assert main([*args, "--max-parameters", "10"]) == 2
    assert main([*args, "--max-parameters", "0"]) == 0 and (out / "model.safetensors").is_file()


@pytest.mark.parametrize("make_config, words", [
    (lambda d: d / "huge.json", "hidden_size must be"),
    (lambda d: d / "deep.json", "nested too deeply"),
    (lambda d: Path("/dev/zero"), "not a regular file"),
    (lambda d: d / "fifo", "not a regular file"),
    (lambda d: d / "big.json", "over 1024 KB"),
    (lambda d: d, "not a regular file"),
])
def test_a_config_that_cannot_be_one_is_refused_at_once(make_config, words, capsys, tmp_path):
    import os

    (tmp_path / "huge.json").write_text('{"model": {"hidden_size": 1e308}}')
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "big.json").write_text(" " * (2 * 1024 * 1024) + "{}")
    os.mkfifo(tmp_path / "fifo")
    assert main(["train", "--config", str(make_config(tmp_path)), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err


@pytest.mark.parametrize("out, words", [
    (lambda d: d / "file.txt", "is a file"),
    (lambda d: d / "file.txt" / "run", "lies under the file"),
    (lambda d: "", "--out must name a folder"),
    (lambda d: " ", "--out must name a folder"),
])
def test_an_unusable_out_is_refused_before_training(out, words, capsys, tmp_path):
    (tmp_path / "file.txt").write_text("not a folder")
    assert main(["train", "--data", "synthetic:sine", "--epochs", "1", "--out", str(out(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "epoch " not in capsys.readouterr().out, err


def test_every_setting_has_its_flag_with_its_range_in_the_help():
    from rnncore.config import SETTINGS

    text = cli("train", "--help").stdout
    for declared in SETTINGS.values():
        assert declared.cli_flag in text, declared.name
    assert "model.hidden_size: 1 to 1,024 (default 32)" in " ".join(text.split())
