"""Figure builders, checked as data: traces, names, ranges, shapes. Nothing is shown."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnncore.viz.cell_plots import (
    gate_heatmaps_figure,
    grad_through_time_figure,
    histogram_figure,
    pca_2d,
    pca_trajectory_figure,
    saturation_figure,
    saturation_fractions,
)
from rnncore.viz.plots import (
    MAX_POINTS,
    UIREVISION,
    compare_loss_figure,
    downsample,
    ema,
    forecast_figure,
    loss_figure,
    metrics_bar_figure,
    nice_range,
    prediction_figure,
    residual_figure,
    series_figure,
)

ROOT = Path(__file__).resolve().parents[1]


def check_common(fig, title):
    """The look every figure shares, and a spec that serialises (what Streamlit sends)."""
    assert fig.layout.title.text == title
    assert fig.layout.uirevision == UIREVISION
    assert isinstance(fig.layout.height, int) and fig.layout.height > 0
    # a short legend gets its own line under the title; a long one goes to the foot of the figure
    if fig.layout.showlegend and fig.layout.legend.yref == "container":
        assert fig.layout.legend.y == 0.0 and fig.layout.margin.b > 40 and fig.layout.margin.t == 40
    else:
        assert (fig.layout.margin.l, fig.layout.margin.t) == (50, 64 if fig.layout.showlegend else 40)
        if fig.layout.showlegend:
            assert fig.layout.legend.y == 1.0 and fig.layout.legend.yanchor == "bottom"
    assert all(axis.dtick >= 1 for axis in fig.select_yaxes() if axis.type == "log")  # labels on whole decades
    for trace in fig.data:
        assert trace.type != "scattergl"
        if trace.type in ("scatter", "bar") and trace.y is not None and len(trace.y):
            assert isinstance(trace.y, np.ndarray) and trace.y.dtype == np.float32, trace.name
    fig.to_json()


def history(n, scale=1.0):
    return [{"epoch": i + 1, "train_loss": scale / (i + 1), "val_loss": 1.2 * scale / (i + 1)}
            for i in range(n)]


def lstm_like(steps=30, hidden=8, seed=0):
    rng = np.random.default_rng(seed)
    gates = {name: rng.random((steps, hidden)) for name in ("input", "forget", "output")}
    gates["candidate"] = np.tanh(rng.normal(size=(steps, hidden)))
    states = {"h": np.tanh(rng.normal(size=(steps, hidden))), "c": 3 * rng.normal(size=(steps, hidden))}
    return gates, states


def test_downsample_caps_points_and_keeps_both_ends():
    np.testing.assert_array_equal(downsample(10), np.arange(10))
    rows = downsample(100_000)
    assert len(rows) <= MAX_POINTS and rows[0] == 0 and rows[-1] == 99_999
    assert np.all(np.diff(rows) > 0)
    assert len(downsample(50, max_points=7)) == 7
    with pytest.raises(ValueError, match="max_points"):
        downsample(10, max_points=1)


def test_nice_range_moves_only_at_round_numbers():
    assert nice_range([0.3, 0.1]) == [0.0, 0.5]
    assert nice_range([1.2]) == [0.0, 2.0]
    assert nice_range([2.0]) == [0.0, 2.0]
    assert nice_range([-0.3, 0.7]) == [-0.5, 1.0]
    assert nice_range([0.013, 0.9], log_y=True) == [-2.0, 0.0]
    assert nice_range([], log_y=True) == [-2.0, 0.0]
    assert nice_range([np.nan]) == [0.0, 1.0]


def test_series_figure_one_panel_per_column_and_shaded_parts():
    """Issue 12: all columns on one axis squashed the target under a larger column."""
    frame = pd.DataFrame({"a": np.arange(5000.0), "b": np.sin(np.arange(5000.0))})
    fig = series_figure(frame, None, (3000, 4000))
    check_common(fig, "Data")
    assert [t.name for t in fig.data] == ["a", "b"] and [t.yaxis for t in fig.data] == ["y", "y2"]  # own axes
    assert all(t.type == "scatter" and len(t.x) <= MAX_POINTS for t in fig.data)
    assert fig.data[0].y[-1] == 4999.0
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(0, 3000), (3000, 4000), (4000, 4999)] * 2
    assert [a.text for a in fig.layout.annotations] == ["train", "validation", "test"]  # named once
    assert (fig.layout.yaxis.title.text, fig.layout.yaxis2.title.text) == ("a", "b")
    assert fig.layout.xaxis2.title.text == "time" and fig.layout.height > 320
    one = series_figure(frame, ["b"])
    assert (one.layout.xaxis.title.text, one.layout.yaxis.title.text) == ("time", "value")
    many = pd.DataFrame({f"c{i}": np.arange(10.0) for i in range(9)})
    assert len(series_figure(many).data) == 6  # at most six panels


def test_series_figure_dates_labels_and_errors():
    index = pd.date_range("2000-01-01", periods=100, freq="MS")
    frame = pd.DataFrame({"a": np.arange(100.0), "b": 1.0}, index=index)
    fig = series_figure(frame, ["b"], (70, 85), labels={"title": "Daten", "train": "Training"})
    check_common(fig, "Daten")
    assert len(fig.data) == 1 and fig.layout.showlegend is False
    assert fig.layout.shapes[1].x0 == index[70] and fig.layout.shapes[2].x1 == index[99]
    assert fig.layout.annotations[0].text == "Training"
    assert len(series_figure(frame).layout.shapes) == 0
    local = frame.set_axis(index.tz_localize("Europe/Berlin"))  # shading on the same clock as the curve
    shaded = series_figure(local, None, (70, 85))
    assert shaded.layout.shapes[1].x0 == shaded.data[0].x[70]
    assert shaded.data[0].x[0] == np.datetime64("2000-01-01")
    with pytest.raises(ValueError, match="not in the data"):
        series_figure(frame, ["nope"])
    with pytest.raises(ValueError, match="unknown label keys"):
        series_figure(frame, labels={"titel": "x"})


def test_loss_figure_empty_and_single_point():
    for records in ([], history(1)):
        fig = loss_figure(records, epochs=20, log_y=False)
        check_common(fig, "Loss")
        assert [t.name for t in fig.data] == ["train", "validation"]
        assert len(fig.data[0].x) == len(records)
        assert tuple(fig.layout.xaxis.range) == (0, 20)
        assert fig.layout.xaxis.title.text == "epoch"


def test_a_run_without_a_validation_part_gets_no_empty_validation_curve():
    unvalidated = [{**record, "val_loss": None} for record in history(4)]
    alone = loss_figure(unvalidated, epochs=10)
    assert [t.name for t in alone.data] == ["train"] and alone.layout.showlegend  # still says which loss it is
    fig = compare_loss_figure({"#1": unvalidated, "#2": history(4)})
    assert [t.name for t in fig.data] == ["#1 · train", "#2 · validation", "#2 · train"]


def test_loss_figure_log_axis_reference_and_steady_range():
    fig = loss_figure(history(5), epochs=50, log_y=True, reference=0.167)
    check_common(fig, "Loss")
    assert fig.layout.yaxis.type == "log"
    assert tuple(fig.layout.yaxis.range) == (-1.0, 1.0)  # 0.167 .. 1.2 in whole decades
    ref = fig.data[2]
    assert ref.name == "predict the mean"
    np.testing.assert_allclose(ref.y, [0.167, 0.167], rtol=1e-6)
    assert (ref.x[0], ref.x[-1]) == (0, 50)
    # one more epoch with a lower loss does not move the axes
    assert fig.layout.yaxis.range == loss_figure(history(6), 50, True, reference=0.167).layout.yaxis.range
    linear = loss_figure(history(5), epochs=3, log_y=False)
    assert linear.layout.yaxis.type == "linear" and tuple(linear.layout.yaxis.range) == (0.0, 2.0)
    assert tuple(linear.layout.xaxis.range) == (0, 5)  # stepped past the planned epochs


def test_loss_figure_reads_records_with_attributes_and_missing_values():
    class Record:
        def __init__(self, epoch, train_loss, val_loss):
            self.epoch, self.train_loss, self.val_loss = epoch, train_loss, val_loss

    fig = loss_figure([Record(1, 0.5, None), Record(2, 0.4, 0.45)], epochs=10)
    np.testing.assert_allclose(fig.data[0].y, [0.5, 0.4], rtol=1e-6)
    assert np.isnan(fig.data[1].y[0]) and fig.data[1].y[1] == np.float32(0.45)


def test_ema_debiased_and_validated():
    np.testing.assert_allclose(ema([1.0, 0.0], 0.5), [1.0, 1 / 3])
    np.testing.assert_allclose(ema([3.0, 1.0, 2.0], 0.0), [3.0, 1.0, 2.0])
    out = ema([1.0, np.nan, 1.0], 0.9)
    assert np.isnan(out[1]) and out[2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="smoothing"):
        ema([1.0], 1.0)


def test_compare_loss_figure_overlays_runs():
    fig = compare_loss_figure({"lstm": history(10), "gru": history(4, 2.0)}, log_y=True, smoothing=0.6)
    check_common(fig, "Loss of the runs")
    names = [t.name for t in fig.data]
    assert names == ["lstm · validation", "lstm · train", "gru · validation", "gru · train"]
    assert [t.line.dash for t in fig.data] == ["solid", "dot", "solid", "dot"]
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color
    assert fig.layout.yaxis.type == "log" and tuple(fig.layout.xaxis.range) == (0, 10)
    np.testing.assert_allclose(fig.data[1].y, ema([r["train_loss"] for r in history(10)], 0.6), rtol=1e-6)
    with pytest.raises(ValueError, match="smoothing"):
        compare_loss_figure({"a": history(3)}, smoothing=1.5)


def test_prediction_figure_traces_and_clipped_shading():
    index = np.arange(100, 200)
    truth = np.sin(index / 5.0)
    fig = prediction_figure(index, truth, {"model": truth + 0.1, "persistence": np.roll(truth, 1)},
                            bounds=(150, 180))
    check_common(fig, "Predictions")
    assert [t.name for t in fig.data] == ["truth", "model", "persistence"]
    assert [(s.x0, s.x1) for s in fig.layout.shapes] == [(100, 150), (150, 180), (180, 199)]
    # only the later parts plotted: the train part is empty and not drawn
    assert len(prediction_figure(index, truth, {"model": truth}, bounds=(50, 150)).layout.shapes) == 2
    long = prediction_figure(np.arange(10_000), np.zeros(10_000), {"model": np.ones((10_000, 1))})
    assert all(len(t.y) <= MAX_POINTS for t in long.data) and long.data[1].y[0] == 1.0


def test_residual_figure_zero_line_and_histogram():
    residuals = np.random.default_rng(0).normal(size=500)
    fig = residual_figure(np.arange(500), residuals)
    check_common(fig, "Residuals")
    assert [t.type for t in fig.data] == ["scatter", "bar"]
    assert fig.data[1].x.sum() == 500  # every residual counted once
    assert any(s.y0 == 0 and s.y1 == 0 for s in fig.layout.shapes)
    with pytest.raises(ValueError, match="shape"):
        residual_figure(np.arange(5), np.zeros((5, 2)))


def test_forecast_figure_joins_the_series():
    hist_x, hist_y = np.arange(50), np.arange(50.0)
    forecasts = {"recursive": np.ones(10), "direct": np.zeros(10)}
    fig = forecast_figure(hist_x, hist_y, np.arange(50, 60), forecasts)
    check_common(fig, "Forecast")
    assert [t.name for t in fig.data] == ["series", "recursive", "direct"]
    assert len(fig.data[1].x) == 11 and fig.data[1].x[0] == 49 and fig.data[1].y[0] == 49.0
    assert fig.layout.shapes[0].x0 == 49  # the line where the forecast begins


def test_metrics_bar_figure_shows_a_baseline_that_beats_the_model():
    metrics = {"model": {"rmse": 1.0}, "persistence": {"rmse": 0.5}, "linear": {"rmse": 2.0},
               "seasonal_naive": {"rmse": float("nan")}}
    fig = metrics_bar_figure(metrics, "rmse")
    check_common(fig, "Test rmse")
    assert tuple(fig.layout.xaxis.categoryarray) == ("persistence", "model", "linear")
    groups = {t.name: tuple(t.x) for t in fig.data}
    assert groups == {"model": ("model",), "better than the model": ("persistence",), "baseline": ("linear",)}
    assert fig.data[0].marker.color != fig.data[1].marker.color != fig.data[2].marker.color
    r2 = metrics_bar_figure({"model": {"r2": 0.9}, "linear": {"r2": 0.5}}, "r2")
    assert tuple(r2.layout.xaxis.categoryarray) == ("model", "linear")  # higher is better
    assert {t.name for t in r2.data} == {"model", "baseline"}


def test_histogram_figure_shares_bins():
    rng = np.random.default_rng(0)
    values = {"layer 0": rng.normal(size=1000), "head": 3 * rng.normal(size=40)}
    fig = histogram_figure(values, "Weights", bins=30)
    check_common(fig, "Weights")
    assert [t.type for t in fig.data] == ["bar", "bar"] and fig.layout.barmode == "overlay"
    np.testing.assert_array_equal(fig.data[0].x, fig.data[1].x)
    assert len(fig.data[0].x) == 30 and all(t.opacity == 0.5 for t in fig.data)
    for trace in fig.data:
        assert trace.y.sum() == pytest.approx(1.0, abs=1e-5)
    histogram_figure({"empty": np.array([])}, "Nothing").to_json()


def test_gate_heatmaps_lstm_rows_and_ranges():
    gates, states = lstm_like()
    fig = gate_heatmaps_figure(gates, np.random.default_rng(1).normal(size=30), states)
    check_common(fig, "Inside the layer")
    assert fig.data[0].type == "scatter" and fig.data[0].name == "input"
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert [t.name for t in heat] == ["input", "forget", "output", "candidate", "h", "c"]
    assert heat[0].z.dtype == np.float32 and heat[0].z.shape == (8, 30)  # (hidden, time)
    ranges = {t.name: (fig.layout[t.coloraxis].cmin, fig.layout[t.coloraxis].cmax) for t in heat}
    assert ranges["input"] == ranges["forget"] == ranges["output"] == (0.0, 1.0)
    assert heat[0].coloraxis == heat[1].coloraxis == heat[2].coloraxis  # one colourbar for gates
    assert ranges["candidate"] == ranges["h"] == (-1.0, 1.0)
    level = np.percentile(np.abs(states["c"]), 99)
    assert ranges["c"] == pytest.approx((-level, level))
    assert "clipped" in fig.layout[heat[5].coloraxis].colorbar.title.text
    assert len({t.xaxis for t in fig.data}) == 7  # one row each, on a shared time axis
    assert tuple(fig.layout.xaxis.range) == (-0.5, 29.5)


def test_gate_heatmaps_plain_rnn_and_height_scales():
    _, states = lstm_like()
    relu_h = {"h": 5 * states["c"]}
    fig = gate_heatmaps_figure({}, np.zeros((30, 2)), relu_h, state_limits={})
    assert [t.type for t in fig.data] == ["scatter", "scatter", "heatmap"]
    assert fig.layout.coloraxis.cmax == pytest.approx(np.percentile(np.abs(relu_h["h"]), 99))
    gates, states = lstm_like()
    full = gate_heatmaps_figure(gates, np.zeros(30), states)
    assert full.layout.height > fig.layout.height
    with pytest.raises(ValueError, match=r"\(time, hidden\)"):
        gate_heatmaps_figure({"input": np.zeros((2, 30, 8))}, None, {})


def test_saturation_fractions_known_input():
    values = np.array([[0.05, 0.5, 0.99],
                       [0.05, 0.5, 0.99],
                       [0.50, 0.5, 0.99],
                       [0.95, 0.5, 0.99]])
    left, right = saturation_fractions(values)
    np.testing.assert_allclose(left, [0.5, 0.0, 0.0])
    np.testing.assert_allclose(right, [0.25, 0.0, 1.0])
    left3, _ = saturation_fractions(values.reshape(2, 2, 3))  # (batch, time, hidden) too
    np.testing.assert_allclose(left3, left)


def test_saturation_figure_one_scatter_per_gate_with_diagonal():
    gates, _ = lstm_like()
    del gates["candidate"]
    fig = saturation_figure(gates)
    check_common(fig, "Gate saturation")
    assert [t.name for t in fig.data] == ["input", "forget", "output"]
    assert all(t.mode == "markers" and len(t.x) == 8 for t in fig.data)
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.yaxis.range) == (0, 1)
    line = fig.layout.shapes[0]
    assert (line.x0, line.y0, line.x1, line.y1) == (0, 1, 1, 0)


def test_grad_through_time_figure():
    grad = np.r_[0.0, np.logspace(-4, 0, 11)]  # oldest step first
    fig = grad_through_time_figure(grad)
    check_common(fig, "Gradient through time")
    assert fig.layout.yaxis.type == "log"
    assert fig.data[0].x[0] == 12 and fig.data[0].x[-1] == 1  # steps back from the output
    assert np.isnan(fig.data[0].y[0])  # a zero cannot be drawn on a log axis
    assert tuple(fig.layout.xaxis.range) == (12.5, 0.5)
    assert fig.layout.xaxis.title.text == "steps before the output"
    many = grad_through_time_figure({"epoch 1": grad, "epoch 5": grad[-6:]}, log_y=False)
    assert [t.name for t in many.data] == ["epoch 1", "epoch 5"] and many.layout.yaxis.type == "linear"
    assert many.data[0].y[0] == 0.0 and many.data[1].x[0] == 6  # zero kept on a linear axis


def test_pca_2d_shapes_and_edge_cases():
    rng = np.random.default_rng(0)
    points, (first, second) = pca_2d(rng.normal(size=(40, 6)))
    assert points.shape == (40, 2) and points.dtype == np.float32
    assert 0 < second <= first and first + second <= 1
    line = np.outer(np.arange(20.0), [1.0, 2.0, -1.0])
    _, explained = pca_2d(line)
    assert explained[0] == pytest.approx(1.0)
    one, explained = pca_2d(rng.normal(size=(10, 1)))
    assert one.shape == (10, 2) and np.all(one[:, 1] == 0) and explained == (pytest.approx(1.0), 0.0)
    for flat in (np.ones((10, 4)), rng.normal(size=(1, 4))):
        points, explained = pca_2d(flat)
        assert np.all(points == 0) and explained == (0.0, 0.0)
    with pytest.raises(ValueError, match=r"\(time, hidden\)"):
        pca_2d(np.zeros((2, 3, 4)))


def test_pca_trajectory_figure():
    points, explained = pca_2d(np.cumsum(np.random.default_rng(0).normal(size=(30, 5)), axis=0))
    fig = pca_trajectory_figure(points, explained)
    check_common(fig, "Hidden state trajectory (PCA)")
    assert [t.name for t in fig.data][2:] == ["start", "end"]
    np.testing.assert_array_equal(fig.data[1].marker.color, np.arange(30, dtype=np.float32))
    assert fig.data[2].x[0] == points[0, 0] and fig.data[3].y[0] == points[-1, 1]
    assert fig.layout.xaxis.title.text == f"PC 1 ({explained[0]:.0%})"
    assert len(pca_trajectory_figure(np.zeros((0, 2)), (0.0, 0.0)).data) == 2
    with pytest.raises(ValueError, match=r"\(time, 2\)"):
        pca_trajectory_figure(np.zeros((5, 3)), (0.5, 0.2))


def test_split_labels_never_print_over_each_other():
    frame = pd.DataFrame({"v": np.arange(100, dtype=np.float32)})
    fig = series_figure(frame, bounds=(96, 98))  # two narrow parts at the end
    shifts = [a.yshift or 0 for a in fig.layout.annotations]
    assert len(shifts) == 3 and len(set(shifts)) == 3


@pytest.mark.parametrize("freq, hover, label", [("YS", "%Y", "1970"), ("QS", "%Y Q%q", "1970 Q1"),
                                                ("MS", "%Y-%m", "1970-01"), ("D", "%Y-%m-%d", "1970-01-01")])
def test_dates_show_at_their_own_resolution(freq, hover, label):
    """Issue 12: quarterly and yearly dates showed as 1970-01-01 00:00:00 in tables and hovers."""
    from rnncore.data.dataset import time_labels
    from rnncore.viz.plots import prediction_figure, residual_figure

    index = pd.date_range("1970-01-01", periods=30, freq=freq)
    values = np.arange(30.0)
    assert prediction_figure(index, values, {"model": values}).layout.xaxis.hoverformat == hover
    assert residual_figure(index, values).layout.xaxis.hoverformat == hover
    assert series_figure(pd.DataFrame({"v": values}, index=index)).layout.xaxis.hoverformat == hover
    assert time_labels(index)[0] == label
    assert prediction_figure(np.arange(30), values, {"model": values}).layout.xaxis.hoverformat is None


def test_twelve_runs_get_twelve_colours():
    from rnncore.viz.plots import compare_loss_figure

    runs = {f"run {i}": [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.0}] for i in range(12)}
    colours = [t.line.color for t in compare_loss_figure(runs).data if t.name.endswith("validation")]
    assert len(set(colours)) == 12


def test_a_quiet_tanh_state_still_shows_colour_and_titles_do_not_overlap():
    """Issue 12: a 64-unit heatmap nearly white; the RNN's two row titles printed over each other."""
    quiet = {"h": 0.05 * np.tanh(np.random.default_rng(0).normal(size=(24, 64)))}
    fig = gate_heatmaps_figure({}, np.zeros(24), quiet)
    axis = fig.layout[fig.data[-1].coloraxis]
    assert (axis.cmin, axis.cmax) == (-0.1, 0.1) and axis.colorbar.title.text == "±0.1"
    rows = [fig.layout[f"yaxis{k}" if k > 1 else "yaxis"].domain for k in (1, 2)]
    row_pixels = [(top - bottom) * (fig.layout.height - 100) for bottom, top in rows]
    assert min(row_pixels) >= 100  # room for a title of about 15 characters, turned on its side


def test_a_relu_candidate_above_1_gets_a_colour_range_that_holds_it():
    """Found by the soak: an LSTM with relu has a candidate gate above 1, and the ±1 range had no step for it
    (the Inside page failed with StopIteration)."""
    rng = np.random.default_rng(1)
    gates = {"candidate": 4 * np.abs(rng.normal(size=(24, 8)))}  # relu: unbounded
    fig = gate_heatmaps_figure(gates, np.zeros(24), {}, signed_gates=("candidate",))
    axis = fig.layout[fig.data[-1].coloraxis]
    assert axis.cmax >= np.percentile(gates["candidate"], 99) > 1 and axis.cmin == -axis.cmax


EVIL = '<a href="//e.vil">x</a> & <img src=x onerror=alert(1)>'  # a column, run, class or display name


def hostile_figures():
    """Every builder, given hostile text wherever a name from a user reaches it (data, labels, run names)."""
    from rnncore.viz.class_plots import confusion_figure, misclassified_figure
    from rnncore.viz.text_views import coloured_text_figure

    labels = {"title": EVIL}
    gates, states = lstm_like()
    rng = np.random.default_rng(0)
    return {
        "series": series_figure(pd.DataFrame({EVIL: np.arange(50.0), "b": np.ones(50)}), None, (30, 40),
                                labels={"title": EVIL, "train": EVIL}),
        "loss": loss_figure(history(5), 10, labels={"title": EVIL, "train": EVIL}),
        "compare": compare_loss_figure({EVIL: history(5), "b": history(3)}, labels=labels),
        "prediction": prediction_figure(np.arange(20), np.zeros(20), {EVIL: np.ones(20)}, labels=labels),
        "residual": residual_figure(np.arange(20), rng.normal(size=20), labels=labels),
        "forecast": forecast_figure(np.arange(10), np.zeros(10), np.arange(10, 15), {EVIL: np.ones(5)},
                                    labels=labels),
        "bars": metrics_bar_figure({"model": {"rmse": 1.0}, EVIL: {"rmse": 2.0}}, "rmse", labels=labels),
        "histogram": histogram_figure({EVIL: rng.normal(size=30)}, EVIL),
        "gates": gate_heatmaps_figure(gates, rng.normal(size=(30, 2)), states, input_names=[EVIL, "b"]),
        "saturation": saturation_figure(gates, labels=labels),
        "grad": grad_through_time_figure(rng.random(20), labels=labels),
        "pca": pca_trajectory_figure(*pca_2d(states["h"]), labels=labels),
        "confusion": confusion_figure(np.array([[3, 1], [0, 4]]), [EVIL, "b"], labels=labels),
        "misclassified": misclassified_figure(rng.normal(size=(4, 10)), [(1, EVIL, "b")], labels=labels),
        "text": coloured_text_figure(EVIL * 3, rng.uniform(-1, 1, len(EVIL) * 3), labels=labels),
    }


@pytest.mark.parametrize("name", list(hostile_figures()))
def test_a_name_from_a_user_is_plain_text_in_every_figure(name):
    """Plotly reads <a href>, <b>, <span style> in every text: a name must reach the figure escaped."""
    spec = hostile_figures()[name].to_json()
    for markup in ("<a ", "<img", "</a>"):
        assert markup not in spec, (name, markup)
    assert "&lt;a href=" in spec or "&lt;" in spec, name  # the name is there, escaped


def test_escaping_keeps_the_builders_line_breaks_and_is_done_once():
    from rnncore.viz.plots import plain

    assert plain("a<br>b <extra></extra>") == "a<br>b <extra></extra>"
    assert plain("x & <b>") == "x &amp; &lt;b&gt;" == plain(plain("x & <b>"))
    assert plain(["<i>", 1.5, None]) == ["&lt;i&gt;", 1.5, None]
    numbers = np.arange(3.0)
    assert plain(numbers) is numbers


def test_the_parts_labels_sit_on_a_ground_of_their_own_so_no_curve_overprints_them():
    fig = series_figure(pd.DataFrame({"a": np.sin(np.arange(200.0))}), None, (140, 170))
    labels = [a for a in fig.layout.annotations if a.text in ("train", "validation", "test")]
    assert len(labels) == 3 and all(a.bgcolor for a in labels)
