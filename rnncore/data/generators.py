"""Synthetic sequences: periodic waves, noise processes, chaotic systems and memory tasks.

``generate(name, length=..., seed=..., noise=..., **params)`` returns a ``Dataset``. Every
generator draws its randomness from ``numpy.random.default_rng(seed)``: the same seed gives
the same data, another seed other data. So that a user cannot ask for something huge, each
parameter is checked against its bounds, and what they make together (the values a set holds, the
steps an integration takes) against MAX_VALUES and MAX_INTEGRATION_STEPS, before anything is made
(``check_generator``); ``generator_params(name)`` gives their defaults.

The memory tasks ("adding", "copy") are sets of independent sequences, not one series;
their ``Dataset.sequences`` holds them and ``Dataset.frame`` shows sample 0.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from rnncore.data.dataset import Dataset, SequenceSet
from rnncore.errors import Note, config_error, data_error

MAX_LENGTH = 1_000_000
MAX_INTEGRATED_LENGTH = 100_000  # Mackey-Glass and Lorenz step through a Python loop
MAX_SAMPLES = 200_000
MAX_STEPS = 1_000
# What parameters make together, checked before generating anything. At most 2,000,000 values: a memory task
# of that size (or a series of the longest length, 1,000,000) peaks at 32 MB while it is made (measured with
# tracemalloc) and keeps 4 bytes a value (float32, 8 MB), so thirty students of a class generating at once
# stay near 1 GB of a 24 GB server. The defaults and the scenarios make at most 500,000 (adding: 5,000
# samples x 50 steps x 2 channels).
MAX_VALUES = 2_000_000
# Mackey-Glass and Lorenz take their steps one by one in Python, keeping only the samples: 2,000,000 steps
# are 1.4 s (Mackey-Glass) to 1.7 s (Lorenz) of one core, measured here; the defaults take 15,000 and 2,000,
# and the longest series (100,000) fits at their default substeps.
MAX_INTEGRATION_STEPS = 2_000_000
MACKEY_GLASS_WARMUP = 500.0  # time units integrated and dropped before the first sample (the transient)
LORENZ_WARMUP = 10.0  # time units integrated and dropped, so the state lies on the attractor


# --- series -------------------------------------------------------------------------------------
# Each returns (values, period): values (length,) or (length, k) without observation noise;
# period in rows when the series is periodic with a known whole-number period, else None.

def _whole(period: float) -> int | None:
    return int(round(period)) if abs(period - round(period)) < 1e-9 else None


def _sine(rng, *, length, period, amplitude, phase):
    t = np.arange(length)
    return amplitude * np.sin(2 * np.pi * t / period + phase), _whole(period)


def _sum_of_sines(rng, *, length, period1, period2, period3, amplitude1, amplitude2, amplitude3):
    t = np.arange(length)
    waves = [(period1, amplitude1), (period2, amplitude2), (period3, amplitude3)]
    values = sum(a * np.sin(2 * np.pi * t / p) for p, a in waves)
    whole = [_whole(p) for p in (period1, period2, period3)]
    period = math.lcm(*whole) if all(whole) else None
    return values, period if period and period <= length // 4 else None


def _damped(rng, *, length, period, amplitude, damping):
    t = np.arange(length)
    return amplitude * np.exp(-damping * t) * np.sin(2 * np.pi * t / period), None


def _square(rng, *, length, period, amplitude, duty):
    phase = (np.arange(length) / period) % 1.0
    return np.where(phase < duty, amplitude, -amplitude), _whole(period)


def _sawtooth(rng, *, length, period, amplitude):
    phase = (np.arange(length) / period) % 1.0
    return amplitude * (2 * phase - 1), _whole(period)


def _trend_seasonal(rng, *, length, level, slope, period, amplitude):
    t = np.arange(length)
    return level + slope * t + amplitude * np.sin(2 * np.pi * t / period), _whole(period)


def _random_walk(rng, *, length, start, drift, step):
    return start + np.cumsum(drift + step * rng.standard_normal(length)), None


def _ar2(rng, *, length, phi1, phi2, sigma):
    if not (phi1 + phi2 < 1 and phi2 - phi1 < 1 and abs(phi2) < 1):
        raise config_error("ar2_stationary")
    burn_in = 200
    shocks = sigma * rng.standard_normal(length + burn_in)
    x = lfilter([1.0], [1.0, -phi1, -phi2], shocks)  # x[t] = phi1 x[t-1] + phi2 x[t-2] + shock[t]
    return x[burn_in:], None


def _warmup(time: float, step: float) -> int:
    """Samples integrated and dropped before the first one kept: ``time`` time units of ``step`` each."""
    return int(math.ceil(time / step))


def _mackey_glass(rng, *, length, tau, beta, gamma, n, step, substeps):
    """dx/dt = beta x(t-tau) / (1 + x(t-tau)^n) - gamma x(t), integrated by Heun's method
    with ``substeps`` steps per sample; the delayed values lie on the same grid."""
    h = step / substeps
    delay = max(1, int(round(tau / h)))

    def rate(x: float, x_tau: float) -> float:
        return beta * x_tau / (1.0 + x_tau**n) - gamma * x

    # the last delay + 1 values, at first a random constant-ish history; every substeps-th value is a sample
    xs = deque(1.2 + 0.2 * rng.random(delay + 1), maxlen=delay + 1)
    samples = [xs[-1]]
    for i in range(1, (_warmup(MACKEY_GLASS_WARMUP, step) + length) * substeps + 1):
        x, lag, lag_next = xs[-1], xs[0], xs[1]  # x(t), x(t - tau), x(t - tau + h)
        slope = rate(x, lag)
        xs.append(x + 0.5 * h * (slope + rate(x + h * slope, lag_next)))
        if i % substeps == 0:
            samples.append(xs[-1])
    return np.asarray(samples[-length:]), None


def _lorenz(rng, *, length, sigma, rho, beta, dt, substeps):
    """Lorenz (1963), integrated by fourth-order Runge-Kutta, ``substeps`` steps per sample."""
    h = dt / substeps

    def rate(x: float, y: float, z: float) -> tuple[float, float, float]:
        return sigma * (y - x), x * (rho - z) - y, x * y - beta * z

    x, y, z = (1.0 + 0.5 * rng.standard_normal(3)).tolist()
    warmup = _warmup(LORENZ_WARMUP, dt)
    out = np.empty((warmup + length, 3))
    for i in range(warmup + length):
        for _ in range(substeps):
            k1 = rate(x, y, z)
            k2 = rate(x + h / 2 * k1[0], y + h / 2 * k1[1], z + h / 2 * k1[2])
            k3 = rate(x + h / 2 * k2[0], y + h / 2 * k2[1], z + h / 2 * k2[2])
            k4 = rate(x + h * k3[0], y + h * k3[1], z + h * k3[2])
            x += h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            y += h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
            z += h / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
        out[i] = x, y, z
    return out[warmup:], None


# --- memory tasks -----------------------------------------------------------------------------

def _adding(rng, *, steps, samples, noise):
    """The adding problem (Hochreiter & Schmidhuber 1997; Le et al. 2015).

    Channel "value": uniform in [0, 1]. Channel "marker": exactly two 1s, one in the first
    half of the sequence and one in the second. Target: the sum of the two marked values
    (plus Gaussian noise of std ``noise``). Always predicting the mean gives MSE 1/6 = 0.167.
    """
    values = rng.random((samples, steps))
    first = rng.integers(0, steps // 2, samples)
    second = rng.integers(steps // 2, steps, samples)
    marker = np.zeros((samples, steps))
    rows = np.arange(samples)
    marker[rows, first] = marker[rows, second] = 1.0
    target = values[rows, first] + values[rows, second] + noise * rng.standard_normal(samples)
    return np.stack([values, marker], axis=-1), target, ["value", "marker"]


def _copy(rng, *, steps, samples, noise):
    """Delayed recall: remember the first value for ``steps - 1`` steps of distraction.

    Channel "value": a value uniform in [0, 1] at step 0, then ``steps - 1`` distractor values,
    also uniform in [0, 1]. Channel "marker": 1 at step 0, else 0. Target: the value shown at
    step 0 (plus Gaussian noise of std ``noise``). Always predicting the mean gives MSE 1/12.
    """
    values = rng.random((samples, steps))
    marker = np.zeros((samples, steps))
    marker[:, 0] = 1.0
    target = values[:, 0] + noise * rng.standard_normal(samples)
    return np.stack([values, marker], axis=-1), target, ["value", "marker"]


# --- registry ---------------------------------------------------------------------------------

class Size(NamedTuple):
    """What a generator makes, counted from its (checked) parameters before it makes anything."""

    unit: str  # "values" (what the set holds: MAX_VALUES) or "steps" (of an integration: MAX_INTEGRATION_STEPS)
    formula: str  # how it is counted, in the parameters' names and numbers (channels, columns)
    count: Callable[[dict], int]
    lower: tuple[str, ...]  # the parameters that make it smaller


SIZE_LIMITS = MappingProxyType({"values": MAX_VALUES, "steps": MAX_INTEGRATION_STEPS})


def sequences_size(channels: int) -> Size:
    """A set of sequences: samples x steps x channels values."""
    return Size("values", "samples × steps" if channels == 1 else f"samples × steps × {channels}",
                lambda v: v["samples"] * v["steps"] * channels, ("samples", "steps"))


def _series_size(columns: int = 1) -> Size:
    return Size("values", "length" if columns == 1 else f"length × {columns}", lambda v: v["length"] * columns,
                ("length",))


def _integration_size(warmup: float, step: str) -> Size:
    return Size("steps", f"({warmup:g} / {step} + length) × substeps",
                lambda v: (_warmup(warmup, v[step]) + v["length"]) * v["substeps"], ("length", "substeps"))


def check_size(generator: str, sizes: tuple[Size, ...], values: dict) -> None:
    """ConfigError when what ``values`` would make is more than this server generates (SIZE_LIMITS)."""
    for size in sizes:
        count, limit = size.count(values), SIZE_LIMITS[size.unit]
        if count > limit:
            raise config_error(f"gen_too_many_{size.unit}", generator=generator, formula=size.formula,
                               count=f"{count:,}", limit=f"{limit:,}", params=", ".join(size.lower))


class _Spec(NamedTuple):
    function: Any
    description: str
    params: dict  # name -> (default, low, high); an int default makes a whole-number parameter
    columns: tuple[str, ...] = ("value",)
    memory_task: bool = False
    sizes: tuple[Size, ...] = (_series_size(),)  # what it makes, capped before it is made


def _series(noise: float, max_length: int = MAX_LENGTH) -> dict:
    return {"length": (1000, 20, max_length), "noise": (noise, 0.0, 1e3)}


_PERIOD = (50.0, 2.0, 1e5)
_AMPLITUDE = (1.0, 0.0, 1e6)
_MEMORY = {"steps": (50, 2, MAX_STEPS), "samples": (5000, 20, MAX_SAMPLES), "noise": (0.0, 0.0, 10.0)}

_SPECS = MappingProxyType({
    "sine": _Spec(_sine, "A sine wave with Gaussian noise", {
        **_series(0.05), "period": _PERIOD, "amplitude": _AMPLITUDE, "phase": (0.0, -1e3, 1e3)}),
    "sum_of_sines": _Spec(_sum_of_sines, "The sum of three sine waves of different periods", {
        **_series(0.05), "period1": (48.0, 2.0, 1e5), "period2": (16.0, 2.0, 1e5), "period3": (6.0, 2.0, 1e5),
        "amplitude1": _AMPLITUDE, "amplitude2": (0.5, 0.0, 1e6), "amplitude3": (0.25, 0.0, 1e6)}),
    "damped": _Spec(_damped, "A damped oscillation: a sine wave whose amplitude decays exponentially", {
        **_series(0.02), "period": _PERIOD, "amplitude": _AMPLITUDE, "damping": (0.002, 0.0, 1.0)}),
    "square": _Spec(_square, "A square wave (duty: the fraction of each period at +amplitude)", {
        **_series(0.05), "period": _PERIOD, "amplitude": _AMPLITUDE, "duty": (0.5, 0.01, 0.99)}),
    "sawtooth": _Spec(_sawtooth, "A sawtooth wave rising from -amplitude to +amplitude each period", {
        **_series(0.05), "period": _PERIOD, "amplitude": _AMPLITUDE}),
    "trend_seasonal": _Spec(_trend_seasonal, "A linear trend plus a seasonal sine wave plus noise", {
        **_series(0.2), "level": (10.0, -1e6, 1e6), "slope": (0.01, -1e3, 1e3),
        "period": (12.0, 2.0, 1e5), "amplitude": _AMPLITUDE}),
    "random_walk": _Spec(_random_walk, "A Gaussian random walk (cumulative sum of drift + random steps)", {
        **_series(0.0), "start": (0.0, -1e6, 1e6), "drift": (0.0, -1e3, 1e3), "step": (1.0, 0.0, 1e3)}),
    "ar2": _Spec(_ar2, "An AR(2) process x[t] = phi1 x[t-1] + phi2 x[t-2] + sigma e[t]", {
        **_series(0.0), "phi1": (0.6, -2.0, 2.0), "phi2": (-0.3, -1.0, 1.0), "sigma": (1.0, 0.0, 1e3)}),
    "mackey_glass": _Spec(_mackey_glass, "The Mackey-Glass delay differential equation (chaotic at tau 17)", {
        **_series(0.0, MAX_INTEGRATED_LENGTH), "tau": (17.0, 1.0, 100.0), "beta": (0.2, 0.01, 10.0),
        "gamma": (0.1, 0.01, 10.0), "n": (10.0, 1.0, 20.0), "step": (1.0, 0.1, 10.0),
        "substeps": (10, 1, 100)}, sizes=(_series_size(), _integration_size(MACKEY_GLASS_WARMUP, "step"))),
    "lorenz": _Spec(_lorenz, "The Lorenz system (x, y, z), a chaotic attractor", {
        **_series(0.0, MAX_INTEGRATED_LENGTH), "sigma": (10.0, 0.1, 100.0), "rho": (28.0, 0.1, 200.0),
        "beta": (8 / 3, 0.1, 20.0), "dt": (0.02, 0.001, 0.1), "substeps": (2, 1, 100)},
        columns=("x", "y", "z"), sizes=(_series_size(3), _integration_size(LORENZ_WARMUP, "dt"))),
    "adding": _Spec(_adding, "The adding problem: sum the two values marked in a long sequence",
                    _MEMORY, columns=("value", "marker"), memory_task=True, sizes=(sequences_size(2),)),
    "copy": _Spec(_copy, "Delayed recall: repeat the value shown at the first step after a delay",
                  _MEMORY, columns=("value", "marker"), memory_task=True, sizes=(sequences_size(2),)),
})


def list_generators() -> list[str]:
    """Names of all generators, memory tasks ("adding", "copy") included."""
    return list(_SPECS)


def _spec(name: str) -> _Spec:
    if name not in _SPECS:
        raise data_error("unknown_generator", name=repr(name), choices=", ".join(_SPECS))
    return _SPECS[name]


def generator_params(name: str) -> dict[str, float | int]:
    """The parameters ``name`` takes with their defaults (for UI widgets), length and noise included."""
    return {key: default for key, (default, _, _) in _spec(name).params.items()}


def generator_bounds(name: str) -> dict[str, tuple[float, float]]:
    """The allowed range (low, high) of each parameter of ``name``."""
    return {key: (low, high) for key, (_, low, high) in _spec(name).params.items()}


def check_generator(name: str, params: dict) -> dict:
    """Every parameter of ``name`` (from ``params``, else its default), checked one by one and for what they
    make together (``check_size``): ConfigError where ``generate`` would refuse them. The Data page asks
    as values are typed."""
    spec = _spec(name)
    values = {key: check_param(name, key, params.get(key, bounds[0]), bounds) for key, bounds in spec.params.items()}
    check_size(name, spec.sizes, values)
    return values


def describe_generator(name: str) -> str:
    """A one-line description of the generator."""
    return _spec(name).description


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def check_param(generator: str, key: str, value: Any, bounds: tuple) -> float | int:
    default, low, high = bounds
    whole = isinstance(default, int)
    is_number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or (whole and value != int(value)):
        raise config_error("gen_whole" if whole else "gen_finite", param=key, generator=generator, value=repr(value))
    if value < low:
        raise config_error("gen_low", param=key, low=_number(low), generator=generator, value=_number(value))
    if value > high:
        raise config_error("gen_high", param=key, high=_number(high), generator=generator, value=_number(value))
    return int(value) if whole else float(value)


def generate(name: str, length: int | None = None, seed: int = 0, noise: float | None = None,
             **params: Any) -> Dataset:
    """Generate the series (or memory task) ``name``; see ``generator_params(name)`` for parameters.

    ``noise`` is the standard deviation of Gaussian noise added to the series (to the target
    of a memory task). Memory tasks take ``steps`` and ``samples`` instead of ``length``.
    """
    spec = _spec(name)
    given = dict(params)
    for key, value in (("length", length), ("noise", noise)):
        if value is not None:
            given[key] = value
    unknown = [key for key in given if key not in spec.params]
    if unknown:
        key = "gen_unknown_length" if "length" in unknown and spec.memory_task else "gen_unknown"
        raise config_error(key, param=repr(unknown[0]), generator=name, params=", ".join(spec.params))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise config_error("gen_seed", seed=repr(seed))
    values = check_generator(name, given)  # nothing is made before this
    rng = np.random.default_rng(int(seed))
    settings = ", ".join(f"{key}={value:g}" for key, value in values.items())
    notes = []
    notes.append(Note.keyed("generated", name=name, settings=settings, seed=seed))
    description = f"{spec.description} ({settings}, seed={seed})"
    if spec.memory_task:
        inputs, target, channels = spec.function(rng, **values)
        baseline = float(np.var(target))
        sequences = SequenceSet(inputs=inputs.astype(np.float32),
                                targets=target.reshape(-1, 1).astype(np.float32),
                                channels=channels, baseline_mse=baseline)
        frame = pd.DataFrame(sequences.inputs[0], columns=channels)
        notes.append(Note.keyed("sequences", samples=values["samples"], steps=values["steps"],
             target=f"{sequences.targets[0, 0]:.3f}", baseline=f"{baseline:.3f}"))
        return Dataset(frame=frame, name=name, notes=notes, sequences=sequences, description=description)
    noise_std = values.pop("noise")
    signal, period = spec.function(rng, **values)
    signal = np.asarray(signal, dtype=np.float64).reshape(values["length"], len(spec.columns))
    signal = signal + noise_std * rng.standard_normal(signal.shape)
    frame = pd.DataFrame(signal.astype(np.float32), columns=list(spec.columns))
    return Dataset(frame=frame, name=name, notes=notes, description=description, period=period)
