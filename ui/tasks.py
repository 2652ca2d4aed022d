"""The views of a text or labels run: what a text model writes while it trains (on Train), and what an ended run
shows (on Train, Evaluate and Inside): its scores next to the baselines, sampled text, the text coloured by a
unit, the confusion matrix and the misclassified sequences. Everything they show is computed by rnncore
(rnncore.tasks, rnncore.viz).
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st
import torch

from rnncore.data.text import UNKNOWN, split_text
from rnncore.tasks.charlm import sample
from rnncore.tasks.files import task_zip
from rnncore.viz.class_plots import confusion_figure, misclassified_figure
from rnncore.viz.inspection import trace_window
from rnncore.viz.text_views import coloured_text_figure, interpretable_units, text_trace, top_guesses
from ui.i18n import t, text
from ui.inside import heatmaps
from ui.state import TASK_MEMO, lab

TRACED = 400  # characters of the test part coloured on Inside
SAMPLED = 300  # characters drawn from the model
UNKNOWN_SHOWN = "□"  # how the unknown symbol is shown (as Chinese print marks a character it lacks)
LIVE_PROMPT, LIVE_HEAT = "w.tasks.live_prompt", "w.tasks.live_temperature"  # what a training text model writes


def _once(result, what: tuple, compute):
    """``compute()`` once for the result shown: a rerun (a slider moved) reuses it; another result starts anew."""
    shown = st.session_state.get(TASK_MEMO)
    if shown is None or shown[0] is not result:
        shown = st.session_state[TASK_MEMO] = (result, {})
    if what not in shown[1]:
        shown[1][what] = compute()
    return shown[1][what]


class Opened(NamedTuple):
    """An ended run whose results a page shows: its result, what it keeps of its data (name, rows, a file's
    sha256), its number in the workspace (None: kept in this tab only)."""

    result: object
    data: dict
    number: int | None


def opened() -> Opened | None:
    """The run whose results the page shows: the Lab's current run once it ended, when it is a text or labels
    run; None otherwise."""
    session = lab()
    run = session.current
    record = run.record if run is not None and run.task != "forecast" else None
    if record is None or record.result is None:
        return None
    return Opened(record.result, record.data, run.id if session.archive.stored else None)


def results(shown: Opened) -> None:
    """An ended run's scores next to the baselines, where it is kept, its zip, and its text or its confusion
    matrix."""
    result, task = shown.result, shown.result.config.data.task
    if shown.number is not None:
        st.caption(t("tasks.stored.as", number=shown.number))
    scores_table(result, task)
    download(shown)
    if task == "charlm":
        text_results(result)
    else:
        class_results(result)


def download(shown: Opened) -> None:
    """The ended run's files (model, config, history, metrics, vocabulary) as one zip."""
    result = shown.result
    about = {"source": result.config.data.source, **shown.data}
    files = _once(result, ("zip",), lambda: task_zip(result, about))
    st.download_button(t("tasks.download"), files, f"rnnlab-{result.task}.zip",
                       "application/zip", key="b.tasks.download", icon=":material/download:")


def live_text(run) -> None:
    """While a text model trains (``run``, an ActiveRun): what it wrote after its last epoch, and the prompt and
    temperature of what it writes after the next (read by the training thread)."""
    first = run.dataset[:run.config.window.lookback]  # the defaults: never the last value read, which may be stale
    prompt = st.text_area(t("tasks.prompt"), value=first, key=LIVE_PROMPT, help=t("tasks.live_prompt_help"), height=80)
    heat = st.slider(t("tasks.temperature"), 0.1, 2.0, 0.8, 0.1, key=LIVE_HEAT, help=t("tasks.temperature_help"))
    run.text.sampling = (prompt, float(heat))
    said = run.text.latest()
    if said is None:
        st.caption(t("tasks.live_waiting"))
        return
    st.caption(t("tasks.live_sample", epoch=said.epoch, temperature=f"{said.temperature:g}"))
    written(said.prompt, said.text)


def written(prompt: str, drawn: str) -> None:
    """What a text model wrote after ``prompt``: the unknown symbol (a character outside its vocabulary) as □,
    which a note below says, rather than "�", which reads as a broken file."""
    st.code(prompt + shown_symbols(drawn), language=None, wrap_lines=True)
    if UNKNOWN in drawn:
        st.caption(t("tasks.unknown_symbol", symbol=UNKNOWN_SHOWN))


def shown_symbols(drawn: str) -> str:
    """Characters a text model wrote, its unknown symbol shown as □."""
    return drawn.replace(UNKNOWN, UNKNOWN_SHOWN)


def scores_table(result, task: str) -> None:
    """The model's scores on validation and test, next to the baselines."""
    metrics = ("bits_per_char", "perplexity") if task == "charlm" else ("accuracy", "macro_f1")
    rows = [(t("tasks.model"), result.metrics)] + [(t(f"baseline.{name}"), by_split)
                                                   for name, by_split in result.baselines.items()]
    frame = pd.DataFrame([{t("tasks.col.model"): who, t("tasks.col.split"): t(f"tasks.split.{split}"),
                           **{t(f"tasks.metric.{m}"): scores[m] for m in metrics}}
                          for who, by_split in rows for split, scores in by_split.items()])
    st.subheader(t("tasks.scores"))
    st.dataframe(frame, hide_index=True, width="stretch")
    test = result.metrics["test"]
    if task == "charlm":
        better = test["bits_per_char"] < result.baselines["bigram"]["test"]["bits_per_char"]
    else:
        better = test["accuracy"] > result.baselines["majority"]["test"]["accuracy"]
    (st.success if better else st.warning)(t("tasks.beats") if better else t(f"tasks.no_better.{task}"))


def text_results(result) -> None:
    """Sampled text (prompt, temperature) and the test text coloured by one unit, with the model's guesses."""
    text_sample(result)
    text_inside(result)


def inside(result) -> None:
    """Inside a text or labels model: the test text coloured by one unit, or a test sequence through the cell."""
    (text_inside if result.task == "charlm" else class_inside)(result)


def text_sample(result) -> None:
    """What the model writes after a prompt, at a temperature."""
    lookback = result.config.window.lookback
    st.subheader(t("tasks.sample_heading"))
    left, right = st.columns([3, 1])
    prompt = left.text_area(t("tasks.prompt"), value=result.text[:lookback], key="w.tasks.prompt", height=80)
    heat = right.slider(t("tasks.temperature"), 0.1, 2.0, 0.8, 0.1, key="w.tasks.temperature",
                        help=t("tasks.temperature_help"))
    seeded = torch.Generator().manual_seed(result.config.train.seed)
    drawn = _once(result, ("sample", prompt, heat),
                  lambda: sample(result.model, result.vocab, prompt, SAMPLED, lookback, heat, seeded))
    written(prompt, drawn)


def text_inside(result) -> None:
    """The test text coloured by one unit (the most interpretable ones first), with the model's next guesses."""
    window = result.config.window
    passage = split_text(result.text, window.train_fraction, window.val_fraction)[2][:TRACED]  # the test part's start
    trace = _once(result, ("trace",), lambda: text_trace(result.model, result.vocab, passage))
    st.subheader(t("tasks.inside_heading"))
    st.caption(t("tasks.inside_caption", count=len(passage)))
    c1, c2, c3 = st.columns(3)
    layer = c1.selectbox(t("tasks.layer"), range(len(trace.states)), key="w.tasks.layer")
    values = {**trace.states[layer], **trace.gates[layer]}
    what = c2.selectbox(t("tasks.what"), list(values), key="w.tasks.what", format_func=lambda n: text(f"gate.{n}"))
    found = interpretable_units(trace.states[layer]["h"], passage, k=4)
    ranked = [u["unit"] for u in found] + list(range(values[what].shape[1]))  # the interpretable ones first
    named = {u["unit"]: text("tasks.unit_named", unit=u["unit"], kind=text(f"tasks.kind.{u['kind']}"),
                             score=f"{u['score']:.2f}")
             for u in reversed(found)}
    unit = c3.selectbox(t("tasks.unit"), list(dict.fromkeys(ranked)), format_func=lambda u: named.get(u, str(u)),
                        key="w.tasks.unit")
    limit = None if what == "c" or result.config.model.activation == "relu" else 1.0
    st.plotly_chart(coloured_text_figure(passage, values[what][:, unit], limit=limit, labels={
        "title": text("tasks.fig.coloured", what=text(f"gate.{what}"), unit=unit), "value": text("tasks.fig.value")}),
        key="tasks.coloured")
    position = st.slider(t("tasks.position"), 0, len(passage) - 1, min(40, len(passage) - 1), key="w.tasks.position")
    guesses = ", ".join(f"“{shown_symbols(ch)}” {p:.0%}" for ch, p in top_guesses(trace, result.vocab, position, 5))
    st.caption(t("tasks.guesses", context=passage[max(0, position - 20):position + 1], guesses=guesses))


def class_results(result) -> None:
    """The confusion matrix and the mistakes, then one test sequence through the cell."""
    class_confusion(result)
    class_inside(result)


def class_confusion(result) -> None:
    st.subheader(t("tasks.confusion_heading"))
    st.plotly_chart(confusion_figure(result.metrics["test"]["confusion_matrix"], result.data.classes, labels={
        "title": text("tasks.fig.confusion"), "true": text("tasks.fig.true"), "predicted": text("tasks.fig.predicted"),
        "share": text("tasks.fig.share")}), key="tasks.confusion")
    st.plotly_chart(misclassified_figure(result.data.x, result.misclassified("test"), labels={
        "title": text("tasks.fig.wrong"), "x": text("tasks.fig.step"), "y": text("tasks.fig.value"),
        "none": text("tasks.fig.none")}), key="tasks.wrong")


def class_inside(result) -> None:
    """One test sequence (the misclassified ones first) through the cell: its gates and states."""
    st.subheader(t("tasks.sequence_heading"))
    part, names, predicted = result.parts.test, result.data.classes, result.predictions["test"]
    order = sorted(range(len(part)), key=lambda k: (part.y[k] == predicted[k], k))  # the mistakes first
    picked = st.selectbox(t("tasks.sequence"), order, key="w.tasks.sequence", format_func=lambda k: text(
        "tasks.sequence_named", index=int(part.index[k]), true=names[part.y[k]], predicted=names[predicted[k]]))
    model = result.config.model
    st.plotly_chart(heatmaps(trace_window(result.model, result.parts, "test", picked, 0), model.cell,
                             model.activation, result.data.features), key="tasks.gates")
