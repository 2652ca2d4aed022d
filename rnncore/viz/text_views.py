"""Inside a character language model: a passage run through the model one character after
another, the text coloured by one unit (Karpathy, Johnson and Fei-Fei 2015, "Visualizing and Understanding
Recurrent Networks"), the units that look most interpretable, and the model's top next-character guesses.

``text_trace`` feeds the passage as one sequence (the state carried from the first character to the last,
as in Karpathy's figures; the model was trained on windows of ``lookback`` characters, so far beyond that
it runs on what it learnt to carry). Pure functions: plain data in, arrays or a figure out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from rnncore.data.text import Vocabulary
from rnncore.viz.plots import f32, style, text

MAX_PASSAGE = 2_000  # characters traced at once (a figure of more is unreadable, and inspect keeps every gate)
LINE_WIDTH = 64  # characters per row of the coloured text (lines of the passage wrap at this width)
SHOWN = {"\n": "↵", "\t": "⇥"}  # how invisible characters are drawn (a space stays a blank cell)


@dataclass
class TextTrace:
    """One passage through the model: per layer each gate and state (characters, units); the next-character
    probabilities after each character (characters, vocabulary)."""

    passage: str
    gates: list[dict[str, np.ndarray]]
    states: list[dict[str, np.ndarray]]
    next_probs: np.ndarray


@torch.no_grad()
def text_trace(model, vocab: Vocabulary, passage: str) -> TextTrace:
    """Run ``passage`` (at most MAX_PASSAGE characters) through ``model`` and keep everything inside."""
    if not passage:
        raise ValueError("passage must hold at least one character")
    if len(passage) > MAX_PASSAGE:
        raise ValueError(f"passage must be at most {MAX_PASSAGE:,} characters (got {len(passage):,}); trace a part")
    ids = torch.from_numpy(vocab.encode(passage))
    x = torch.nn.functional.one_hot(ids, len(vocab)).float()[None]
    trace = model.inspect(x)
    last = trace.states[-1]["h"][0]  # (characters, hidden): the head reads the last layer's h
    probs = torch.softmax(model.head(last), dim=-1)
    return TextTrace(passage, [{k: v[0].cpu().numpy() for k, v in layer.items()} for layer in trace.gates],
                     [{k: v[0].cpu().numpy() for k, v in layer.items()} for layer in trace.states],
                     probs.cpu().numpy())


def top_guesses(trace: TextTrace, vocab: Vocabulary, position: int, k: int = 5) -> list[tuple[str, float]]:
    """The model's ``k`` likeliest next characters after ``passage[position]``, with their probabilities."""
    if not 0 <= position < len(trace.passage):
        raise ValueError(f"position must be from 0 to {len(trace.passage) - 1} (got {position})")
    probs = trace.next_probs[position]
    best = np.argsort(-probs, kind="stable")[:k]
    return [(vocab.chars[i], float(probs[i])) for i in best]


def position_in_line(passage: str) -> np.ndarray:
    """For each character, how many characters come before it on its line (0 after a newline)."""
    out, column = np.zeros(len(passage)), 0
    for i, ch in enumerate(passage):
        out[i] = column
        column = 0 if ch == "\n" else column + 1
    return out


def interpretable_units(values: np.ndarray, passage: str, k: int = 5) -> list[dict]:
    """The units of ``values`` (characters, units) that look most interpretable, best first, at most ``k``
    of each kind: "saturated" (the share of characters at which |value| > 0.9: a unit that switches) and
    "position in line" (|Pearson r| with the position in line: a unit that counts). Each: unit, kind, score.
    Saturation is meant for values within [-1, 1] (a tanh h, a gate), not for an LSTM's cell state c."""
    values = np.asarray(values, dtype=np.float64)
    saturated = (np.abs(values) > 0.9).mean(axis=0)
    position = position_in_line(passage)
    spread = values.std(axis=0)
    r = np.zeros(values.shape[1])
    if position.std() > 0:
        ok = spread > 1e-9
        centred = values[:, ok] - values[:, ok].mean(axis=0)
        p = position - position.mean()
        r[ok] = np.abs(p @ centred) / (np.sqrt((p ** 2).sum()) * np.sqrt((centred ** 2).sum(axis=0)))
    found = []
    for kind, score in (("saturated", saturated), ("position in line", r)):
        for unit in np.argsort(-score, kind="stable")[:k]:
            if score[unit] > 0:
                found.append({"unit": int(unit), "kind": kind, "score": float(score[unit])})
    return found


def _rows(passage: str, width: int) -> list[list[int]]:
    """The character indices of each row: lines of the passage, wrapped at ``width``."""
    rows, row = [], []
    for i, ch in enumerate(passage):
        row.append(i)
        if ch == "\n" or len(row) == width:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return rows


def coloured_text_figure(passage: str, activation: np.ndarray, *, limit: float | None = 1.0,
                         labels: Mapping[str, str] | None = None, width: int = LINE_WIDTH,
                         row_height: int = 22) -> go.Figure:
    """The passage, each character on a cell coloured by ``activation`` (one value per character): blue
    negative, red positive, white near zero, over [-limit, limit] (None: from the data). Hovering a
    character shows its value. Label keys: title, value."""
    t = text(labels, title="The text coloured by a unit", value="activation")
    a = f32(activation)
    if a.shape != (len(passage),):
        raise ValueError(f"activation must be one value per character, shape ({len(passage)},); got {a.shape}")
    bound = float(limit) if limit is not None else float(np.nanmax(np.abs(a))) or 1.0
    rows = _rows(passage, width)
    z = np.full((len(rows), width), np.nan, dtype=np.float32)
    chars = np.full((len(rows), width), "", dtype=object)
    for r, row in enumerate(rows):
        z[r, :len(row)] = a[row]
        chars[r, :len(row)] = [SHOWN.get(passage[i], passage[i]) for i in row]
    # the colour scale runs past the values' range, so the darkest cell stays light enough to read its character
    fig = go.Figure(go.Heatmap(z=z, text=chars, texttemplate="%{text}", textfont={"size": 14, "color": "black"},
                               zmin=-bound * 1.6, zmax=bound * 1.6, colorscale="RdBu_r", xgap=1, ygap=1,
                               hovertemplate="%{text}: %{z:.3f}<extra></extra>",
                               colorbar={"title": {"text": t["value"], "side": "right"}, "thickness": 12}))
    fig.update_xaxes(visible=False, range=[-0.5, width - 0.5])
    fig.update_yaxes(visible=False, autorange="reversed")
    return style(fig, t["title"], 80 + row_height * len(rows))
