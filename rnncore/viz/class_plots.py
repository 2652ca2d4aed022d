"""Pictures of a sequence classifier: its confusion matrix and the sequences it got wrong.

Pure functions: plain data in, a figure out (rnncore.tasks.classify computes what they show).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from rnncore.viz.plots import PALETTE, f32, style, text

MOST_SHOWN = 8  # misclassified sequences drawn at once


def confusion_figure(matrix, classes: Sequence[str], *, labels: Mapping[str, str] | None = None,
                     height: int | None = None) -> go.Figure:
    """Rows the true class, columns the predicted one, each cell its count and its share of the row (the
    recall of that class on the diagonal); colour by that share, so a rare class's errors show as much as
    a common one's. Label keys: title, true, predicted, share."""
    t = text(labels, title="Confusion matrix", true="true class", predicted="predicted class", share="share of row")
    m = np.asarray(matrix, dtype=np.int64)
    k = len(classes)
    if m.shape != (k, k):
        raise ValueError(f"matrix must be {k} x {k} for {k} classes; got shape {m.shape}")
    totals = m.sum(axis=1, keepdims=True)
    share = np.divide(m, totals, out=np.zeros(m.shape), where=totals > 0)
    cells = [[f"{m[i, j]}<br>{share[i, j]:.0%}" for j in range(k)] for i in range(k)]
    names = [str(c) for c in classes]
    fig = go.Figure(go.Heatmap(z=f32(share), x=names, y=names, text=cells, texttemplate="%{text}", zmin=0, zmax=1,
                               colorscale="Blues", xgap=2, ygap=2,
                               hovertemplate=f"{t['true']} %{{y}}, {t['predicted']} %{{x}}: %{{text}}<extra></extra>",
                               colorbar={"title": {"text": t["share"], "side": "right"}, "thickness": 12,
                                         "tickformat": ".0%"}))
    fig.update_xaxes(type="category", side="bottom")
    fig.update_yaxes(type="category", autorange="reversed")
    return style(fig, t["title"], height or 160 + 48 * k, t["predicted"], t["true"])


def misclassified_figure(x: np.ndarray, wrong: Sequence[tuple[int, str, str]], *,
                         labels: Mapping[str, str] | None = None, row_height: int = 150) -> go.Figure:
    """The first MOST_SHOWN misclassified sequences of ``x`` (sequences, steps[, features]; the first feature
    is drawn), one small chart each, two a row, titled "#index: true → predicted" (``wrong`` as
    ClassResult.misclassified gives it), on one value axis. Label keys: title, x, y, none."""
    t = text(labels, title="Misclassified sequences", x="time step", y="value",
             none="no test sequence is misclassified")
    values = np.asarray(x)
    values = values[..., 0] if values.ndim == 3 else values
    shown = list(wrong[:MOST_SHOWN])
    if not shown:
        fig = go.Figure()
        fig.add_annotation(text=t["none"], showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return style(fig, t["title"], 160)
    rows = (len(shown) + 1) // 2
    fig = make_subplots(rows=rows, cols=2, shared_xaxes=True, shared_yaxes=True, vertical_spacing=0.5 / rows,
                        horizontal_spacing=0.04,
                        subplot_titles=[f"#{index}: {true} → {predicted}" for index, true, predicted in shown])
    for i, (index, _, _) in enumerate(shown):
        fig.add_trace(go.Scatter(y=f32(values[index]), mode="lines", name=f"#{index}", showlegend=False,
                                 line={"color": PALETTE[0], "width": 1.5}), row=i // 2 + 1, col=i % 2 + 1)
    _label_grid(fig, rows, t)
    return style(fig, t["title"], 70 + row_height * rows)


EXAMPLES = 3  # sequences of each class drawn on the Data page
MOST_CLASSES = 8  # classes drawn there, the commonest first


def examples_figure(x: np.ndarray, labels: np.ndarray, classes: Sequence[str], *,
                    words: Mapping[str, str] | None = None, row_height: int = 150) -> go.Figure:
    """The first EXAMPLES sequences of each class (up to MOST_CLASSES classes, the commonest first), one small chart
    a class, two a row, titled with the class's name and count; ``x`` is (sequences, steps[, features]), the first
    feature drawn. Label keys (``words``): title, x, y."""
    t = text(words, title="A few sequences of each class", x="time step", y="value")
    values = np.asarray(x)
    values = values[..., 0] if values.ndim == 3 else values
    counts = np.bincount(labels, minlength=len(classes))
    shown = [k for k in np.argsort(-counts, kind="stable") if counts[k]][:MOST_CLASSES]
    rows = (len(shown) + 1) // 2
    fig = make_subplots(rows=rows, cols=2, shared_xaxes=True, shared_yaxes=True, vertical_spacing=0.5 / max(rows, 1),
                        horizontal_spacing=0.04, subplot_titles=[f"{classes[k]} ({counts[k]:,})" for k in shown])
    for i, k in enumerate(shown):
        for j, index in enumerate(np.flatnonzero(labels == k)[:EXAMPLES]):
            fig.add_trace(go.Scatter(y=f32(values[index]), mode="lines", name=f"#{index}", showlegend=False,
                                     line={"color": PALETTE[j], "width": 1.5}), row=i // 2 + 1, col=i % 2 + 1)
    _label_grid(fig, rows, t)
    return style(fig, t["title"], 70 + row_height * rows)


def _label_grid(fig: go.Figure, rows: int, t: Mapping[str, str]) -> None:
    """A grid of two charts a row: its titles' size, the time axis named under the last row, values on the left."""
    fig.update_annotations(font_size=12)
    for col in (1, 2):
        fig.update_xaxes(title_text=t["x"], row=rows, col=col)
    for row in range(1, rows + 1):
        fig.update_yaxes(title_text=t["y"], row=row, col=1)
