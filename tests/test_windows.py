"""Windows: shapes, views, no leakage from validation/test into training, scaling on train only."""

import numpy as np
import pandas as pd
import pytest

from rnncore.config import WindowConfig
from rnncore.data import DataError, Dataset, SequenceSet
from rnncore.data.generators import generate
from rnncore.data.windows import make_windows
from rnncore.messages import DATA_MESSAGES


def counting(rows: int = 200, columns: int = 1) -> Dataset:
    """Each value is its row number (times 1000 per extra column): a window shows where it came from."""
    data = {f"c{j}": np.arange(rows, dtype=np.float64) + 1000 * j for j in range(columns)}
    return Dataset(frame=pd.DataFrame(data), name="counting")


def keyed(error: DataError, key: str) -> dict:
    """The error has ``key``, and its template filled with its details is its text; the details."""
    assert error.key == key and DATA_MESSAGES[key].format(**error.details) == str(error)
    return error.details


def parts(windows):
    return {"train": windows.train, "val": windows.val, "test": windows.test}


def test_shapes_positions_and_bounds():
    w = make_windows(counting(200), WindowConfig(lookback=10, horizon=1, scaler="none"))
    assert w.bounds == (140, 170)
    assert (w.target, w.features, w.lookback, w.horizon) == ("c0", ["c0"], 10, 1)
    assert w.train.x.shape == (130, 10, 1) and w.train.y.shape == (130, 1)
    assert w.val.x.shape == (30, 10, 1) and w.test.x.shape == (30, 10, 1)
    for split in parts(w).values():
        assert split.x.dtype == np.float32 and split.y.dtype == np.float32
        assert split.positions.dtype == np.int64
        np.testing.assert_array_equal(split.y[:, 0], split.positions)  # value == row number
        np.testing.assert_array_equal(split.x[:, -1, 0], split.positions - 1)
    assert w.train.positions[0] == 10 and w.val.positions[0] == 140 and w.test.positions[-1] == 199
    np.testing.assert_array_equal(w.target_values, np.arange(200))
    assert w.last_window().shape == (1, 10, 1) and w.last_window()[0, -1, 0] == 199


@pytest.mark.parametrize("horizon", [1, 3])
@pytest.mark.parametrize("stride", [1, 4])
def test_no_training_window_touches_validation_or_test_rows(horizon, stride):
    cfg = WindowConfig(lookback=7, horizon=horizon, stride=stride, scaler="none")
    w = make_windows(counting(300, columns=2), cfg, features=["c0", "c1"])
    val_start, test_start = w.bounds
    assert w.train.x[..., 0].max() < val_start and w.train.y.max() < val_start
    assert w.train.y.max() == pytest.approx(val_start - 1, abs=stride)  # the train part is used to its end
    assert w.val.y.min() >= val_start and w.val.y.max() < test_start  # targets in their own part
    assert w.test.y.min() >= test_start and 299 - stride < w.test.y.max() <= 299
    assert w.val.x[..., 0].min() < val_start  # inputs may reach back: that is not leakage


def test_windows_are_views_of_the_one_scaled_series():
    cfg = WindowConfig(lookback=20, stride=3)
    w = make_windows(counting(500, columns=3), cfg, features=["c0", "c1", "c2"])
    assert w.series.shape == (500, 3) and w.series.flags.c_contiguous
    for split in parts(w).values():
        assert np.shares_memory(split.x, w.series)
        assert np.shares_memory(split.y, w.series)  # the target is one of the inputs
        assert split.x.base is not None
    np.testing.assert_array_equal(w.train.x[5], w.series[15:35])  # window 5 starts at row 5 * stride


def test_stride_and_horizon():
    w = make_windows(counting(100), WindowConfig(lookback=5, horizon=3, stride=4, scaler="none"))
    np.testing.assert_array_equal(w.train.positions, np.arange(5, 67, 4))  # last target row 67 < 70
    np.testing.assert_array_equal(w.train.y[1], [9, 10, 11])
    np.testing.assert_array_equal(w.train.x[1, :, 0], [4, 5, 6, 7, 8])
    assert w.val.positions[0] == 70 and w.val.y.max() < 85
    np.testing.assert_array_equal(w.test.positions, [85, 89, 93, 97])


def test_standard_scaler_fitted_on_the_training_part_only():
    w = make_windows(counting(200), WindowConfig(lookback=10, scaler="standard"))
    train = np.arange(140)
    assert w.x_scaler.mean_[0] == pytest.approx(train.mean())
    assert w.y_scaler.scale_[0] == pytest.approx(train.std())
    assert w.series[:140, 0].mean() == pytest.approx(0, abs=1e-5)
    assert w.series[140:, 0].min() > 1.7  # later rows lie beyond the training range, unclipped


def test_minmax_scaler_and_inverse_round_trip():
    data = generate("sine", length=400, noise=0.1).frame.assign(other=lambda f: 5 * f["value"] + 3)
    dataset = Dataset(frame=data, name="two")
    w = make_windows(dataset, WindowConfig(lookback=12, horizon=2, scaler="minmax"),
                     target="other", features=["value", "other"])
    assert w.series[:280].min() == pytest.approx(0) and w.series[:280].max() == pytest.approx(1)
    expected = np.stack([data["other"].to_numpy()[p:p + 2] for p in w.test.positions])
    np.testing.assert_allclose(w.inverse_y(w.test.y), expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(w.scale_x(data[["value", "other"]].to_numpy()[-12:]), w.last_window()[0],
                               atol=1e-6)


def test_target_not_among_the_features():
    dataset = counting(200, columns=3)
    w = make_windows(dataset, WindowConfig(lookback=6, scaler="standard"), target="c2", features=["c0", "c1"])
    assert w.features == ["c0", "c1"] and w.train.x.shape[2] == 2
    assert not np.shares_memory(w.train.y, w.series)
    assert w.y_scaler.mean_[0] == pytest.approx(2000 + np.arange(140).mean())
    np.testing.assert_allclose(w.inverse_y(w.val.y)[:, 0], 2000 + w.val.positions, rtol=1e-6)


def test_no_scaler_leaves_values_alone():
    w = make_windows(counting(60), WindowConfig(lookback=4, scaler="none"))
    assert w.x_scaler is None and w.y_scaler is None
    np.testing.assert_array_equal(w.inverse_y(w.test.y), w.test.y)


def test_memory_task_is_split_by_sample_without_scaling():
    dataset = generate("adding", steps=30, samples=200)
    w = make_windows(dataset, WindowConfig(lookback=5, stride=3, scaler="standard"))
    assert w.is_sequences and w.series is None and w.x_scaler is None and w.y_scaler is None
    assert (len(w.train), len(w.val), len(w.test)) == (140, 30, 30)
    assert w.train.x.shape == (140, 30, 2) and w.lookback == 30 and w.horizon == 1
    assert w.features == ["value", "marker"] and w.bounds == (140, 170)
    np.testing.assert_array_equal(w.val.positions, np.arange(140, 170))
    np.testing.assert_array_equal(w.test.x, dataset.sequences.inputs[170:])
    assert np.shares_memory(w.train.x, dataset.sequences.inputs)
    assert set(np.unique(w.train.x[..., 1])) == {0.0, 1.0}  # marker channel untouched
    with pytest.raises(DataError, match="no continuation") as error:
        w.last_window()
    assert keyed(error.value, "no_forecast") == {}


def test_memory_task_with_too_few_samples():
    sequences = SequenceSet(inputs=np.zeros((3, 5, 2), np.float32), targets=np.zeros((3, 1), np.float32),
                            channels=["value", "marker"], baseline_mse=0.0)
    dataset = Dataset(frame=pd.DataFrame({"value": [0.0]}), name="tiny", sequences=sequences)
    with pytest.raises(DataError, match="has 3 sequences, too few.*generate more samples") as error:
        make_windows(dataset, WindowConfig())
    assert keyed(error.value, "few_sequences") == {"count": 3, "train_fraction": "0.7", "val_fraction": "0.15"}


def test_memory_task_unknown_channel():
    with pytest.raises(DataError, match="unknown input channel.*'price'.*the channels are: value, marker") as error:
        make_windows(generate("copy", samples=50), WindowConfig(), features=["price"])
    assert keyed(error.value, "unknown_channels") == {"unknown": "'price'", "channels": "value, marker"}


def test_memory_task_channel_subset():
    w = make_windows(generate("copy", samples=50), WindowConfig(), features=["value"])
    assert w.train.x.shape == (35, 50, 1) and w.features == ["value"]


def test_too_few_rows_says_how_many_are_needed():
    with pytest.raises(DataError) as error:
        make_windows(counting(30), WindowConfig(lookback=24, horizon=2))
    message = str(error.value)
    assert "30 rows" in message and "lookback 24" in message and "horizon 2" in message
    assert "need at least 37 rows" in message and "lower the lookback" in message
    assert keyed(error.value, "window_rows") == {"rows": 30, "lookback": 24, "horizon": 2, "need": 37,
                                                 "train_fraction": "0.7", "val_fraction": "0.15"}
    make_windows(counting(37), WindowConfig(lookback=24, horizon=2))  # and that many are enough
    with pytest.raises(DataError, match="has 36 rows"):
        make_windows(counting(36), WindowConfig(lookback=24, horizon=2))


def test_unknown_columns_are_listed():
    dataset = counting(100, columns=2)
    with pytest.raises(DataError, match="unknown target column 'price'; the columns are: c0, c1") as target:
        make_windows(dataset, WindowConfig(), target="price")
    with pytest.raises(DataError, match="unknown feature column.*'x'.*the columns are: c0, c1") as features:
        make_windows(dataset, WindowConfig(lookback=4), features=["c0", "x"])
    assert keyed(target.value, "unknown_target") == {"column": "'price'", "columns": "c0, c1"}
    assert keyed(features.value, "unknown_features") == {"unknown": "'x'", "columns": "c0, c1"}


def test_missing_values_are_refused():
    frame = counting(100).frame.astype(float)
    frame.loc[50, "c0"] = np.nan
    with pytest.raises(DataError, match="missing or infinite") as error:
        make_windows(Dataset(frame=frame, name="gap"), WindowConfig(lookback=4))
    assert keyed(error.value, "not_finite") == {"column": "'c0'"}


def test_empty_validation_part():
    w = make_windows(counting(100), WindowConfig(lookback=5, train_fraction=0.8, val_fraction=0.0))
    assert len(w.val) == 0 and w.val.x.shape == (0, 5, 1)
    assert len(w.train) > 0 and len(w.test) == 20


# differencing (trending series gave nonsense without a hint)


def trend(rows: int = 240, period: int = 12) -> Dataset:
    t = np.arange(rows, dtype=np.float64)
    values = 100 + 2.0 * t + 10 * np.sin(2 * np.pi * t / period)
    frame = pd.DataFrame({"v": values}, index=pd.date_range("2000-01-01", periods=rows, freq="MS"))
    return Dataset(frame=frame, name="trend", period=period)


@pytest.mark.parametrize("difference, lag", [("first", 1), ("seasonal", 12)])
def test_differenced_windows_give_back_the_values_in_the_datas_units(difference, lag):
    data = trend()
    w = make_windows(data, WindowConfig(lookback=12, horizon=3, difference=difference))
    assert w.lag == lag and w.train.positions[0] == lag + 12  # inputs never reach before the first change
    values = data.frame["v"].to_numpy(dtype=np.float32)
    for split in (w.train, w.val, w.test):
        truth = values[split.positions[:, None] + np.arange(3)]
        np.testing.assert_allclose(w.levels(split.y, split.positions), truth, rtol=1e-5)
        change = w.inverse_y(split.y)
        np.testing.assert_allclose(change[:, 0], truth[:, 0] - values[split.positions - lag], rtol=1e-4, atol=1e-3)
    train = values[:w.bounds[0]]
    assert np.isclose(w.x_scaler.mean_[0], (train[lag:] - train[:-lag]).mean(), rtol=1e-4)  # train only


def test_seasonal_differencing_needs_a_known_period():
    frame = pd.DataFrame({"v": np.arange(100.0)})
    with pytest.raises(DataError) as info:
        make_windows(Dataset(frame=frame, name="no clock"), WindowConfig(difference="seasonal"))
    assert info.value.key == "no_period_to_difference" and "first differences" in str(info.value)


def test_a_differenced_run_forecasts_on_from_the_last_value():
    import torch

    from rnncore.config import ExperimentConfig
    from rnncore.training.results import forecast

    cfg = ExperimentConfig().replace(window={"lookback": 12, "difference": "first"},
                                     model={"cell": "gru", "hidden_size": 4}, train={"epochs": 1})
    torch.manual_seed(0)
    from rnncore.training import Trainer

    result = Trainer(cfg, trend()).run()
    ahead = forecast(result, 24)
    last = trend().frame["v"].iloc[-1]
    assert abs(ahead[0] - last) < 40  # a change added to the last value, not a level from nowhere
    assert result.metrics["test"]["rmse"] is not None and "mean" in result.baselines
