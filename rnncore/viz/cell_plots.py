"""Plotly figure builders for the inside of a network: gates, saturation, gradients, weights, PCA.

Same rules as ``rnncore.plots`` (pure functions, float32 traces, fixed ranges, every
visible text an argument). Gates are sigmoids, drawn on a fixed 0..1 colour range;
tanh states on -1..1; unbounded states (relu, the LSTM cell state c) on a symmetric
range from the data, clipped, which the colourbar says.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnncore.viz.plots import MAX_POINTS, PALETTE, downsample, f32, nice_range, style, text

GATE_SCALE, STATE_SCALE = "Viridis", "RdBu_r"


TANH_STEPS = (0.1, 0.2, 0.5, 1.0)  # a tanh state's colour range: the smallest of these that holds its values


def _tanh_limit(arrays) -> float:
    """L for a colour range [-L, L] of values bounded by 1: small values (a 64-unit state near 0) still show
    colour; L moves only between a few round numbers, so a chart redrawn live does not flicker. Values above 1
    (a candidate through relu, unbounded) get a range of their own: L is their level."""
    finite = [np.abs(a[np.isfinite(a)]) for a in arrays]
    level = max((float(np.percentile(f, 99)) for f in finite if f.size), default=1.0)
    return next((step for step in TANH_STEPS if level <= step * 1.000001), level)


def _state_limit(values: np.ndarray) -> float:
    """L for a colour range [-L, L] from the data: the 99th percentile of |values| (1 if all zero)."""
    finite = np.abs(values[np.isfinite(values)])
    level = float(np.percentile(finite, 99)) if finite.size else 0.0
    return level if level > 0 else 1.0


def _colorbar(fig: go.Figure, rows: list[int], title: str) -> dict:
    """A colourbar beside the rows that use it."""
    top, bottom = fig.get_subplot(rows[0], 1).yaxis.domain, fig.get_subplot(rows[-1], 1).yaxis.domain
    length = top[1] - bottom[0]
    return {"title": {"text": title, "side": "right"}, "y": (top[1] + bottom[0]) / 2,
            "len": length, "yanchor": "middle", "thickness": 12, "nticks": 3 if length < 0.25 else 6}


def gate_heatmaps_figure(gates: Mapping[str, np.ndarray], input_series: np.ndarray | None,
                         states: Mapping[str, np.ndarray], *, input_names: list[str] | None = None,
                         signed_gates: Collection[str] = ("candidate",),
                         state_limits: Mapping[str, float | None] | None = None,
                         labels: Mapping[str, str] | None = None, row_height: int = 110,
                         max_steps: int = MAX_POINTS) -> go.Figure:
    """One sequence through one layer: the input on top, then one heatmap per gate and per state.

    ``gates`` and ``states`` map a (shown) name to an array (time, hidden), e.g.
    ``trace.gates[layer]["forget"][0].numpy()``. A plain RNN has no gates: pass ``{}``.
    Rows: sigmoid gates, then ``signed_gates`` (tanh, e.g. the candidate), then states, so
    rows that share a colourbar stand together: sigmoid gates fixed to 0..1, signed
    gates and states with limit 1 fixed to -1..1. ``state_limits`` gives
    each state a range [-L, L]; a state missing from it, or mapped to None (relu h, LSTM
    c), gets a symmetric range from the data, clipped at the 99th percentile of |values|.
    Default ``{"h": 1.0}`` (tanh h). Label keys: title, x, input, gates, unit, clipped.
    """
    t = text(labels, title="Inside the layer", x="time step", input="input", gates="gate (0..1)",
             unit="unit", clipped="clipped")
    limits = {"h": 1.0} if state_limits is None else state_limits
    # each row: (name, values, colour range): "gate" (0..1), 1.0 (-1..1), L (-L..L) or None (from the data)
    heat = [(name, np.asarray(v), "gate") for name, v in gates.items() if name not in signed_gates]
    heat += [(name, np.asarray(v), 1.0) for name, v in gates.items() if name in signed_gates]
    heat += [(name, np.asarray(v), limits.get(name)) for name, v in states.items()]
    for name, values, _ in heat:
        if values.ndim != 2:
            raise ValueError(f"{name!r} must be one sequence of shape (time, hidden); got shape "
                             f"{values.shape} (take one sample, e.g. values[0])")
    top = int(input_series is not None)
    rows = top + len(heat)
    if rows == 0:
        raise ValueError("nothing to draw: pass an input series, gates or states")
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, row_heights=[1.2] * top + [1.0] * len(heat),
                        vertical_spacing=min(0.04, 0.3 / max(rows - 1, 1)))
    steps = max([len(v) for _, v, _ in heat] + [0 if input_series is None else len(input_series)])
    if input_series is not None:
        series = f32(input_series).reshape(len(input_series), -1)
        cols = downsample(len(series), max_steps)
        names = input_names or ([t["input"]] if series.shape[1] == 1 else
                                [f"{t['input']} {k}" for k in range(series.shape[1])])
        for k in range(series.shape[1]):
            fig.add_trace(go.Scatter(x=f32(cols), y=series[cols, k], mode="lines", name=str(names[k]),
                                     line={"color": PALETTE[k % len(PALETTE)]}), row=1, col=1)
        fig.update_yaxes(title_text=t["input"], row=1, col=1)
    # one colour axis per group: sigmoid gates share one, everything bounded by 1 shares one
    tanh = _tanh_limit([v for _, v, limit in heat if limit is not None and limit != "gate" and float(limit) == 1.0])
    groups: dict[str, dict] = {}
    for r, (name, values, limit) in enumerate(heat, start=top + 1):
        if limit == "gate":
            key, cmin, cmax, title = "gate", 0.0, 1.0, t["gates"]
        elif limit is not None and float(limit) == 1.0:
            key, cmin, cmax, title = "tanh", -tanh, tanh, f"±{tanh:g}"
        elif limit is not None:
            key, cmin, cmax, title = f"fixed {name}", -float(limit), float(limit), str(name)
        else:
            level = _state_limit(values)
            key, cmin, cmax, title = f"data {name}", -level, level, f"±{level:.3g}<br>{t['clipped']}"
        group = groups.setdefault(key, {"axis": f"coloraxis{len(groups) + 1 if groups else ''}", "rows": [],
                                        "names": [], "cmin": cmin, "cmax": cmax, "title": title,
                                        "colorscale": GATE_SCALE if key == "gate" else STATE_SCALE})
        group["rows"].append(r)
        group["names"].append(str(name))
        cols = downsample(len(values), max_steps)
        fig.add_trace(go.Heatmap(x=f32(cols), y=f32(np.arange(values.shape[1])), z=f32(values[cols].T),
                                 coloraxis=group["axis"], name=str(name), meta=str(name),
                                 hovertemplate=f"{t['x']} %{{x}}, {t['unit']} %{{y}}: %{{z:.3f}}"
                                               "<extra>%{meta}</extra>"), row=r, col=1)
        fig.update_yaxes(title_text=str(name), row=r, col=1)
    for group in groups.values():
        title = group["title"]
        fig.update_layout({group["axis"]: {"cmin": group["cmin"], "cmax": group["cmax"],
                                           "colorscale": group["colorscale"],
                                           "colorbar": _colorbar(fig, group["rows"], title)}})
    fig.update_xaxes(range=[-0.5, steps - 0.5])
    fig.update_xaxes(title_text=t["x"], row=rows, col=1)
    return style(fig, t["title"], max(340, 110 + row_height * len(heat) + int(row_height * 1.2) * top))


def saturation_fractions(values: np.ndarray, low: float = 0.1,
                         high: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (last axis): the fraction of steps below ``low`` and above ``high``."""
    v = np.asarray(values)
    v = v.reshape(-1, v.shape[-1])
    return f32((v < low).mean(axis=0)), f32((v > high).mean(axis=0))


def saturation_figure(gates: Mapping[str, np.ndarray], *, low: float = 0.1, high: float = 0.9,
                      labels: Mapping[str, str] | None = None, height: int = 400) -> go.Figure:
    """Gate saturation as Karpathy, Johnson & Fei-Fei (2015): one point per unit and gate.

    x: fraction of steps the gate is left-saturated (< low), y: right-saturated (> high).
    Points near the diagonal x + y = 1 are units that act as switches. Pass sigmoid gates
    (values in 0..1); arrays of any shape with the units on the last axis.
    Label keys: title, x, y, unit.
    """
    t = text(labels, title="Gate saturation", x=f"fraction of steps left-saturated (< {low:g})",
             y=f"fraction of steps right-saturated (> {high:g})", unit="unit")
    fig = go.Figure()
    for i, (name, values) in enumerate(gates.items()):
        left, right = saturation_fractions(values, low, high)
        fig.add_trace(go.Scatter(x=left, y=right, mode="markers", name=str(name), cliponaxis=False,
                                 text=[f"{t['unit']} {k}" for k in range(len(left))],
                                 marker={"color": PALETTE[i % len(PALETTE)], "size": 7, "opacity": 0.7}))
    fig.add_shape(type="line", x0=0, y0=1, x1=1, y1=0, line={"color": "gray", "dash": "dash", "width": 1})
    fig.update_xaxes(range=[0, 1], constrain="domain")
    fig.update_yaxes(range=[0, 1], scaleanchor="x", scaleratio=1, constrain="domain")
    return style(fig, t["title"], height, t["x"], t["y"])


def grad_through_time_figure(grad, log_y: bool = True, *, labels: Mapping[str, str] | None = None,
                             height: int = 300) -> go.Figure:
    """|d output / d x_t| over the steps before the output, for one probe or several (a dict).

    ``grad``: array (lookback,), oldest step first (as ``Progress.grad_through_time``), or a
    dict label -> such array (e.g. one per epoch). x counts steps back, the output on the right.
    Label keys: title, x, y, name (the trace name when one array is given).
    """
    t = text(labels, title="Gradient through time", x="steps before the output",
             y="|d output / d x_t|", name="gradient")
    curves = grad if isinstance(grad, Mapping) else {t["name"]: grad}
    fig, seen, longest = go.Figure(), [np.empty(0)], 1
    for i, (name, values) in enumerate(curves.items()):
        y = f32(values).ravel()
        if log_y:
            y = np.where(y > 0, y, np.nan).astype(np.float32)  # log axes cannot show zero
        fig.add_trace(go.Scatter(x=f32(np.arange(len(y), 0, -1)), y=y, mode="lines+markers", name=str(name),
                                 line={"color": PALETTE[i % len(PALETTE)]}, marker={"size": 4}))
        seen.append(y)
        longest = max(longest, len(y))
    fig.update_xaxes(range=[longest + 0.5, 0.5])
    fig.update_yaxes(type="log" if log_y else "linear", range=nice_range(np.concatenate(seen), log_y))
    return style(fig, t["title"], height, t["x"], t["y"])


def histogram_figure(values: Mapping[str, np.ndarray], title: str = "Histogram", *, bins: int = 50,
                     labels: Mapping[str, str] | None = None, height: int = 300) -> go.Figure:
    """Histograms (e.g. of weights or gradients) overlaid, semi-transparent, on one shared binning.

    Counts are computed here (only the bars travel to the browser), as fractions of each
    array's values so layers of different sizes compare. Label keys: title, x, y.
    """
    t = text(labels, title=title, x="value", y="fraction of values")
    arrays = {name: np.asarray(v, dtype=np.float64).ravel() for name, v in values.items()}
    arrays = {name: v[np.isfinite(v)] for name, v in arrays.items()}
    every = np.concatenate([np.empty(0), *arrays.values()])
    edges = np.histogram_bin_edges(every, bins=bins) if every.size else np.linspace(0, 1, bins + 1)
    centers, width = f32((edges[:-1] + edges[1:]) / 2), float(edges[1] - edges[0])
    fig = go.Figure()
    for i, (name, v) in enumerate(arrays.items()):
        counts, _ = np.histogram(v, bins=edges)
        fig.add_trace(go.Bar(x=centers, y=f32(counts / max(v.size, 1)), width=width, name=str(name),
                             opacity=0.5, marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="overlay", bargap=0)
    return style(fig, t["title"], height, t["x"], t["y"])


def pca_2d(hidden: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """The hidden states (time, hidden) projected on their first two principal components.

    Returns float32 points (time, 2) and the explained variance ratios. A hidden size of
    1 gives a zero second column; constant states (or one step) give zeros and (0, 0).
    """
    from sklearn.decomposition import PCA

    h = np.asarray(hidden, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"hidden must have shape (time, hidden); got shape {h.shape}")
    points = np.zeros((len(h), 2), dtype=np.float32)
    k = min(2, h.shape[0], h.shape[1])
    if k == 0 or h.shape[0] < 2 or not np.isfinite(h).all() or np.ptp(h, axis=0).max() == 0:
        return points, (0.0, 0.0)
    pca = PCA(n_components=k).fit(h)
    points[:, :k] = pca.transform(h)
    ratios = [*pca.explained_variance_ratio_, 0.0][:2]
    return points, (float(ratios[0]), float(ratios[1]))


def pca_trajectory_figure(points: np.ndarray, explained: tuple[float, float],
                          *, labels: Mapping[str, str] | None = None, height: int = 400,
                          max_points: int = MAX_POINTS) -> go.Figure:
    """The 2-D PCA trajectory of the hidden state, coloured by time step, start and end marked.

    Label keys: title, x, y (the explained share is appended), time, start, end.
    """
    t = text(labels, title="Hidden state trajectory (PCA)", x="PC 1", y="PC 2", time="time step",
             start="start", end="end")
    p = f32(points)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"points must have shape (time, 2), as pca_2d returns; got shape {p.shape}")
    rows = downsample(len(p), max_points)
    fig = go.Figure(go.Scatter(x=p[rows, 0], y=p[rows, 1], mode="lines", line={"color": "lightgray"},
                               showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=p[rows, 0], y=p[rows, 1], mode="markers", name=t["time"], showlegend=False,
                             marker={"color": f32(rows), "colorscale": "Viridis", "size": 6,
                                     "colorbar": {"title": {"text": t["time"]}, "thickness": 12}}))
    if len(p):
        ends = ((t["start"], 0, "#2ca02c", "circle"), (t["end"], -1, "#d62728", "x"))
        for name, row, color, symbol in ends:
            fig.add_trace(go.Scatter(x=p[[row], 0], y=p[[row], 1], mode="markers", name=name,
                                     marker={"color": color, "size": 13, "symbol": symbol}))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return style(fig, t["title"], height, f"{t['x']} ({explained[0]:.0%})", f"{t['y']} ({explained[1]:.0%})")
