"""runs export --tensorboard: a stored run's TensorBoard event files, read back record by record."""

import struct
from pathlib import Path

import pytest
from tensorboardX.proto.event_pb2 import Event
from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData
from tensorboardX.record_writer import masked_crc32c

from rnncore.__main__ import main
from rnncore.store import open_store

TINY = ["--cell", "gru", "--hidden", "4", "--lookback", "12", "--epochs", "3", "--batch-size", "16"]


def events(folder: Path) -> list[Event]:
    """Every event of the event files in ``folder``, each record's length and data checked against its CRCs."""
    found = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data, at = path.read_bytes(), 0
        while at < len(data):
            header = data[at:at + 8]
            (length,) = struct.unpack("<Q", header)
            assert struct.unpack("<I", data[at + 8:at + 12])[0] == masked_crc32c(header)
            record = data[at + 12:at + 12 + length]
            assert struct.unpack("<I", data[at + 12 + length:at + 16 + length])[0] == masked_crc32c(record)
            event = Event()
            event.ParseFromString(record)
            found.append(event)
            at += 16 + length
    return found


def scalars(found: list[Event]) -> dict[str, dict[int, float]]:
    """{tag: {step: value}} of the scalar summaries."""
    out: dict[str, dict[int, float]] = {}
    for event in found:
        for value in event.summary.value:
            if value.WhichOneof("value") == "simple_value":
                out.setdefault(value.tag, {})[event.step] = value.simple_value
    return out


def hparams(found: list[Event]) -> dict:
    """The hyperparameters of the session-start summary of the HParams plugin."""
    for event in found:
        for value in event.summary.value:
            if value.tag == "_hparams_/session_start_info":
                data = HParamsPluginData()
                data.ParseFromString(value.metadata.plugin_data.content)
                return {name: getattr(v, v.WhichOneof("kind")) for name, v in data.session_start_info.hparams.items()}
    return {}


@pytest.fixture
def recorded(tmp_path, capsys):
    """(store URL, workspace key) of a workspace with two finished runs."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert main(["train", "--data", "sample:airline_passengers", *TINY, "--store", url]) == 0
    key = capsys.readouterr().out.split("workspace ", 1)[1].split()[0]
    assert main(["train", "--data", "sample:airline_passengers", *TINY, "--cell", "rnn", "--epochs", "2",
                 "--store", url, "--workspace", key]) == 0
    return url, key


def test_the_event_files_hold_each_epoch_of_the_run_and_its_settings_with_its_test_metrics(recorded, tmp_path):
    url, key = recorded
    board = tmp_path / "board"
    assert main(["runs", "export", "1", "--tensorboard", str(board), "--store", url, "--workspace", key]) == 0
    assert [p.name for p in board.iterdir()] == ["run_1"]
    stored = open_store(url).get_run(key, 1)
    found = events(board / "run_1")
    got = scalars(found)
    history = {r.epoch: r for r in stored.history}
    assert sorted(history) == [1, 2, 3]
    for field, tag in [("train_loss", "loss/train"), ("val_loss", "loss/validation"), ("grad_norm", "grad_norm"),
                       ("lr", "lr"), ("seconds", "seconds")]:
        assert got[tag] == {epoch: pytest.approx(getattr(r, field), rel=1e-6) for epoch, r in history.items()}, tag
    test = stored.results["metrics"]["test"]
    assert {"test/rmse", "test/mae"} <= set(got)
    assert got["test/rmse"] == {3: pytest.approx(test["rmse"], rel=1e-6)}
    said = hparams(found)
    assert said["cell"] == "gru" and said["hidden_size"] == 4 and said["lookback"] == 12
    assert said["source"] == "sample:airline_passengers" and said["epochs"] == 3
    ended = [e.wall_time for e in found if e.step == 3 and e.summary.value and e.summary.value[0].tag == "loss/train"]
    assert ended == [pytest.approx(stored.created + sum(r.seconds for r in stored.history))]


def test_without_a_number_every_run_of_the_workspace_is_written(recorded, tmp_path):
    url, key = recorded
    board = tmp_path / "board"
    assert main(["runs", "export", "--tensorboard", str(board), "--store", url, "--workspace", key]) == 0
    assert sorted(p.name for p in board.iterdir()) == ["run_1", "run_2"]
    assert sorted(scalars(events(board / "run_2"))["loss/train"]) == [1, 2]
    assert hparams(events(board / "run_2"))["cell"] == "rnn"


def test_a_folder_that_holds_files_is_refused_and_nothing_is_written(recorded, tmp_path, capsys):
    url, key = recorded
    board = tmp_path / "board"
    (board / "run_2").mkdir(parents=True)
    (board / "run_2" / "mine.txt").write_text("keep me")
    capsys.readouterr()
    assert main(["runs", "export", "--tensorboard", str(board), "--store", url, "--workspace", key]) == 2
    assert "exists already" in capsys.readouterr().err
    assert sorted(p.name for p in board.iterdir()) == ["run_2"]
    assert [p.name for p in (board / "run_2").iterdir()] == ["mine.txt"]
    (board / "run_2" / "mine.txt").unlink()  # an empty folder is taken
    assert main(["runs", "export", "2", "--tensorboard", str(board), "--store", url, "--workspace", key]) == 0
    assert sorted(scalars(events(board / "run_2"))["loss/train"]) == [1, 2]


def test_a_failed_write_leaves_no_run_written(recorded, tmp_path, monkeypatch, capsys):
    """The second run's write fails (a full disk): the first run's folder goes too, and no half-written one stays."""
    import tensorboardX.summary

    url, key = recorded
    board = tmp_path / "board"
    real, written = tensorboardX.summary.hparams, []

    def full_on_the_second(*args):
        written.append(args)
        if len(written) == 2:
            raise OSError(28, "No space left on device")
        return real(*args)

    monkeypatch.setattr(tensorboardX.summary, "hparams", full_on_the_second)
    capsys.readouterr()
    assert main(["runs", "export", "--tensorboard", str(board), "--store", url, "--workspace", key]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert len(written) == 2 and list(board.iterdir()) == []


@pytest.mark.parametrize(("args", "says"), [
    (["runs", "export", "1", "--tensorboard", "B", "--out", "run.zip"], "give one of them"),
    (["runs", "show", "1", "--tensorboard", "B"], "--tensorboard is for runs export"),
    (["runs", "export", "7", "--tensorboard", "B"], "no run 7"),
])
def test_bad_tensorboard_input_exits_2_with_one_line_and_writes_nothing(args, says, recorded, tmp_path, capsys,
                                                                       monkeypatch):
    url, key = recorded
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main([*args, "--store", url, "--workspace", key]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1, err
    assert not (tmp_path / "B").exists() and not (tmp_path / "run.zip").exists()
