"""Synthetic series and memory tasks: reproducible, validated, and what they claim to be."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from rnncore.config import ConfigError
from rnncore.data import DataError, Dataset
from rnncore.data.generators import (
    MAX_INTEGRATION_STEPS,
    MAX_VALUES,
    check_generator,
    describe_generator,
    generate,
    generator_params,
    list_generators,
)
from rnncore.data.labelled import LABELLED_GENERATORS, generate_labelled, load_labelled
from rnncore.data.sources import load_source

SERIES = ["sine", "sum_of_sines", "damped", "square", "sawtooth", "trend_seasonal", "random_walk",
          "ar2", "mackey_glass", "lorenz"]
MEMORY = ["adding", "copy"]


def small(name: str, seed: int = 0) -> Dataset:
    size = {"samples": 200} if name in MEMORY else {"length": 300}
    return generate(name, seed=seed, **size)


def test_list_has_every_generator():
    assert list_generators() == SERIES + MEMORY


@pytest.mark.parametrize("name", SERIES + MEMORY)
def test_same_seed_same_data_other_seed_other_data(name):
    a, b, c = small(name, seed=1), small(name, seed=1), small(name, seed=2)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert not np.allclose(a.frame.to_numpy(), c.frame.to_numpy())
    if name in MEMORY:
        np.testing.assert_array_equal(a.sequences.inputs, b.sequences.inputs)
        assert not np.array_equal(a.sequences.targets, c.sequences.targets)


@pytest.mark.parametrize("name", SERIES)
def test_series_shape_index_and_description(name):
    dataset = generate(name, length=300)
    assert isinstance(dataset.frame.index, pd.RangeIndex)
    assert len(dataset.frame) == 300
    assert dataset.sequences is None
    assert np.isfinite(dataset.frame.to_numpy()).all()
    assert dataset.frame.to_numpy().std() > 0.01
    assert name in dataset.notes[0] and "length=300" in dataset.notes[0]
    assert describe_generator(name) in dataset.description
    assert list(dataset.frame.columns) == (["x", "y", "z"] if name == "lorenz" else ["value"])


@pytest.mark.parametrize("name", SERIES + MEMORY)
def test_params_are_the_defaults(name):
    params = generator_params(name)
    assert params and all(isinstance(v, (int, float)) for v in params.values())
    size = {"samples": 50} if name in MEMORY else {"length": 200}
    explicit = generate(name, **{**params, **size})
    pd.testing.assert_frame_equal(explicit.frame, generate(name, **size).frame)
    assert explicit.notes == generate(name, **size).notes


def test_sine_has_its_period_amplitude_and_noise():
    dataset = generate("sine", length=400, period=40, amplitude=3, noise=0)
    values = dataset.frame["value"].to_numpy()
    assert dataset.period == 40
    np.testing.assert_allclose(values[:360], values[40:400], atol=1e-5)
    assert values.max() == pytest.approx(3, abs=1e-3)
    assert generate("sine", period=12.5).period is None
    noisy = generate("sine", length=5000, noise=0.5).frame["value"].to_numpy()
    clean = np.sin(2 * np.pi * np.arange(5000) / 50)
    assert np.std(noisy - clean) == pytest.approx(0.5, rel=0.05)


def test_square_and_sawtooth_shapes():
    square = generate("square", length=200, period=20, duty=0.25, noise=0).frame["value"]
    assert set(square.unique()) == {-1.0, 1.0}
    assert (square == 1).mean() == pytest.approx(0.25)
    saw = generate("sawtooth", length=200, period=20, noise=0).frame["value"].to_numpy()
    assert saw.min() == pytest.approx(-1) and saw.max() < 1
    assert (np.diff(saw) < 0).sum() == 9  # one drop per period


def test_trend_and_random_walk():
    trend = generate("trend_seasonal", length=1200, slope=0.5, noise=0).frame["value"].to_numpy()
    assert np.polyfit(np.arange(1200), trend, 1)[0] == pytest.approx(0.5, rel=0.01)
    walk = generate("random_walk", length=2000, step=1.0).frame["value"].to_numpy()
    assert np.std(np.diff(walk)) == pytest.approx(1.0, rel=0.1)


def test_ar2_follows_its_recursion():
    x = generate("ar2", length=5000, phi1=0.6, phi2=-0.3).frame["value"].to_numpy().astype(np.float64)
    design = np.column_stack([x[1:-1], x[:-2]])
    phi, *_ = np.linalg.lstsq(design, x[2:], rcond=None)
    np.testing.assert_allclose(phi, [0.6, -0.3], atol=0.05)
    with pytest.raises(ConfigError, match="not stationary"):
        generate("ar2", phi1=0.9, phi2=0.5)


def test_mackey_glass_is_bounded_and_chaotic():
    x = generate("mackey_glass", length=1500).frame["value"].to_numpy()
    assert 0.2 < x.min() and x.max() < 1.6
    assert x.std() > 0.15
    peaks = x[1:-1][(x[1:-1] > x[:-2]) & (x[1:-1] > x[2:])]
    assert len(peaks) > 20 and peaks.std() > 0.02  # peaks of varying height: not a limit cycle
    other = generate("mackey_glass", length=1500, seed=1).frame["value"].to_numpy()
    assert np.abs(x[-500:] - other[-500:]).mean() > 0.05  # nearby starts end far apart


def test_mackey_glass_settles_on_its_fixed_point_when_the_delay_is_short():
    # with a short delay the equation has the stable fixed point x* = (beta / gamma - 1) ** (1 / n)
    x = generate("mackey_glass", length=100, tau=2, beta=0.3).frame["value"].to_numpy()
    np.testing.assert_allclose(x, 2 ** 0.1, rtol=1e-5)


def test_lorenz_integration_does_not_depend_on_the_step_size():
    coarse = generate("lorenz", length=100, substeps=2).frame.to_numpy()
    fine = generate("lorenz", length=100, substeps=8).frame.to_numpy()
    np.testing.assert_allclose(coarse, fine, atol=0.05)


def test_lorenz_has_three_columns_on_the_attractor():
    frame = generate("lorenz", length=3000).frame
    assert list(frame.columns) == ["x", "y", "z"]
    assert frame["x"].min() < -10 and frame["x"].max() > 10  # visits both wings
    assert 0 < frame["z"].min() and frame["z"].max() < 60
    assert (np.diff(np.sign(frame["x"].to_numpy())) != 0).sum() > 5


def test_adding_problem_target_is_the_sum_of_the_marked_values():
    dataset = generate("adding", steps=30, samples=4000)
    seqs = dataset.sequences
    assert seqs.inputs.shape == (4000, 30, 2) and seqs.inputs.dtype == np.float32
    assert seqs.targets.shape == (4000, 1)
    assert seqs.channels == ["value", "marker"]
    values, marker = seqs.inputs[..., 0], seqs.inputs[..., 1]
    assert (marker.sum(axis=1) == 2).all()
    assert (marker[:, :15].sum(axis=1) == 1).all()  # one marker in each half
    assert values.min() >= 0 and values.max() <= 1
    np.testing.assert_allclose(seqs.targets[:, 0], (values * marker).sum(axis=1), atol=1e-6)
    mean_mse = np.mean((seqs.targets - seqs.targets.mean()) ** 2)
    assert mean_mse == pytest.approx(1 / 6, abs=0.01)
    assert seqs.baseline_mse == pytest.approx(mean_mse, rel=1e-4)
    np.testing.assert_array_equal(dataset.frame.to_numpy(), seqs.inputs[0])


def test_copy_task_target_is_the_first_value():
    seqs = generate("copy", steps=20, samples=3000).sequences
    assert seqs.inputs.shape == (3000, 20, 2)
    np.testing.assert_array_equal(seqs.targets[:, 0], seqs.inputs[:, 0, 0])
    assert (seqs.inputs[:, 0, 1] == 1).all() and (seqs.inputs[:, 1:, 1] == 0).all()
    assert seqs.inputs[:, 1:, 0].std() > 0.2  # distractors, not zeros
    assert seqs.baseline_mse == pytest.approx(1 / 12, abs=0.01)


def test_memory_task_noise_goes_to_the_target():
    clean = generate("adding", samples=100).sequences
    noisy = generate("adding", samples=100, noise=0.1).sequences
    np.testing.assert_array_equal(clean.inputs, noisy.inputs)
    assert np.std(noisy.targets - clean.targets) == pytest.approx(0.1, rel=0.3)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "sine", "length": 10}, "length must be at least 20"),
    ({"name": "sine", "length": 2_000_000}, "length must be at most 1,000,000 for sine"),
    ({"name": "mackey_glass", "length": 500_000}, "length must be at most 100,000 for mackey_glass"),
    ({"name": "sine", "foo": 1}, "unknown parameter 'foo' for sine; it takes: length, noise, period"),
    ({"name": "adding", "length": 100}, "set steps and samples instead of length"),
    ({"name": "sine", "period": 1}, "period must be at least 2"),
    ({"name": "sine", "noise": -1}, "noise must be at least 0"),
    ({"name": "sine", "period": "long"}, "period must be a finite number"),
    ({"name": "sine", "period": float("nan")}, "period must be a finite number"),
    ({"name": "adding", "steps": 2.5}, "steps must be a whole number"),
    ({"name": "adding", "samples": 10_000_000}, "samples must be at most"),
    ({"name": "sine", "seed": -1}, "seed must be a non-negative whole number"),
])
def test_bad_parameters_say_what_to_change(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        generate(**kwargs)


def test_unknown_generator_lists_the_names():
    with pytest.raises(DataError, match="unknown generator 'sinus'; choose one of: sine, sum_of_sines"):
        generate("sinus")
    with pytest.raises(DataError):
        generator_params("sinus")


def test_whole_number_floats_are_accepted_for_counts():
    assert generate("adding", steps=20.0, samples=50).sequences.inputs.shape == (50, 20, 2)


def _peak_bytes(call) -> tuple[Exception | None, int]:
    """What ``call()`` raised (or None) and the most memory it held at once, measured by tracemalloc."""
    tracemalloc.start()
    try:
        call()
    except Exception as exc:  # the caller checks what it is
        return exc, tracemalloc.get_traced_memory()[1]
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return None, peak


@pytest.mark.parametrize("call", [
    lambda: generate("adding", steps=1000, samples=200_000),
    lambda: load_source("synthetic:adding", {"steps": 1000, "samples": 200_000}),
    lambda: load_source("synthetic:copy", {"steps": 1000, "samples": 200_000}),
])
def test_a_memory_task_too_big_to_make_is_refused_before_anything_is_made(call):
    """The crafted link's settings (400,000,000 values, gigabytes) are refused, naming the product and the cap,
    with nothing allocated."""
    error, peak = _peak_bytes(call)
    assert isinstance(error, ConfigError) and error.key == "gen_too_many_values", error
    assert "samples × steps × 2 = 400,000,000 values" in str(error) and f"{MAX_VALUES:,}" in str(error)
    assert peak < 1_000_000, f"{peak:,} bytes held to refuse it"


def test_an_integration_too_long_to_take_is_refused_before_it_starts():
    error, peak = _peak_bytes(lambda: generate("mackey_glass", length=100_000, substeps=100))
    assert isinstance(error, ConfigError) and error.key == "gen_too_many_steps", error
    assert "(500 / step + length) × substeps = 10,050,000 integration steps" in str(error)
    assert f"{MAX_INTEGRATION_STEPS:,}" in str(error) and peak < 1_000_000
    with pytest.raises(ConfigError, match="10 / dt"):  # its warm-up counts: a tiny dt takes many steps
        generate("lorenz", length=20_000, dt=0.001, substeps=100)


def test_a_labelled_set_too_big_to_make_is_refused_before_anything_is_made():
    error, peak = _peak_bytes(lambda: load_labelled("synthetic:sign_memory", params={"samples": 100_000,
                                                                                      "steps": 1000}))
    assert isinstance(error, ConfigError) and "samples × steps = 100,000,000 values" in str(error), error
    assert peak < 1_000_000


def test_the_defaults_the_scenarios_and_the_longest_series_are_within_the_caps():
    from rnncore.lab.scenarios import SCENARIOS

    for name in list_generators():
        check_generator(name, {})
    for name, length in (("sine", 1_000_000), ("mackey_glass", 100_000), ("lorenz", 100_000)):
        check_generator(name, {"length": length})  # the longest series, at the other defaults
    configs = [config for scenario in SCENARIOS for config in scenario.configs]
    for config in configs:
        name = config.data.source.partition(":")[2]
        if config.data.kind == "synthetic" and config.data.task == "forecast":
            check_generator(name, config.data.params)
        elif config.data.kind == "synthetic":  # labelled sequences
            generate_labelled(name, **config.data.params)
    for name in LABELLED_GENERATORS:
        generate_labelled(name)
