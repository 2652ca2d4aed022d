"""Windows: (lookback -> horizon) samples cut from a series, split in time, scaled on train only.

The series is copied once, into a float32 array scaled in place; every window is a view of
it (``numpy.lib.stride_tricks.sliding_window_view``, stride by slicing), so a million-row
series needs little more memory than the series itself.

Split in time: rows ``[0, bounds[0])`` are the training part, ``[bounds[0], bounds[1])`` the
validation part and ``[bounds[1], rows)`` the test part. A training window (inputs and
targets) lies wholly in the training part. Validation and test windows have all their
targets in their part; their inputs may reach back into earlier parts (known past, not leakage).
Window ``stride`` applies to every part; each part's first window is its earliest one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from rnncore.config import WindowConfig
from rnncore.data.dataset import Dataset, period_of
from rnncore.errors import data_error

CHUNK_ROWS = 65_536  # scalers are fitted and applied in chunks: no full-size temporaries


@dataclass
class Split:
    x: np.ndarray  # (n, lookback, n_features) float32, scaled; may be a strided view
    y: np.ndarray  # (n, horizon) float32, scaled
    positions: np.ndarray  # (n,) int64: frame row of each window's first target step (sample number)

    def __len__(self) -> int:
        return len(self.positions)


@dataclass
class Windows:
    train: Split
    val: Split
    test: Split
    target: str
    features: list[str]
    lookback: int
    horizon: int
    bounds: tuple[int, int]  # frame rows (sample numbers) where validation and test targets start
    x_scaler: StandardScaler | MinMaxScaler | None
    y_scaler: StandardScaler | MinMaxScaler | None
    is_sequences: bool
    series: np.ndarray | None = None  # (rows, n_features) scaled full series, None for sequences
    target_values: np.ndarray | None = None  # (rows,) target in original units, None for sequences
    lag: int = 0  # the model sees and predicts differences over this many rows (0: the values themselves)

    def levels(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Scaled targets or predictions (n, horizon) of windows whose first target step is at row
        ``positions`` -> the target's values in original units: differences are added back on the
        known values before them (and, past those, on the levels predicted so far)."""
        change = self.inverse_y(y)
        if not self.lag:
            return change
        out = np.empty_like(change)
        for k in range(change.shape[1]):
            if k >= self.lag:  # its base lies in the horizon itself: a predicted level
                base = out[:, k - self.lag]
            else:
                base = self.target_values[np.asarray(positions, dtype=np.int64) + k - self.lag]
            out[:, k] = base + change[:, k]
        return out

    def inverse_y(self, y: np.ndarray) -> np.ndarray:
        """Scaled targets or predictions (n, horizon) -> original units, float32."""
        y = np.asarray(y, dtype=np.float32)
        if self.y_scaler is None or y.size == 0:  # an empty part (no validation windows): scikit-learn refuses it
            return y.copy()
        return self.y_scaler.inverse_transform(y.reshape(-1, 1)).reshape(y.shape).astype(np.float32)

    @property
    def y_unit(self) -> float:
        """One scaled unit of the target in the data's units (a difference, not a level): the standard
        scaler's sd, the min-max scaler's range, 1 without scaling."""
        if self.y_scaler is None:
            return 1.0
        if isinstance(self.y_scaler, StandardScaler):
            return float(self.y_scaler.scale_[0])
        return float(1.0 / self.y_scaler.scale_[0])

    def scale_x(self, values: np.ndarray) -> np.ndarray:
        """Inputs in original units (t, n_features) -> scaled, float32."""
        values = np.asarray(values, dtype=np.float32)
        if self.x_scaler is None:
            return values.copy()
        return self.x_scaler.transform(values).astype(np.float32)

    def last_window(self) -> np.ndarray:
        """(1, lookback, n_features): the last ``lookback`` rows, scaled; input for a forecast."""
        if self.series is None:
            raise data_error("no_forecast")
        return self.series[-self.lookback:][None]


def make_scaler(name: str) -> StandardScaler | MinMaxScaler | None:
    return {"none": None, "standard": StandardScaler(), "minmax": MinMaxScaler()}[name]


def _fit(scaler, values: np.ndarray, train_rows: int, first: int = 0) -> None:
    """Fit ``scaler`` on ``values[first:train_rows]``, chunk by chunk."""
    for start in range(first, train_rows, CHUNK_ROWS):
        scaler.partial_fit(values[start:min(start + CHUNK_ROWS, train_rows)])


def _fit_transform(scaler, values: np.ndarray, train_rows: int, first: int = 0) -> None:
    """Fit ``scaler`` on ``values[first:train_rows]`` and scale ``values`` in place, chunk by chunk."""
    if scaler is None:
        return
    _fit(scaler, values, train_rows, first)
    for start in range(0, len(values), CHUNK_ROWS):
        values[start:start + CHUNK_ROWS] = scaler.transform(values[start:start + CHUNK_ROWS])


def _columns(dataset: Dataset, target: str | None, features: Sequence[str]) -> tuple[str, list[str]]:
    columns = [str(c) for c in dataset.frame.columns]
    if not columns:
        raise data_error("no_columns", name=repr(dataset.name))
    target = columns[0] if target is None else target
    if target not in columns:
        raise data_error("unknown_target", column=repr(target), columns=", ".join(columns))
    features = list(dict.fromkeys(features)) or [target]  # drop repeats, keep the order
    unknown = [name for name in features if name not in columns]
    if unknown:
        raise data_error("unknown_features", unknown=", ".join(map(repr, unknown)), columns=", ".join(columns))
    return target, features


def _bounds(rows: int, window: WindowConfig) -> tuple[int, int]:
    val_start = int(round(rows * window.train_fraction))
    test_start = int(round(rows * (window.train_fraction + window.val_fraction)))
    return val_start, test_start


def _fits(rows: int, window: WindowConfig, lag: int = 0) -> bool:
    """Whether each part holds at least one window (none needed in an empty validation part)."""
    val_start, test_start = _bounds(rows, window)
    train_ok = val_start >= lag + window.lookback + window.horizon
    val_ok = window.val_fraction == 0 or test_start - val_start >= window.horizon
    return train_ok and val_ok and rows - test_start >= window.horizon


def _check_rows(rows: int, window: WindowConfig, lag: int = 0) -> None:
    if _fits(rows, window, lag):
        return
    # round(need * train_fraction) >= lag + lookback + horizon gives a lower bound; search up from it
    need = max(rows + 1, math.floor((lag + window.lookback + window.horizon - 1) / window.train_fraction))
    while not _fits(need, window, lag):
        need += 1
    raise data_error("window_rows", rows=rows, lookback=window.lookback, horizon=window.horizon,
                     train_fraction=f"{window.train_fraction:g}", val_fraction=f"{window.val_fraction:g}", need=need)


def _split(all_x: np.ndarray, all_y: np.ndarray, first: int, last: int, window: WindowConfig) -> Split:
    """Windows whose first target row runs from ``first`` to ``last`` (inclusive), every ``stride``."""
    lookback, stride = window.lookback, window.stride
    positions = np.arange(first, last + 1, stride, dtype=np.int64)
    stop = first + len(positions) * stride if len(positions) else first
    x = all_x[first - lookback:stop - lookback:stride]
    y = all_y[first:stop:stride]
    return Split(x=x, y=y, positions=positions)


def make_windows(dataset: Dataset, window: WindowConfig, target: str | None = None,
                 features: Sequence[str] = ()) -> Windows:
    """Cut ``dataset`` into scaled windows split in time (see the module docstring).

    ``target`` defaults to the first column, ``features`` (the input columns, which may
    include the target) to the target alone. Memory tasks (``dataset.sequences``) are split
    by sample instead; see ``sequence_windows``.
    """
    if dataset.sequences is not None:
        return sequence_windows(dataset, window, features)
    target, features = _columns(dataset, target, features)
    frame = dataset.frame.rename(columns=str)  # no copy of the data (copy on write)
    rows = len(frame)
    lag = _lag(window, dataset)
    _check_rows(rows, window, lag)
    val_start, test_start = _bounds(rows, window)

    series = np.empty((rows, len(features)), dtype=np.float32)  # the one copy, C order
    for i, name in enumerate(features):
        series[:, i] = frame[name].to_numpy(dtype=np.float32)
    target_values = frame[target].to_numpy(dtype=np.float32, copy=True)
    for name, column in zip(features, series.T, strict=True):
        if not np.isfinite(column).all():
            raise data_error("not_finite", column=repr(name))
    if not np.isfinite(target_values).all():
        raise data_error("not_finite", column=repr(target))

    y_raw = target_values[:, None].copy()
    if lag:  # the model sees and predicts changes over ``lag`` rows; the first ``lag`` rows have none
        for values in (series, y_raw):
            values[lag:] = values[lag:] - values[:-lag].copy()
            values[:lag] = 0.0
    x_scaler, y_scaler = make_scaler(window.scaler), make_scaler(window.scaler)
    _fit_transform(x_scaler, series, val_start, lag)
    if target in features:
        y_series = series[:, features.index(target)]  # a view: the target is scaled as an input
        if y_scaler is not None:
            _fit(y_scaler, y_raw, val_start, lag)
    else:
        _fit_transform(y_scaler, y_raw, val_start, lag)
        y_series = y_raw[:, 0]

    all_x = sliding_window_view(series, window.lookback, axis=0).transpose(0, 2, 1)  # (n, lookback, f)
    all_y = sliding_window_view(y_series, window.horizon)  # (n, horizon); row p starts at row p
    h = window.horizon
    return Windows(
        train=_split(all_x, all_y, lag + window.lookback, val_start - h, window),
        val=_split(all_x, all_y, val_start, test_start - h, window),
        test=_split(all_x, all_y, test_start, rows - h, window),
        target=target, features=features, lookback=window.lookback, horizon=h,
        bounds=(val_start, test_start), x_scaler=x_scaler, y_scaler=y_scaler, is_sequences=False,
        series=series, target_values=target_values, lag=lag)


def outside_training(windows: Windows) -> dict | None:
    """Where the test part's target leaves the range the training part saw, or None.

    {"side": "above" or "below", "test": the test part's extreme, "train": the training part's}: a
    model seldom predicts levels it never saw (a trend): differencing, or another split, helps.
    """
    if windows.is_sequences:
        return None
    values, (val_start, test_start) = windows.target_values, windows.bounds
    train, test = values[:val_start], values[test_start:]
    if len(train) == 0 or len(test) == 0:
        return None
    margin = 0.05 * float(train.max() - train.min())
    if test.max() > train.max() + margin:
        return {"side": "above", "test": float(test.max()), "train": float(train.max())}
    if test.min() < train.min() - margin:
        return {"side": "below", "test": float(test.min()), "train": float(train.min())}
    return None


TREND_SHARE = 0.8  # a straight line through a series explaining this share of its variance: the series trends


def trend_share(windows: Windows) -> float | None:
    """The share of the target's variance that a straight line through it explains (R²), where it is at least
    TREND_SHARE: the series trends, and a model of its values learns the levels of the training part, not the
    trend. None otherwise."""
    if windows.is_sequences or windows.target_values is None or len(windows.target_values) < 3:
        return None
    values = np.asarray(windows.target_values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or values.std() == 0:
        return None
    share = float(np.corrcoef(np.arange(len(values)), values)[0, 1] ** 2)
    return share if share >= TREND_SHARE else None


def _lag(window: WindowConfig, dataset: Dataset) -> int:
    """How many rows apart the differences are: 0, 1, or the seasonal period (DataError when unknown)."""
    if window.difference == "none":
        return 0
    if window.difference == "first":
        return 1
    period = period_of(dataset)
    if not period:
        raise data_error("no_period_to_difference", name=repr(dataset.name))
    return period


def sequence_windows(dataset: Dataset, window: WindowConfig, features: Sequence[str] = ()) -> Windows:
    """Windows for a memory task: the independent sequences are split by count, in order.

    Each sequence is one window (lookback = its length, so ``window.lookback`` and ``stride``
    do not apply), ``positions`` are sample numbers, and nothing is scaled: the marker
    channel must stay 0 or 1, and the values are already in [0, 1].
    """
    sequences = dataset.sequences
    inputs = np.asarray(sequences.inputs, dtype=np.float32)
    targets = np.asarray(sequences.targets, dtype=np.float32)
    channels = list(sequences.channels)
    features = list(dict.fromkeys(features)) or channels
    unknown = [name for name in features if name not in channels]
    if unknown:
        raise data_error("unknown_channels", unknown=", ".join(map(repr, unknown)), channels=", ".join(channels))
    if features != channels:
        inputs = inputs[:, :, [channels.index(name) for name in features]]
    n = len(inputs)
    val_start, test_start = _bounds(n, window)
    if val_start < 1 or n - test_start < 1 or (window.val_fraction > 0 and test_start == val_start):
        raise data_error("few_sequences", count=n, train_fraction=f"{window.train_fraction:g}",
                         val_fraction=f"{window.val_fraction:g}")

    def part(start: int, stop: int) -> Split:
        return Split(x=inputs[start:stop], y=targets[start:stop],
                     positions=np.arange(start, stop, dtype=np.int64))

    steps = inputs.shape[1]
    return Windows(
        train=part(0, val_start), val=part(val_start, test_start), test=part(test_start, n),
        target="target", features=features, lookback=steps, horizon=targets.shape[1],
        bounds=(val_start, test_start), x_scaler=None, y_scaler=None, is_sequences=True)
