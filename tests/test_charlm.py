"""The character language model (rnncore.tasks.charlm): windows inside their own part and never
copied, an LSTM that beats the bigram baseline on the bundled poems, sampling, and ``train --task charlm``
writing the metrics DESIGN.md names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rnncore.config import ExperimentConfig, ModelConfig
from rnncore.data.text import load_text
from rnncore.errors import DataError
from rnncore.tasks.build import task_run
from rnncore.tasks.charlm import IGNORED, char_windows, sample
from rnncore.training import run_experiment

ROOT = Path(__file__).resolve().parents[1]
TEXT = "abcdefghij" * 40


def test_each_parts_windows_lie_inside_it_and_are_views_of_one_array():
    windows = char_windows(TEXT, 5, 0.5, 0.25)
    windows_of = [-(-(length - 5) // 2) for length in (200, 100, 100)]  # of 200, 100 and 100 characters
    assert [len(windows.train), len(windows.val), len(windows.test)] == windows_of
    decode = windows.vocab.decode
    for part in (windows.train, windows.val, windows.test):
        assert part.x.shape[1:] == (5, len(windows.vocab)) and part.x.windows.base is not None  # a view of the ids
        for k in (0, 3, len(part) - 1):  # a window every 2 characters, the next character at each of its steps
            assert decode(part.x[k].argmax(axis=1)) == decode(part.ids[2 * k:2 * k + 5])
            predicted = part.y[k] != IGNORED  # the first window's every step; then the steps after its first 3
            assert predicted.tolist() == ([True] * 5 if k == 0 else [False] * 3 + [True] * 2)
            assert decode(part.y[k][predicted]) == decode(part.ids[2 * k + 1:2 * k + 6][predicted])
        targets = np.concatenate([part.ids[1:6]] + [part.ids[2 * k + 4:2 * k + 6] for k in range(1, len(part))])
        assert (np.concatenate([y[y != IGNORED] for y in part.y]) == targets).all()  # each character once, in order
        x, y = part.scored()  # a window ending at every character, and the one after it
        assert len(x) == len(y) == len(part.ids) - 5 and x.windows.base is not None  # a view of the ids
        assert decode(x[3].argmax(axis=1)) + decode([y[3]]) == decode(part.ids[3:9])
    with pytest.raises(DataError) as caught:
        char_windows(TEXT, 120, 0.5, 0.25)  # the validation part is not longer than the lookback
    assert caught.value.key == "text_too_short"


def test_a_long_text_of_many_kinds_of_character_is_never_one_hot_at_once():
    """A million characters of 2,000 kinds would take 8 GB as one-hot input; the windows are views of the ids,
    one-hot only as a batch is read."""
    import tracemalloc

    rng = np.random.default_rng(0)
    text = "".join(chr(0x4E00 + int(i)) for i in rng.integers(0, 2_000, 1_000_000))
    tracemalloc.start()
    windows = char_windows(text, 32, 0.8, 0.1, most=5_000)
    batch = windows.train.x[np.arange(64)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(windows.vocab) > 1_900 and batch.shape == (64, 32, len(windows.vocab)) and batch.sum() == 64 * 32
    assert peak < 200e6, f"{peak / 1e6:.0f} MB"
    assert np.array_equal(batch[5].argmax(axis=1), windows.train.ids[5 * 16:5 * 16 + 32])


def test_a_text_source_that_cannot_be_used_is_refused():
    with pytest.raises(DataError) as caught:
        load_text("sample:hamlet")
    assert caught.value.key == "unknown_sample" and "tang300" in str(caught.value)
    with pytest.raises(DataError) as caught:
        load_text("/no/such/file.txt")
    assert caught.value.key == "no_file"


@pytest.mark.slow
def test_an_lstm_beats_the_bigram_baseline_on_the_bundled_poems():
    text = load_text("sample:tang300")
    cfg = ExperimentConfig().replace(data={"task": "charlm"}, model={"cell": "lstm", "hidden_size": 48},
                                     window={"lookback": 8},
                                     train={"epochs": 12, "batch_size": 64, "lr": 0.005, "seed": 0})
    result = run_experiment(cfg, task=task_run(cfg, text))
    test, bigram = result.metrics["test"], result.baselines["bigram"]["test"]
    assert result.status == "finished" and len(result.history) == 12
    assert test["bits_per_char"] < bigram["bits_per_char"] < result.baselines["unigram"]["test"]["bits_per_char"]
    assert test["perplexity"] == pytest.approx(2 ** test["bits_per_char"])
    drawn = sample(result.model, result.vocab, "床前明月光", 30, 8, 0.8, torch.Generator().manual_seed(1))
    assert len(drawn) == 30 and set(drawn) <= set(result.vocab.chars)
    again = sample(result.model, result.vocab, "床前明月光", 30, 8, 0.8, torch.Generator().manual_seed(1))
    assert again == drawn  # seeded
    with pytest.raises(ValueError):
        sample(result.model, result.vocab, "", 5, 8, 0.0)


@pytest.mark.slow
def test_an_lstm_beats_the_bigram_baseline_on_the_bundled_english_text():
    text = load_text("sample:genesis")
    name = text.name
    assert name == "genesis" and len(text) > 100_000 and text.startswith("Chapter 1\nIn the beginning")
    cfg = ExperimentConfig().replace(data={"task": "charlm"}, model={"cell": "lstm", "hidden_size": 48},
                                     window={"lookback": 16},
                                     train={"epochs": 10, "batch_size": 64, "lr": 0.01, "seed": 0})
    result = run_experiment(cfg, task=task_run(cfg, text[:60_000]))  # the first 60,000 characters: 10 s on 2 cores
    test = result.metrics["test"]["bits_per_char"]
    assert test < result.baselines["bigram"]["test"]["bits_per_char"] - 0.3, result.metrics
    assert len(result.vocab) < 80 and result.vocab.unknown == 0  # English prose: every character kept


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnncore", "train", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def test_train_task_charlm_writes_bits_per_character_next_to_its_baselines(tmp_path):
    done = run_cli("--task", "charlm", "--data", "sample:tang300", "--cell", "gru", "--hidden", "8",
                   "--lookback", "4", "--epochs", "1", "--batch-size", "256", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert doc["task"] == "charlm" and set(doc["test"]) == {"bits_per_char", "perplexity"}
    assert set(doc["baselines"]) == {"unigram", "bigram"}
    assert np.isfinite(doc["baselines"]["bigram"]["test"]["bits_per_char"])
    vocab = json.loads((tmp_path / "run" / "vocabulary.json").read_text(encoding="utf-8"))
    assert len(vocab) == doc["vocabulary"]["size"] and "，" in vocab
    assert (tmp_path / "run" / "model.safetensors").is_file() and "baseline bigram" in done.stdout
    assert "a sample (temperature 0.8)" in done.stdout


@pytest.mark.parametrize(("args", "said"), [
    (("--task", "classify", "--data", "x.csv"), "no file at 'x.csv'"),
    (("--task", "charlm", "--data", "README.md", "--lookback", "5000"), "part"),
    (("--task", "charlm", "--data", "docs/icon.png"), "holds binary data"),
])
def test_bad_input_for_the_text_tasks_says_what_is_wrong_without_a_traceback(tmp_path, args, said):
    done = run_cli(*args, "--out", str(tmp_path / "run"))
    assert done.returncode != 0 and said in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_inside_a_text_model_every_character_has_its_states_and_its_next_guesses():
    from rnncore.data.text import Vocabulary
    from rnncore.nn.models import build_model
    from rnncore.viz.text_views import (
        coloured_text_figure,
        interpretable_units,
        position_in_line,
        text_trace,
        top_guesses,
    )

    passage = "ab\ncde\nf"
    vocab = Vocabulary.fit(passage)
    model = build_model(ModelConfig(cell="lstm", hidden_size=6), len(vocab), len(vocab),
                        torch.Generator().manual_seed(0))
    trace = text_trace(model, vocab, passage)
    assert trace.states[0]["h"].shape == (8, 6) and set(trace.gates[0]) >= {"forget", "input", "output"}
    assert trace.next_probs.shape == (8, len(vocab)) and np.allclose(trace.next_probs.sum(axis=1), 1, atol=1e-5)
    x = torch.nn.functional.one_hot(torch.from_numpy(vocab.encode(passage[:4])), len(vocab)).float()[None]
    expected = torch.softmax(model(x), dim=-1)[0].detach().numpy()  # the model read up to passage[3]
    assert np.allclose(trace.next_probs[3], expected, atol=1e-5)
    guesses = top_guesses(trace, vocab, 3, k=3)
    assert len(guesses) == 3 and guesses[0][1] >= guesses[1][1] >= guesses[2][1]
    assert position_in_line(passage).tolist() == [0, 1, 2, 0, 1, 2, 3, 0]
    counting = np.stack([position_in_line(passage), np.ones(8) * 0.95, np.sin(np.arange(8))], axis=1)
    found = interpretable_units(counting, passage, k=1)
    assert {"unit": 0, "kind": "position in line", "score": pytest.approx(1.0)} in found
    assert {"unit": 1, "kind": "saturated", "score": 1.0} in found
    fig = coloured_text_figure(passage, trace.states[0]["h"][:, 2], labels={"title": "unit 2"})
    heat = fig.data[0]
    assert heat.text[0][:3].tolist() == ["a", "b", "↵"] and heat.text[1][:4].tolist() == ["c", "d", "e", "↵"]
    assert heat.z[2][0] == pytest.approx(trace.states[0]["h"][7, 2]) and np.isnan(heat.z[2][1])
    with pytest.raises(ValueError, match="one value per character"):
        coloured_text_figure(passage, np.zeros(3))


def test_the_vocabulary_is_a_setting_and_chinese_can_keep_every_character(tmp_path):
    text = load_text("sample:tang300")
    window = ExperimentConfig().window  # the command line's split: train 0.7, validation 0.15
    capped = char_windows(text, 8, window.train_fraction, window.val_fraction)  # the default: 256 kept
    assert len(capped.vocab) == 256 and capped.vocab.unknown > 5_000  # most of a Chinese text is rare characters
    whole = char_windows(text, 8, window.train_fraction, window.val_fraction, 4096)
    assert whole.vocab.unknown == 0 and len(whole.vocab) == len(set(text[:int(len(text) * 0.7)])) + 1
    done = run_cli("--task", "charlm", "--data", "sample:tang300", "--vocabulary", "3000", "--hidden", "4",
                   "--lookback", "4", "--epochs", "1", "--batch-size", "512", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert doc["vocabulary"]["unknown_in_train"] == 0 and doc["vocabulary"]["size"] == len(whole.vocab)
    refused = run_cli("--task", "charlm", "--data", "sample:tang300", "--vocabulary", "1", "--out", str(tmp_path / "x"))
    assert refused.returncode == 2 and "vocabulary" in refused.stderr and "Traceback" not in refused.stderr


def test_a_part_read_as_streams_is_cut_into_whole_windows_one_of_each_stream_per_batch():
    windows = char_windows(TEXT, 5, 0.5, 0.25, streams=3)  # 200, 100 and 100 characters
    train, val, test = windows.train, windows.val, windows.test
    assert (train.streams, val.streams, test.streams) == (3, 3, 0)  # the test part is only scored: as it was
    decode = windows.vocab.decode
    per_stream = 199 // 3 // 5  # whole windows in each of the 3 streams: 13
    assert len(train) == 3 * per_stream and (train.y != IGNORED).all()  # every step predicted
    for k in (0, 1, per_stream - 1):
        for j in range(3):  # row k * streams + j: window k of stream j, which starts at j * per_stream windows
            start = (j * per_stream + k) * 5
            assert decode(train.x[k * 3 + j].argmax(axis=1)) == decode(train.ids[start:start + 5])
            assert decode(train.y[k * 3 + j]) == decode(train.ids[start + 1:start + 6])
    short = char_windows(TEXT, 40, 0.5, 0.25, streams=64)  # 99 characters to read: two streams of a window each
    assert short.val.streams == 2 and len(short.val) == 2


CELLS = [ModelConfig(cell="lstm", hidden_size=5),  # through the C++ loop where it is built, else torch's module
         ModelConfig(cell="lstm", hidden_size=5, activation="relu"),  # the explicit cells (C++ or Python)
         ModelConfig(cell="article_lstm", hidden_size=5, num_layers=2),
         ModelConfig(cell="gru", hidden_size=5, num_layers=2, embedding=3),
         ModelConfig(cell="rnn", hidden_size=5, activation="relu")]


@pytest.mark.parametrize("config", CELLS, ids=lambda c: f"{c.cell}-{c.activation}-{c.num_layers}")
@pytest.mark.parametrize("grad", [True, False], ids=["training", "predicting"])
def test_a_sequence_read_in_pieces_each_from_the_state_the_one_before_ended_in_gives_the_whole(config, grad):
    from rnncore.nn.models import build_model

    model = build_model(config, 4, 3, torch.Generator().manual_seed(0)).double()
    x = torch.randn(2, 12, 4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with torch.set_grad_enabled(grad):
        whole = model.forward_steps(x)
        state, pieces = None, []
        for steps in (slice(0, 5), slice(5, 9), slice(9, 12)):
            out, state = model.forward_carried(x[:, steps], state)
            pieces.append(out)
            state = tuple(s.detach() for s in state)
    assert len(state) == (2 if config.cell == "lstm" else 1) and state[0].shape == (config.num_layers, 2, 5)
    torch.testing.assert_close(torch.cat(pieces, dim=1), whole)
    torch.testing.assert_close(whole[:, -1], model(x))


def test_training_with_the_state_carried_is_truncated_backpropagation_through_torchs_lstm():
    """Two epochs of ``initial_state="carried"`` against a hand loop over torch.nn.LSTM with the same first weights:
    each stream read window after window, each from the state the window before ended in (detached), zeros again at
    each epoch; validation read the same way. Loss and weights as the hand loop's."""
    import torch.nn.functional as F
    from torch import nn

    from rnncore.data.text import split_text

    text = load_text("sample:genesis")[:4_000]
    lookback, streams = 10, 8
    cfg = ExperimentConfig().replace(
        data={"task": "charlm"}, model={"cell": "lstm", "hidden_size": 12},
        window={"lookback": lookback, "train_fraction": 0.6, "val_fraction": 0.2, "initial_state": "carried"},
        train={"epochs": 2, "batch_size": streams, "optimizer": "sgd", "lr": 0.5, "seed": 3})
    first = task_run(cfg, text).model.state_dict()
    result = run_experiment(cfg, task=task_run(cfg, text))

    size = len(result.vocab)
    lstm, head = nn.LSTM(size, 12, batch_first=True), nn.Linear(12, size)
    lstm.load_state_dict({k.removeprefix("rnn."): v for k, v in first.items() if k.startswith("rnn.")})
    head.load_state_dict({k.removeprefix("head."): v for k, v in first.items() if k.startswith("head.")})
    optimizer = torch.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.5, momentum=0.9)

    def as_streams(part: str, count: int):
        ids = torch.from_numpy(result.vocab.encode(part).astype(np.int64))
        count = min(count, (len(ids) - 1) // lookback)
        used = count * ((len(ids) - 1) // count // lookback) * lookback
        return ids[:used].reshape(count, -1), ids[1:used + 1].reshape(count, -1)

    def read(x, y, train: bool) -> list[float]:
        state, losses = None, []
        for start in range(0, x.shape[1], lookback):
            out, state = lstm(F.one_hot(x[:, start:start + lookback], size).float(), state)
            state = tuple(s.detach() for s in state)
            loss = F.cross_entropy(head(out).transpose(1, 2), y[:, start:start + lookback])
            if train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            losses.append(loss.item())
        return losses

    train, val, _ = split_text(text, 0.6, 0.2)
    for record in result.history:
        train_losses = read(*as_streams(train, streams), train=True)
        with torch.no_grad():
            val_losses = read(*as_streams(val, streams), train=False)
        assert record.train_loss == pytest.approx(np.mean(train_losses), rel=1e-4)
        assert record.val_loss == pytest.approx(np.mean(val_losses), rel=1e-4)
    ours = result.model.state_dict()
    for name, value in lstm.state_dict().items():
        torch.testing.assert_close(ours[f"rnn.{name}"], value, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(ours["head.weight"], head.weight.detach(), atol=1e-4, rtol=1e-4)


def test_train_task_charlm_takes_the_state_carried_and_keeps_it_in_its_config(tmp_path):
    done = run_cli("--task", "charlm", "--data", "sample:tang300", "--initial-state", "carried", "--hidden", "8",
                   "--lookback", "8", "--epochs", "2", "--batch-size", "16", "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    config = ExperimentConfig.from_json((tmp_path / "run" / "config.json").read_text(encoding="utf-8"))
    assert config.window.initial_state == "carried"
    doc = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert doc["test"]["bits_per_char"] < doc["baselines"]["unigram"]["test"]["bits_per_char"]
    refused = run_cli("--task", "charlm", "--data", "sample:tang300", "--initial-state", "kept",
                      "--out", str(tmp_path / "x"))
    assert refused.returncode == 2 and "zero" in refused.stderr and "Traceback" not in refused.stderr
