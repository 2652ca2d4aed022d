"""The Text & labels page's pieces: the data and settings widgets of a character language model or a
sequence classifier, the run's buttons, what a text model writes while it trains, and what an ended run shows:
its scores next to the baselines, sampled text, the text coloured by a unit, the confusion matrix and the
misclassified sequences.

The widgets' ranges come from the settings' one declaration (rnncore.config) under the server's caps
(ui.controls.bounds). A run is the session Lab's, as every run is (Start, Pause, Step, Stop, the live panel,
the sidebar's status, the workspace's store); everything it computes is rnncore's (rnncore.tasks, rnncore.viz).
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st
import torch

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.data.labelled import LABELLED_GENERATORS, LABELLED_SAMPLES, load_labelled, read_labelled
from rnncore.data.text import UNKNOWN, read_text, split_text
from rnncore.errors import KeyedError
from rnncore.tasks.build import recommended
from rnncore.tasks.charlm import TEXT_SAMPLES, load_text, sample
from rnncore.tasks.files import task_zip
from rnncore.tasks.scenarios import TaskScenario
from rnncore.viz.class_plots import confusion_figure, misclassified_figure
from rnncore.viz.inspection import trace_window
from rnncore.viz.text_views import coloured_text_figure, interpretable_units, text_trace, top_guesses
from ui import actions, links
from ui.controls import bounds, label, seed
from ui.i18n import explain_error, explain_note, source_name, t, text
from ui.inside import heatmaps
from ui.state import TASK_MEMO, TASK_MESSAGE, lab, server_limits
from ui.sweep import sweep_task

MAX_PAGE_CHARACTERS = 1_000_000  # of a text trained here: the time of an epoch and the memory of a run grow with it
TRACED = 400  # characters of the test part coloured on Inside
SAMPLED = 300  # characters drawn from the model
UNKNOWN_SHOWN = "□"  # how the unknown symbol is shown (as Chinese print marks a character it lacks)
SOURCES = {"charlm": [f"sample:{name}" for name in TEXT_SAMPLES],
           "classify": [f"sample:{name}" for name in LABELLED_SAMPLES]
           + [f"synthetic:{name}" for name in LABELLED_GENERATORS]}
ROWS = {"charlm": (("cell", "hidden_size", "lookback", "vocabulary"), ("embedding", "epochs", "batch_size", "lr")),
        "classify": (("cell", "hidden_size", "forget_bias", "class_weights"), ("epochs", "batch_size", "lr"))}
# the widgets' first values for a file or a generated set (a bundled sample's recommended settings replace them)
DEFAULTS = {"charlm": {"hidden_size": 64, "lookback": 32, "epochs": 30, "batch_size": 64, "lr": 0.005},
            "classify": {"hidden_size": 16, "epochs": 10, "batch_size": 32, "lr": 0.01}}
TASK, UPLOAD, LABEL = "w.tasks.task", "w.tasks.upload.", "w.tasks.label"
LIVE_PROMPT, LIVE_HEAT = "w.tasks.live_prompt", "w.tasks.live_temperature"  # what a training text model writes


def _once(result, what: tuple, compute):
    """``compute()`` once for the result shown: a rerun (a slider moved) reuses it; another result starts anew."""
    shown = st.session_state.get(TASK_MEMO)
    if shown is None or shown[0] is not result:
        shown = st.session_state[TASK_MEMO] = (result, {})
    if what not in shown[1]:
        shown[1][what] = compute()
    return shown[1][what]


def task_choice() -> str:
    seed(TASK, "charlm")
    return st.segmented_control(t("tasks.task"), list(SOURCES), format_func=lambda k: text(f"tasks.task.{k}"),
                                key=TASK) or "charlm"


def setting_key(task: str, name: str) -> str:
    return f"w.tasks.{task}.{name}"


def take_config(task: str, cfg: ExperimentConfig) -> None:
    """A task's data and settings into the widgets (before they are drawn): a scenario's, or a link's."""
    st.session_state[TASK] = task
    if cfg.data.source in SOURCES[task]:
        st.session_state[f"w.tasks.source.{task}"] = cfg.data.source
    if task == "classify":
        st.session_state[LABEL] = cfg.data.label or ""
    for row in ROWS[task]:
        for name in row:
            st.session_state[setting_key(task, name)] = getattr(getattr(cfg, SETTINGS[name].section), name)


def take_scenario(scenario: TaskScenario) -> None:
    take_config(scenario.task, scenario.config)


def to_sweep(cfg: ExperimentConfig, chosen: Chosen) -> None:
    """The Sweep page sweeps this experiment next (on the chosen data), not the Lab's."""

    sweep_task(cfg, chosen.data, chosen.data.name)


def take_link() -> None:
    """A link's text or classification experiment into the widgets, once; a source this page does not offer is
    said in the sidebar's note on the link (ui.links), and the page's default data stays."""
    cfg = links.task_link()
    if cfg is None:
        return
    task = cfg.data.task
    if cfg.data.kind != "file" and cfg.data.source not in SOURCES[task]:
        offered = ", ".join(map(source_name, SOURCES[task]))
        st.session_state[TASK_MESSAGE] = t("links.bad_source", source=source_name(cfg.data.source),
                                      error=text("tasks.link_source", choices=offered))  # (t escapes it once)
    take_config(task, cfg)


def experiment(task: str, cfg: ExperimentConfig, chosen: Chosen | None) -> ExperimentConfig:
    """The run's whole config: the settings of the widgets with the task and the chosen data (the label column a
    file's, never a generated set's)."""
    if chosen is None:
        return cfg.replace(data={"task": task})
    data = chosen.data
    label_column = data.label if task == "classify" and data.layout != "generated" else None
    return cfg.replace(data={"task": task, "source": chosen.source, "label": label_column})


def _sample_label(source: str) -> str:
    return text(f"tasks.sample.{source.removeprefix('sample:')}")


class Chosen(NamedTuple):
    """The data a run trains on: its source (sample:NAME, synthetic:NAME or the uploaded file's name), the Text or
    the LabelledSet itself, and an upload's bytes as trained on (what the run store keeps, so the run can be
    reopened; None for a sample or a generator)."""

    source: str
    data: object
    content: bytes | None = None


class Opened(NamedTuple):
    """An ended run whose results a page shows: its result, what it keeps of its data (name, rows, a file's
    sha256), its number in the workspace (None: kept in this tab only)."""

    result: object
    data: dict
    number: int | None


def data_choice(task: str) -> Chosen | None:
    """The data the run will train on; None (with the loader's message shown) when the file cannot be used."""
    left = right = st.container()  # one above the other: a sample's title is long for half a narrow page
    source = left.selectbox(t("tasks.sample"), SOURCES[task], format_func=_sample_label, key=f"w.tasks.source.{task}",
                            on_change=forget_settings, args=(task,))
    kinds = ["txt"] if task == "charlm" else ["csv", "tsv", "txt"]
    limit = st.get_option("server.maxUploadSize")  # Streamlit's box says it in English only: the page says it too
    upload = right.file_uploader(t("tasks.upload", limit=limit), type=kinds, key=UPLOAD + task,
                                 help=t(f"tasks.upload_help.{task}", limit=f"{MAX_PAGE_CHARACTERS:,}"))
    right.caption(t("tasks.upload_limit", limit=limit, kinds=", ".join(f".{kind}" for kind in kinds)))
    label_column = st.text_input(t("tasks.label"), key=LABEL).strip() or None if task == "classify" else None
    source = upload.name if upload else source
    try:
        if task == "charlm":
            words = read_text(upload.getvalue(), upload.name) if upload else load_text(source)
            if len(words) > MAX_PAGE_CHARACTERS:
                st.caption(t("tasks.cut", limit=f"{MAX_PAGE_CHARACTERS:,}"))
                words = words.cut(MAX_PAGE_CHARACTERS)
            st.caption(t("tasks.using", name=source_name(source), what=text(
                "tasks.what.charlm", characters=f"{len(words):,}", distinct=f"{len(set(words)):,}")))
            content = words.encode("utf-8") if upload else None  # (the part trained on, when it was cut)
            return Chosen(source, words, content)
        data = read_labelled(upload.getvalue(), label=label_column, name=upload.name) if upload else \
            load_labelled(source, label=label_column)
    except KeyedError as exc:
        st.error(explain_error(exc), icon=":material/error:")
        return None
    counts = ", ".join(f"{name} {count}" for name, count in data.counts.items())
    st.caption(t("tasks.using", name=source_name(source), what=text("tasks.what.classify", sequences=f"{len(data):,}",
                                                       steps=data.x.shape[1], counts=counts)))
    for note in data.notes:
        st.caption(explain_note(note))
    return Chosen(source, data, upload.getvalue() if upload else None)


def _option_text(name: str):
    """How a choice of ``name`` reads: a cell's name, or what a class weighting does."""
    family = "cell" if name == "cell" else "tasks.weights"
    return lambda value: text(f"{family}.{value}")


def starting_settings(task: str) -> ExperimentConfig:
    """What a task's widgets start from: the page's defaults for the task and, for a bundled sample picked, the
    settings recommended for it (rnncore.tasks.build.recommended)."""
    sections: dict[str, dict] = {}
    for name, value in DEFAULTS[task].items():
        sections.setdefault(SETTINGS[name].section, {})[name] = value
    source = st.session_state.get(f"w.tasks.source.{task}", SOURCES[task][0])
    return recommended(ExperimentConfig().replace(data={"task": task, "source": source}, **sections))


def forget_settings(task: str) -> None:
    """The sample picked changed: the settings widgets start again from its recommended settings."""
    for row in ROWS[task]:
        for name in row:
            st.session_state.pop(setting_key(task, name), None)


def settings(task: str) -> ExperimentConfig:
    """The run's settings: a few widgets, each with its declared range under the server's caps, starting from
    ``starting_settings``."""
    limits, values, start = server_limits(), {}, starting_settings(task)
    for row in ROWS[task]:
        for where, name in zip(st.columns(len(row)), row, strict=True):
            declared, key = SETTINGS[name], setting_key(task, name)
            seed(key, getattr(getattr(start, declared.section), name))
            current = st.session_state[key]
            common = {"label": label(name), "key": key, "help": t(f"setting.{name}.help", limit="")}
            if declared.choices:
                values[name] = where.selectbox(options=declared.choices, format_func=_option_text(name), **common)
            else:
                low, high = bounds(declared, limits, current)
                step = declared.step if declared.step is not None else (1 if declared.whole else None)
                values[name] = where.number_input(min_value=low, max_value=high, step=step,
                                                  format=None if declared.whole else "%g", **common)
    sections = {section: {n: v for n, v in values.items() if SETTINGS[n].section == section}
                for section in ("data", "window", "model", "train")}
    return ExperimentConfig().replace(**sections)


def buttons(cfg: ExperimentConfig, chosen: Chosen | None) -> bool:
    """Start, Pause or Resume, Step and Stop of the session's run (its Lab's: the one run of every page), and
    Sweep; whether Sweep was pressed."""
    can, row = lab().controls(), st.columns(4)
    if row[0].button(t("tasks.start"), key="b.tasks.start", type="primary", icon=":material/play_arrow:",
                     disabled=not can.start or chosen is None, width="stretch"):
        start(cfg, chosen)
        st.rerun()
    row[1].button(t("train.resume") if can.resume else t("train.pause"), key="b.tasks.pause",
                  on_click=actions.pause_or_resume, disabled=not (can.pause or can.resume), icon=":material/pause:",
                  width="stretch")
    if row[2].button(t("train.step"), key="b.tasks.step", disabled=not can.step or (can.start and chosen is None),
                     icon=":material/skip_next:", help=t("train.step_help"), width="stretch"):
        if lab().busy:  # one more epoch of the paused run
            lab().step()
        else:  # one epoch of this experiment, then paused
            start(cfg, chosen, one_epoch=True)
        st.rerun()
    row[3].button(t("tasks.stop"), key="b.tasks.stop", on_click=actions.stop, disabled=not can.stop,
                  icon=":material/stop:", width="stretch")
    return st.button(t("tasks.sweep"), key="b.tasks.sweep", icon=":material/travel_explore:", disabled=chosen is None,
                     help=t("tasks.sweep_help"))


def start(cfg: ExperimentConfig, chosen: Chosen, one_epoch: bool = False) -> None:
    """Train ``cfg`` (``experiment``'s: its task and the chosen data) in the session's Lab (``one_epoch``: then
    pause); a setting over the server's limits, data it cannot use or a run still going is said, and nothing
    starts."""
    try:
        lab().start(cfg, one_epoch=one_epoch, data=chosen.data, content=chosen.content)
    except KeyedError as exc:
        st.session_state[TASK_MESSAGE] = explain_error(exc)


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


def show_message() -> None:
    if message := st.session_state.pop(TASK_MESSAGE, None):
        st.error(message, icon=":material/error:")


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
