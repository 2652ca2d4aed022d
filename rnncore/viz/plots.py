"""Plotly figure builders for the data, the training and the results: data in, figure out.

Every builder is a pure function: plain numpy / pandas / dicts in, a
``plotly.graph_objects.Figure`` out, never shown. Arrays go into traces as float32
(plotly sends them base64-encoded), curves are cut to about 2,000 points, and axis
ranges are fixed so a figure redrawn every second does not jump.

Every text a user sees is an argument: ``labels`` maps a builder's label keys (listed
in its docstring) to the translated text; dict keys passed as data (column, run,
model, gate names) are shown as given, as plain text: Plotly reads a subset of HTML in
every text (``<a href>`` makes a live link), so ``style``, which every builder ends with,
escapes every text of the figure but the line breaks the builders write (``plain_text``). The
figures of the inside of a network (gates, saturation, gradients through time, weight histograms,
PCA) live in ``rnncore.viz.cell_plots``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

MAX_POINTS = 2000
MOST_PANELS = 6  # a series chart draws at most this many columns, one panel each
UIREVISION = "rnnlab"  # constant: a redrawn figure keeps the user's zoom
LONG_LEGEND = 48  # characters of legend entries that still fit on one line under a title in a narrow chart
MARGIN = MappingProxyType({"l": 50, "r": 20, "t": 40, "b": 40})  # read-only
PALETTE = tuple(dict.fromkeys(qualitative.Plotly + qualitative.Dark24))  # 34 colours: no repeats among a class's runs
SPLIT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")  # train, validation, test
MODEL_COLOR, BASELINE_COLOR, BETTER_COLOR = "#1f77b4", "#b0b0b0", "#d62728"


def downsample(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spaced rows out of ``n``, first and last kept."""
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))


def f32(values) -> np.ndarray:
    """A float32 numpy array (what plotly encodes compactly)."""
    return np.asarray(values, dtype=np.float32)


def axis_values(index) -> np.ndarray:
    """x values for a trace: numbers as float32, timestamps as datetime64 (local wall time), else as is."""
    values = np.asarray(index)
    if values.dtype.kind in "iufb":
        return values.astype(np.float32)
    if values.dtype.kind == "O" and len(values) and isinstance(values[0], pd.Timestamp):
        return pd.DatetimeIndex(values).tz_localize(None).to_numpy()
    return values


HOVER_FORMATS = {"year": "%Y", "quarter": "%Y Q%q", "month": "%Y-%m", "day": "%Y-%m-%d",
                 "time": "%Y-%m-%d %H:%M"}  # d3-time-format, by rnncore.data.dataset.resolution


def time_axis(fig: go.Figure, index, dates: Mapping[str, str] | None = None, **where) -> go.Figure:
    """Hovers show the dates at their own resolution (1970, 1970 Q2, 1970-03), not at midnight of a day; the
    ticks in the reader's words where ``dates`` gives a d3-time-format for that resolution ({"month": "%Y年%-m月"};
    without one, Plotly's own English ticks, "Nov 1959"); ``where`` (row=, col=) names the time axis of a figure
    with subplots."""
    from rnncore.data.dataset import resolution

    values = np.asarray(index)
    stamps = values.dtype.kind == "M" or (values.dtype.kind == "O" and len(values) > 0
                                          and isinstance(values[0], pd.Timestamp))
    step = resolution(pd.DatetimeIndex(values)) if stamps else None
    if step is not None:
        ticks = {"tickformat": dates[step]} if dates and dates.get(step) else {}
        fig.update_xaxes(hoverformat=HOVER_FORMATS[step], **ticks, **where)
    return fig


def text(labels: Mapping[str, str] | None, **defaults: str) -> dict[str, str]:
    """The English defaults overridden by ``labels``; an unknown key raises ValueError."""
    unknown = set(labels or {}) - set(defaults)
    if unknown:
        raise ValueError(f"unknown label keys {sorted(unknown)}; this figure takes {sorted(defaults)}")
    return {**defaults, **(labels or {})}


OWN_MARKUP = re.compile(r"(<br>|</?extra>)")  # what the builders write themselves: line breaks, hover boxes
_ENTITY = re.compile(r"&(?!(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);)")  # an & that does not start an entity
TRACE_TEXT = ("name", "text", "hovertext", "x", "y", "meta", "labels")  # a trace's texts (categories included)


def plain(value):
    """``value`` with its texts escaped for Plotly (a str, or a sequence that holds some); numbers as they are.
    Escaping twice changes nothing, so a text already escaped stays as it is."""
    if isinstance(value, str):
        return "".join(part if OWN_MARKUP.fullmatch(part) else
                       _ENTITY.sub("&amp;", part).replace("<", "&lt;").replace(">", "&gt;")
                       for part in OWN_MARKUP.split(value))
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind not in {"O", "U"} else np.array([plain(v) for v in value])
    if isinstance(value, (list, tuple)) and any(isinstance(v, (str, list, tuple)) for v in value):
        return type(value)(plain(v) for v in value)
    return value


def plain_text(fig: go.Figure) -> go.Figure:
    """``fig`` with every text a reader sees plain: trace names, texts, categories; titles, tick labels,
    annotations, legend and colour-bar titles. Hover and text templates are the builders' own and kept."""
    def title(owner) -> None:
        if owner is not None and owner.title is not None and owner.title.text:
            owner.title.text = plain(owner.title.text)

    for trace in fig.data:
        for name in TRACE_TEXT:
            if name in trace and trace[name] is not None:
                escaped = plain(trace[name])
                if escaped is not trace[name]:
                    trace[name] = escaped
        if "legendgrouptitle" in trace and trace.legendgrouptitle.text:
            trace.legendgrouptitle.text = plain(trace.legendgrouptitle.text)
        if "colorbar" in trace:
            title(trace.colorbar)

    def axis(ax) -> None:
        title(ax)
        for name in ("ticktext", "categoryarray"):
            if ax[name] is not None:
                ax[name] = plain(tuple(ax[name]))

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    for note in fig.layout.annotations:
        note.text = plain(note.text)
    if fig.layout.title.text:
        fig.layout.title.text = plain(fig.layout.title.text)
    title(fig.layout.legend)
    for bar in [ax.colorbar for ax in fig.select_coloraxes()]:
        title(bar)
    return fig


def style(fig: go.Figure, title: str, height: int, x_title: str | None = None,
          y_title: str | None = None, *, legend: bool | None = None) -> go.Figure:
    """The look every figure shares: title, compact margin, fixed height, uirevision; a legend where there is
    more than one trace to tell apart (``legend=True``: even for one).

    No template: Streamlit draws every chart in its own theme, and assigning a plotly
    template costs about 0.1 s a figure (it is deep-copied), ten times all the rest.
    """
    names = [str(tr.name or "") for tr in fig.data if tr.showlegend is not False and tr.type != "heatmap"]
    legend = len(names) > 1 if legend is None else legend
    words = sum(len(name) + 4 for name in names)
    if legend and words > LONG_LEGEND:  # at the foot of the figure, however many lines it wraps into
        lines = math.ceil(words / LONG_LEGEND)
        margin = {**MARGIN, "b": MARGIN["b"] + 24 + 18 * lines}
        place = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0, "xanchor": "left"}
        height += 18 * lines
    else:  # a short legend gets a line of its own under the title, so titles and legends never overlap
        margin = {**MARGIN, "t": MARGIN["t"] + 24} if legend else dict(MARGIN)
        place = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0}
    fig.update_layout(
        title={"text": title, "x": 0.0, "xanchor": "left", "y": 1.0, "yanchor": "top", "yref": "container",
               "pad": {"t": 8}},
        margin=margin, height=height, uirevision=UIREVISION, showlegend=legend, legend=place,
    )
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    fig.for_each_yaxis(_decades)
    return plain_text(fig)


def _decades(axis) -> None:
    """A log axis labels whole decades: every one, or every few when the range spans many."""
    if axis.type == "log":
        span = axis.range[1] - axis.range[0] if axis.range else 1
        axis.update(dtick=max(1, math.ceil(span / 8)))


def nice_range(values, log_y: bool = False) -> list[float]:
    """A y range that moves only when the data crosses a round number (a decade on log axes).

    Linear: [0, top] with top the next 1, 2 or 5 x 10^k above the largest value (values
    below zero widen the bottom the same way). Log: whole decades, as plotly's log10 units.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    if log_y:
        v = v[v > 0]
        if v.size == 0:
            return [-2.0, 0.0]
        low, high = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
        return [float(low), float(max(high, low + 1))]
    if v.size == 0:
        return [0.0, 1.0]
    return [-_nice_ceil(-v.min()) if v.min() < 0 else 0.0, _nice_ceil(v.max()) if v.max() > 0 else 1.0]


def _nice_ceil(x: float) -> float:
    decade = 10.0 ** math.floor(math.log10(x))
    return next(step * decade for step in (1, 2, 5, 10) if step * decade >= x * (1 - 1e-9))


def shade_splits(fig: go.Figure, edges: Sequence, names: Sequence[str], label: bool = True, **where) -> None:
    """Shade the train / validation / test parts: ``edges`` holds 4 x positions (start, val, test, end);
    with ``label``, each part's name is written in it."""
    parts = zip(edges[:-1], edges[1:], strict=False)
    for i, ((x0, x1), name, color) in enumerate(zip(parts, names, SPLIT_COLORS, strict=True)):
        if x1 <= x0:
            continue
        named = {}
        if label:  # labels step down a line each, so narrow parts never print over each other
            last = i == len(names) - 1  # the last part's label reads leftwards: never cut at the edge
            named = {"annotation_text": name, "annotation_position": "top right" if last else "top left",
                     # above the curves, on a ground of its own: a curve through it never overprints it
                     "annotation": {"yshift": -13 * i, "font": {"size": 11}, "bgcolor": "rgba(255,255,255,0.85)"}}
        fig.add_vrect(x0=x0, x1=x1, fillcolor=color, opacity=0.08, line_width=0, layer="below", **named, **where)


def series_figure(frame: pd.DataFrame, columns: Sequence[str] | None = None,
                  bounds: tuple[int, int] | None = None, *, labels: Mapping[str, str] | None = None,
                  height: int | None = None, max_points: int = MAX_POINTS, most: int = MOST_PANELS,
                  dates: Mapping[str, str] | None = None) -> go.Figure:
    """The data set's columns over its index, one small panel each on a shared time axis, the parts shaded.

    Each column has its own y axis, so a small target is never squashed by a large column (pass the
    target first). At most ``most`` panels. ``bounds``: frame row positions where validation and test
    start (``Windows.bounds``). Label keys: title, x, y, train, validation, test. ``dates``: tick formats by
    resolution (time_axis).
    """
    t = text(labels, title="Data", x="time", y="value", train="train", validation="validation", test="test")
    columns = list(frame.columns if columns is None else columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the data; choose from {list(frame.columns)}")
    columns = columns[:most]
    panels = max(len(columns), 1)
    rows = downsample(len(frame), max_points)
    x = axis_values(frame.index[rows])
    fig = make_subplots(rows=panels, cols=1, shared_xaxes=True, vertical_spacing=min(0.06, 0.3 / panels))
    for row, column in enumerate(columns, start=1):
        fig.add_trace(go.Scatter(x=x, y=f32(frame[column].to_numpy()[rows]), mode="lines", name=str(column),
                                 showlegend=False, line={"color": PALETTE[(row - 1) % len(PALETTE)]}), row=row, col=1)
        fig.update_yaxes(title_text=t["y"] if panels == 1 else str(column)[:24], row=row, col=1)
    if bounds is not None and len(frame) > 0:
        last = len(frame) - 1
        edges = list(axis_values(frame.index[[0, min(bounds[0], last), min(bounds[1], last), last]]))
        for row in range(1, panels + 1):
            shade_splits(fig, edges, [t["train"], t["validation"], t["test"]], label=row == 1, row=row, col=1)
    fig.update_xaxes(title_text=t["x"], row=panels, col=1)
    time_axis(fig, frame.index, dates)
    return style(fig, t["title"], height or (320 if panels == 1 else 90 + 130 * panels))


def _column(history: Sequence, key: str) -> np.ndarray:
    """One field of every epoch record (dicts or objects such as EpochRecord), NaN where missing."""
    def get(record):
        value = record.get(key) if isinstance(record, Mapping) else getattr(record, key, None)
        return np.nan if value is None else value
    return np.array([get(r) for r in history], dtype=np.float64)


def _never(values: np.ndarray) -> bool:
    """Epochs that all lack this loss (a run without a validation part): no curve, no legend entry for it."""
    return len(values) > 0 and bool(np.isnan(values).all())


def loss_figure(history: Sequence, epochs: int, log_y: bool = False, reference: float | None = None,
                *, reference_name: str = "predict the mean", labels: Mapping[str, str] | None = None,
                height: int = 320, partial: tuple[Sequence[float], Sequence[float]] | None = None) -> go.Figure:
    """Train and validation loss per epoch; x fixed to [0, epochs]; an optional reference line.

    ``history``: records with epoch, train_loss, val_loss (dicts or EpochRecord). Works empty.
    ``partial``: (x, loss) of the batches of an epoch that diverged (``PartialEpoch.points()``), drawn
    dotted up to the divergence. Label keys: title, x, y, train, validation, diverged.
    """
    t = text(labels, title="Loss", x="epoch", y="loss", train="train", validation="validation",
             diverged="train, batch by batch, up to the divergence")
    epoch, train, val = (_column(history, k) for k in ("epoch", "train_loss", "val_loss"))
    rows = downsample(len(epoch))
    mode = "lines+markers" if len(epoch) <= 50 else "lines"
    fig = go.Figure([go.Scatter(x=f32(epoch[rows]), y=f32(y[rows]), mode=mode, name=name)
                     for y, name in ((train, t["train"]), (val, t["validation"])) if not _never(y)])
    x_end = max([epochs, *epoch[np.isfinite(epoch)]])
    if reference is not None:
        fig.add_trace(_reference_line(reference, x_end, reference_name))
    seen = [train, val, [] if reference is None else [reference]]
    if partial is not None and len(partial[0]):
        fig.add_trace(_diverging(partial, t["diverged"], BETTER_COLOR))
        seen.append(np.asarray(partial[1], dtype=np.float64))
    fig.update_xaxes(range=[0, x_end])
    fig.update_yaxes(type="log" if log_y else "linear", range=nice_range(np.concatenate(seen), log_y))
    return style(fig, t["title"], height, t["x"], t["y"], legend=True)  # which loss, also for train alone


def _diverging(partial, name: str, color: str, group: str | None = None) -> go.Scatter:
    """The batches of a diverging epoch: a dotted line, its last point (where it blew up) an x."""
    x, y = f32(partial[0]), np.asarray(partial[1], dtype=np.float64)
    y = np.minimum(y, np.finfo(np.float32).max).astype(np.float32)
    return go.Scatter(x=x, y=y, mode="lines+markers", name=name, legendgroup=group,
                      line={"color": color, "dash": "dot"},
                      marker={"size": [4] * (len(x) - 1) + [11], "symbol": ["circle"] * (len(x) - 1) + ["x"]})


def ema(values, smoothing: float) -> np.ndarray:
    """Exponential moving average with TensorBoard's debiasing; NaNs are skipped (kept as NaN)."""
    if not 0 <= smoothing < 1:
        raise ValueError("smoothing must be at least 0 and below 1, e.g. 0.6")
    values = np.asarray(values, dtype=np.float64)
    out, last, weight = np.full_like(values, np.nan), 0.0, 0.0
    for i, v in enumerate(values):
        if np.isfinite(v):
            last, weight = smoothing * last + (1 - smoothing) * v, smoothing * weight + (1 - smoothing)
            out[i] = last / weight
    return out


def _reference_line(level: float, x_end: float, name: str) -> go.Scatter:
    """A level across the whole chart, grey and dashed: what a model must get below (e.g. predicting the mean)."""
    return go.Scatter(x=f32([0, x_end]), y=f32([level, level]), mode="lines", name=name,
                      line={"dash": "dash", "color": "gray", "width": 2})


def compare_loss_figure(runs: Mapping[str, Sequence], log_y: bool = False, smoothing: float = 0.0,
                        *, labels: Mapping[str, str] | None = None, height: int = 360,
                        partials: Mapping[str, tuple] | None = None, reference: float | None = None) -> go.Figure:
    """Several runs' loss: validation solid, train dotted, one colour per run, optionally smoothed.

    ``partials``: run -> (x, loss) of the batches of the epoch it diverged in (``PartialEpoch.points()``),
    so a run that diverged at once still shows how. ``reference``: a level drawn grey and dashed across the
    chart, in the curves' units (the loss of always predicting the mean). Label keys: title, x, y, train,
    validation, diverged, mean (trace names read "RUN · validation").
    """
    t = text(labels, title="Loss of the runs", x="epoch", y="loss", train="train", validation="validation",
             diverged="diverged", mean="always predict the mean")
    fig, seen, x_end = go.Figure(), [np.empty(0)], 1.0
    for i, (run, history) in enumerate(runs.items()):
        epoch = _column(history, "epoch")
        rows = downsample(len(epoch))
        color = PALETTE[i % len(PALETTE)]
        for key, word, dash in (("val_loss", t["validation"], "solid"), ("train_loss", t["train"], "dot")):
            y = ema(_column(history, key), smoothing)
            if _never(y):
                continue
            seen.append(y)
            fig.add_trace(go.Scatter(x=f32(epoch[rows]), y=f32(y[rows]), mode="lines", name=f"{run} · {word}",
                                     legendgroup=str(run), line={"color": color, "dash": dash}))
        x_end = max([x_end, *epoch[np.isfinite(epoch)]])
        partial = (partials or {}).get(run)
        if partial is not None and len(partial[0]):
            fig.add_trace(_diverging(partial, f"{run} · {t['diverged']}", color, str(run)))
            seen.append(np.asarray(partial[1], dtype=np.float64))
            x_end = max(x_end, float(np.ceil(max(partial[0]))))
    if reference is not None:
        fig.add_trace(_reference_line(reference, x_end, t["mean"]))
        seen.append(np.array([reference], dtype=np.float64))
    fig.update_xaxes(range=[0, x_end])
    fig.update_yaxes(type="log" if log_y else "linear", range=nice_range(np.concatenate(seen), log_y))
    return style(fig, t["title"], height, t["x"], t["y"])


def prediction_figure(index, truth, predictions: Mapping[str, np.ndarray],
                      bounds: tuple | None = None, *, labels: Mapping[str, str] | None = None,
                      height: int = 340, max_points: int = MAX_POINTS,
                      dates: Mapping[str, str] | None = None) -> go.Figure:
    """Predictions (e.g. "model", "persistence") against the truth, in original units.

    ``index``: x of each point (frame rows or timestamps). ``bounds``: where validation and
    test start, in the same units as ``index`` (e.g. ``frame.index[list(windows.bounds)]``);
    parts outside the plotted points are not drawn.
    Label keys: title, x, y, truth, train, validation, test. ``dates``: tick formats by resolution (time_axis).
    """
    t = text(labels, title="Predictions", x="time", y="value", truth="truth", train="train",
             validation="validation", test="test")
    index = np.asarray(index)
    rows = downsample(len(index), max_points)
    x = axis_values(index[rows])
    fig = go.Figure(go.Scatter(x=x, y=f32(np.ravel(truth))[rows], mode="lines", name=t["truth"],
                               line={"color": "black", "width": 1.5}))
    for i, (name, values) in enumerate(predictions.items()):
        fig.add_trace(go.Scatter(x=x, y=f32(np.ravel(values))[rows], mode="lines", name=str(name),
                                 line={"color": PALETTE[i % len(PALETTE)], "width": 2 if i == 0 else 1}))
    if bounds is not None and len(index):
        start, end = index.min(), index.max()
        edges = [start, *(min(max(b, start), end) for b in bounds), end]
        shade_splits(fig, edges, [t["train"], t["validation"], t["test"]])
    time_axis(fig, index, dates)
    return style(fig, t["title"], height, t["x"], t["y"])


def residual_figure(index, residuals, *, labels: Mapping[str, str] | None = None, bins: int = 40,
                    height: int = 300, max_points: int = MAX_POINTS,
                    dates: Mapping[str, str] | None = None) -> go.Figure:
    """Residuals (truth - prediction) over time with a zero line, and their histogram on the right.

    Label keys: title, x, y, count. ``dates``: tick formats by resolution (time_axis).
    """
    t = text(labels, title="Residuals", x="time", y="truth - prediction", count="count")
    r = f32(residuals)
    if r.ndim != 1:
        raise ValueError(f"residuals must be one value per time step, shape (n,); got shape {r.shape}")
    rows = downsample(len(r), max_points)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.8, 0.2], shared_yaxes=True, horizontal_spacing=0.05)
    fig.add_trace(go.Scatter(x=axis_values(np.asarray(index)[rows]), y=r[rows], mode="lines",
                             name=t["y"], showlegend=False), row=1, col=1)
    finite = r[np.isfinite(r)]
    bins = max(5, min(bins, finite.size // 3))  # a few points get a few wide bins, not 40 slivers
    counts, edges = np.histogram(finite, bins=bins) if finite.size else (np.zeros(0), np.zeros(1))
    fig.add_trace(go.Bar(y=f32((edges[:-1] + edges[1:]) / 2), x=f32(counts), orientation="h",
                         name=t["count"], showlegend=False, marker_color="gray"), row=1, col=2)
    fig.add_hline(y=0, line_color="black", line_width=1)
    fig.update_layout(bargap=0)
    fig.update_xaxes(title_text=t["x"], row=1, col=1)
    fig.update_xaxes(title_text=t["count"], row=1, col=2)
    fig.update_yaxes(title_text=t["y"], row=1, col=1)
    time_axis(fig, index, dates, row=1, col=1)
    return style(fig, t["title"], height)


def forecast_figure(history_index, history_values, future_index, forecasts: Mapping[str, np.ndarray],
                    *, labels: Mapping[str, str] | None = None, height: int = 320,
                    dates: Mapping[str, str] | None = None) -> go.Figure:
    """The tail of the series (pass as much as should show) and the forecasts beyond it.

    Each forecast line starts at the last known point so it joins the series.
    Label keys: title, x, y, history. ``dates``: tick formats by resolution (time_axis).
    """
    t = text(labels, title="Forecast", x="time", y="value", history="series")
    hx, hy = np.asarray(history_index), f32(history_values)
    rows = downsample(len(hx))
    fig = go.Figure(go.Scatter(x=axis_values(hx[rows]), y=hy[rows], mode="lines", name=t["history"],
                               line={"color": "black", "width": 1.5}))
    future = np.asarray(future_index)
    for i, (name, values) in enumerate(forecasts.items()):
        x, y = future, f32(np.ravel(values))
        if len(hx):
            x, y = np.concatenate([hx[-1:], future]), np.concatenate([hy[-1:], y])
        mode = "lines+markers" if len(future) <= 60 else "lines"
        fig.add_trace(go.Scatter(x=axis_values(x), y=y, mode=mode, name=str(name),
                                 line={"color": PALETTE[(i + 1) % len(PALETTE)]}))
    if len(hx) and len(future):
        fig.add_vline(x=hx[-1], line_dash="dot", line_color="gray")
    time_axis(fig, history_index, dates)
    return style(fig, t["title"], height, t["x"], t["y"])


def metrics_bar_figure(metrics: Mapping[str, Mapping[str, float]], metric: str = "rmse", *,
                       model: str = "model", labels: Mapping[str, str] | None = None,
                       height: int = 300) -> go.Figure:
    """One metric of the model next to the baselines, best first.

    Bars are sorted (lower is better, except r2); the model has its own colour and a
    baseline that beats it is drawn in red under its own legend entry.
    Label keys: title, y, model, baseline, better (the legend entries).
    """
    t = text(labels, title=f"Test {metric}", y=metric, model="model", baseline="baseline",
             better="better than the model")
    values = {n: float(m[metric]) for n, m in metrics.items() if m.get(metric) is not None
              and math.isfinite(m[metric])}
    higher_better = metric == "r2"
    order = sorted(values, key=lambda n: -values[n] if higher_better else values[n])
    ref = values.get(model)

    def beats(n):
        return ref is not None and (values[n] > ref if higher_better else values[n] < ref)

    groups = (([model] if model in values else [], t["model"], MODEL_COLOR),
              ([n for n in order if n != model and beats(n)], t["better"], BETTER_COLOR),
              ([n for n in order if n != model and not beats(n)], t["baseline"], BASELINE_COLOR))
    fig = go.Figure([go.Bar(x=names, y=f32([values[n] for n in names]), name=name, marker_color=color,
                            text=[f"{values[n]:.4g}" for n in names], textposition="outside")
                     for names, name, color in groups if names])
    fig.update_xaxes(categoryorder="array", categoryarray=order)
    fig.update_yaxes(range=nice_range([*values.values(), 0.0]) if values else [0, 1])
    fig.update_layout(barmode="overlay")
    return style(fig, t["title"], height, None, t["y"])

