"""The Sweep page's pieces: the search space and budget widgets, what Start, Stop, Open and Continue do,
the trials table and its CSV, and the study's figures in the app's style and language.

The searched settings and their ranges come from each setting's one declaration (rnncore.config) and the
sweep's defaults (rnncore.sweeps.SEARCH_DEFAULTS); a range the user types wrong is refused by
rnncore.sweeps.SearchSpace, whose message the page shows. A sweep trains in its own thread (the session's
SweepDesk); its trials are runs of this browser's workspace, like any other run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from rnncore.config import SETTINGS
from rnncore.errors import KeyedError, SweepError, data_error
from rnncore.sweeps import PRUNERS, SEARCH_DEFAULTS, SEARCHABLE, WORDS, SearchSpace, Sweep, relabel
from rnncore.sweeps.space import DEFAULT_SEARCH
from rnncore.viz import plots
from ui.actions import report
from ui.compare import PICKED as COMPARE_PICKED
from ui.controls import bounds, label
from ui.evaluate import PICKED as EVALUATE_PICKED
from ui.i18n import TABLES, explain_error, source_name, t, text
from ui.inside import PICKED as INSIDE_PICKED
from ui.runs import run_label
from ui.state import SWEEP_ASKED, lab, server_limits, sweep_desk, sweep_storage

MOST_TRIALS = 200  # the page's cap on one sweep's trials (the command line has none): a server's time is shared
FIGURE_HEIGHT = 380
COLUMNS = ("trial", "state", "val_loss", "epochs", "run")  # TrialOutcome.row()'s own columns; then the settings
COMPARED = 8  # "Compare" opens the picked trial's run and the sweep's next runs, this many in all
SEARCH = "w.sweep.search"  # the settings searched
LOW, HIGH, CHOICES = "w.sweep.low.", "w.sweep.high.", "w.sweep.choices."  # + a setting's name
TRIALS, EPOCHS, SECONDS = "w.sweep.trials", "w.sweep.epochs", "w.sweep.seconds"
PRUNER, SEED, STUDY = "w.sweep.pruner", "w.sweep.seed", "w.sweep.study"
OPEN = "w.sweep.open"  # the stored study picked to open


@dataclass(frozen=True)
class Budget:
    """What a sweep may spend, and how it is seeded and named."""

    trials: int
    epochs: int  # each trial's epochs
    seconds: float  # the whole sweep's time (0: no limit but the trials)
    pruner: str
    seed: int
    study: str  # "" : a new name from the time


def owner() -> str | None:
    """Whose studies the page lists: this browser's workspace (a digest of its key), None without a store."""
    archive = lab().archive
    return hashlib.sha256(archive.key.encode()).hexdigest()[:16] if archive.stored else None


def _seed(key: str, value) -> str:
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(SWEEP_ASKED, {}).get(key, value)
    return key


def _choice_label(declared):
    return (lambda v: text(f"{declared.labels}.{v}")) if declared.labels else str


# widgets ----------------------------------------------------------------------------------------------
def space_controls() -> None:
    """Which settings to search and, for each, its range (a number) or its choices (a choice)."""
    st.multiselect(t("sweep.search"), SEARCHABLE, format_func=lambda n: text(f"setting.{n}"),
                   key=_seed(SEARCH, list(DEFAULT_SEARCH)), help=t("sweep.search_help"))
    limits = server_limits()
    for name in st.session_state[SEARCH]:
        declared = SETTINGS[name]
        if declared.choices is not None:
            st.multiselect(label(name), declared.choices, format_func=_choice_label(declared),
                           key=_seed(CHOICES + name, list(declared.choices)))
            continue
        low, high = SEARCH_DEFAULTS[name]
        widest = bounds(declared, limits, high)
        number = {"min_value": widest[0], "max_value": widest[1], "format": None if declared.whole else "%g",
                  "step": declared.step or (1 if declared.whole else None)}
        c1, c2, c3 = st.columns([3, 2, 2], vertical_alignment="bottom")  # boxes wide enough for 0.0001 at 1024 px
        c1.markdown(f"**{label(name)}**" + (f" · {t('sweep.log_scale')}" if declared.log else ""))
        c2.number_input(t("sweep.low"), key=_seed(LOW + name, declared.kind(low)), **number)
        c3.number_input(t("sweep.high"), key=_seed(HIGH + name, declared.kind(high)), **number)


def budget_controls(epochs: int, seed: int) -> None:
    """The number of trials, each trial's epochs, the time budget, the pruner, the seed, the study's name."""
    limits = server_limits()
    c1, c2, c3 = st.columns(3)
    c1.number_input(t("sweep.trials"), 1, MOST_TRIALS, key=_seed(TRIALS, 20), help=t("sweep.trials_help"))
    c2.number_input(t("sweep.epochs"), 1, limits.max_epochs, key=_seed(EPOCHS, min(epochs, limits.max_epochs)),
                    help=t("sweep.epochs_help"))
    c3.number_input(t("sweep.seconds"), 0, 24 * 3600, key=_seed(SECONDS, 0), step=30, help=t("sweep.seconds_help"))
    c1, c2, c3 = st.columns(3)
    c1.selectbox(t("sweep.pruner"), PRUNERS, format_func=lambda p: text(f"sweep.pruner.{p}"),
                 key=_seed(PRUNER, "median"), help=t("sweep.pruner_help"))
    c2.number_input(t("setting.seed"), 0, 2**31 - 1, key=_seed(SEED, seed))
    c3.text_input(t("sweep.study"), key=_seed(STUDY, ""), max_chars=100, help=t("sweep.study_help"),
                  placeholder=t("sweep.study_placeholder"))


def asked() -> tuple[dict, Budget]:
    """The search ranges and the budget the widgets hold now (read at the click)."""
    state = st.session_state
    ranges = {}
    for name in state.get(SEARCH, DEFAULT_SEARCH):
        ranges[name] = state.get(CHOICES + name) if SETTINGS[name].choices is not None else \
            (state.get(LOW + name), state.get(HIGH + name))
    budget = Budget(int(state[TRIALS]), int(state[EPOCHS]), float(state[SECONDS]), state[PRUNER], int(state[SEED]),
                    (state[STUDY] or "").strip())
    return ranges, budget


# actions (button callbacks) --------------------------------------------------------------------------
def start() -> None:
    """Start a sweep of the ranges and budget asked, on the next run's data and settings."""
    ranges, budget = asked()
    st.session_state[SWEEP_ASKED] = {key: st.session_state[key] for key in st.session_state
                               if isinstance(key, str) and key.startswith("w.sweep.") and key != OPEN}

    def begin():
        space = SearchSpace(ranges)  # SweepError for a range that is empty, inverted or outside its setting's
        config, _ = target()
        base = config.replace(train={"epochs": budget.epochs, "seed": budget.seed})
        _launch(base, space, budget, lab().ensure_dataset())

    _guarded(begin)


def resume(trials: int) -> None:
    """Go on with the study looked at, up to ``trials`` trials in all, on its own settings and data."""
    job = sweep_desk().job

    def begin():
        plan = job.sweep.plan
        dataset = lab().dataset_for(plan.base)
        if dataset is None:
            raise data_error("load_run_data", source=plan.base.data.source)
        _launch(plan.base, plan.space, Budget(trials, plan.base.train.epochs, 0, plan.pruner, plan.seed, job.name),
                dataset)

    _guarded(begin)


def _launch(base, space: SearchSpace, budget: Budget, dataset) -> None:
    desk, (storage, down), session = sweep_desk(), sweep_storage(), lab()
    if down is not None:
        raise down
    if desk.running:
        raise SweepError.keyed("sweep_going", study=desk.job.name)
    mine = owner()
    if budget.study and budget.study in storage.studies() and budget.study not in storage.studies(mine or ""):
        raise SweepError.keyed("not_yours", study=budget.study)
    sweep = Sweep.create(base, space, trials=budget.trials, pruner=budget.pruner, seed=budget.seed, storage=storage,
                         study=budget.study or None, limits=session.limits, seconds=budget.seconds or None,
                         slots=session.slots, dataset=dataset, owner=mine or "")
    if session.archive.stored:
        sweep.record_into(session.archive.store, session.archive.key, data_kept=base.data.kind == "file")
    desk.start(sweep)


def open_study() -> None:
    """Look at the stored study picked (its trials and figures), without training it."""
    def begin():
        storage, down = sweep_storage()
        if down is not None:
            raise down
        sweep_desk().open(Sweep.view(st.session_state[OPEN], storage))

    _guarded(begin)


def stop() -> None:
    sweep_desk().stop()


def _guarded(action) -> None:
    try:
        action()
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)


# what the page shows ---------------------------------------------------------------------------------
def target() -> tuple:
    """(the config a sweep starts from, the data's name): the Lab's next run, of any task."""
    config = lab().config
    return config, source_name(config.data.source)


def studies() -> list[str]:
    """This workspace's stored studies, newest name last; [] without a store."""
    storage, down = sweep_storage()
    mine = owner()
    if down is not None or mine is None:
        return []
    try:
        return storage.studies(mine)
    except KeyedError as exc:
        st.error(explain_error(exc), icon=":material/database:")
        return []


def trials_frame(outcomes) -> pd.DataFrame:
    """The trials as the page's table: translated headers and states, the searched settings by label."""
    rows = []
    for o in outcomes:
        row = o.row()
        row["state"] = text(f"sweep.state.{row['state']}")
        row |= {k: choice_text(SETTINGS[k], v) for k, v in o.params.items() if SETTINGS[k].choices}
        rows.append({text(f"sweep.col.{k}") if k in COLUMNS or k == o.metric else text(f"setting.{k}"): v
                     for k, v in row.items()})
    return pd.DataFrame(rows)


def trials_csv(outcomes) -> bytes:
    """The sweep's table as CSV: the same rows, with the command line's names (one row per trial)."""
    return pd.DataFrame([o.row() for o in outcomes]).to_csv(index=False).encode()


def choice_text(declared, value: str) -> str:
    """A choice's value as people read it, in a narrow place: its short label where there is one ("LSTM")."""
    if not declared.labels:
        return value
    short = f"{declared.labels}_short.{value}"
    return text(short) if short in TABLES["en"] else text(f"{declared.labels}.{value}")


MOST_NAMED_TRIALS = 12  # the per-epoch chart names each trial in a legend up to this many
FEW_TRIALS = 10  # importances from fewer completed trials than this are a rough guess (said under the chart)


def figure_title(name: str, metric: str = "val_loss") -> str:
    """A study's figure's title: the values per epoch named as what they are (a loss, an accuracy, bits)."""
    return text(f"sweep.fig.{name}" if name != "intermediate" or metric == "val_loss" else f"sweep.fig.{name}.{metric}")


def figure(name: str, fig, space, metric: str = "val_loss") -> object:
    """One of the study's figures (rnncore.sweeps.figures) in the app's words and style (the value named as
    ``metric`` is); the losses per epoch on a log axis."""
    words = {word: text(f"sweep.word.{word}") for word in WORDS} | {n: text(f"setting.{n}") for n in space.names}
    words |= {word: text(f"sweep.metric.{metric}") for word in ("Objective Value", "Intermediate Value")}
    for d in space.dimensions:
        words |= {c: choice_text(d.setting, c) for c in d.choices or ()}
    relabel(fig, words)
    if name == "intermediate" and metric == "val_loss":  # one diverging trial would flatten every other curve
        fig.update_yaxes(type="log")
    if name == "slice":  # a panel per setting, side by side: few ticks, written level
        fig.update_xaxes(tickangle=0, nticks=4, automargin=True)
    if name == "intermediate":  # colours of our own (the theme's last one is almost white), each trial named
        for i, trace in enumerate(fig.data):
            trace.update(line={"color": plots.PALETTE[i % len(plots.PALETTE)]},
                         marker={"color": plots.PALETTE[i % len(plots.PALETTE)]})
    plots.style(fig, figure_title(name, metric), FIGURE_HEIGHT + (60 if name == "slice" else 0),
                legend=name == "intermediate" and len(fig.data) <= MOST_NAMED_TRIALS)
    if name in ("parallel", "slice") or (name == "intermediate" and len(fig.data) > MOST_NAMED_TRIALS):
        fig.update_layout(showlegend=False)  # a legend of every trial says nothing
    return fig


def figure_note(name: str, completed: int) -> str | None:
    """What to keep in mind reading a figure: importances from a few trials are a guess."""
    if name == "importance" and completed < FEW_TRIALS:
        return t("sweep.few_trials", count=completed, most=FEW_TRIALS)
    return None


def read(job):
    """(the study's trials, its figures that can be drawn), or (None, None) when its storage fails (said)."""
    try:
        return job.sweep.outcomes(), job.sweep.figures()
    except KeyedError as exc:
        st.error(explain_error(exc), icon=":material/database:")
        return None, None


def status_line(job, outcomes) -> None:
    """How far the sweep is: trials ended of its budget, the one training, how it ended."""
    budget, ended = job.sweep.budget, sum(o.state != "running" for o in outcomes)
    training = job.sweep.training if job.running else None
    now = t("sweep.training_trial", trial=training[0], epoch=training[1],
            epochs=job.sweep.plan.base.train.epochs) if training else ""
    st.progress(min(ended / max(budget, 1), 1.0), text=t("sweep.progress", study=job.name, ended=ended, budget=budget,
                                                          seconds=f"{job.elapsed:.0f}", now=now))
    if job.error is not None:
        st.error(t("sweep.failed", error=explain_error(job.error, field=True)), icon=":material/error:")
    elif job.stopping:
        st.caption(t("sweep.stopping"))
    elif job.started and not job.running:
        st.caption(t("sweep.ended", ended=ended, budget=budget))
    elif not job.started:
        st.caption(t("sweep.opened"))


def best_said(best, metric: str = "val_loss") -> str:
    def value(name, v):
        return f"{v:.4g}" if isinstance(v, float) else choice_text(SETTINGS[name], v) if SETTINGS[name].choices else v

    settings = ", ".join(f"{text(f'setting.{k}')} {value(k, v)}" for k, v in best.params.items())
    return t("sweep.best", trial=best.number, metric=text(f"sweep.metric.{metric}"), value=f"{best.value:.4g}",
             settings=settings)


def train(config) -> str | None:
    """Train ``config`` (the best trial's) as the next run, on the data the study searched: the page that shows
    it; None: refused (said)."""
    session = lab()
    if session.busy:
        report(t("train.busy"))
        return None
    try:
        dataset = session.dataset_for(config)
        if dataset is None:
            raise data_error("load_run_data", source=config.data.source)
        session.start_series([config], dataset=dataset)
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return None
    return "views/train.py"


def run_name(number: int) -> str:
    record = lab().run(number)
    return run_label(record) if record is not None else f"#{number}"


def open_runs(page: str, picked: int, runs: list[int]) -> None:
    """Have ``page`` show the run ``picked`` (Compare: every run of the sweep, at most COMPARED)."""
    if page == "inside":
        st.session_state[INSIDE_PICKED] = picked
    elif page == "evaluate":
        st.session_state[EVALUATE_PICKED] = picked
    else:
        first = [picked] + [n for n in runs if n != picked]
        st.session_state[COMPARE_PICKED] = [run_name(n) for n in first[:COMPARED]]


def resume_controls(job, outcomes) -> None:
    """Go on with the study: up to how many trials in all."""
    c1, c2 = st.columns([1, 2], vertical_alignment="bottom")
    more = c1.number_input(t("sweep.more_trials"), len(outcomes) + 1, len(outcomes) + MOST_TRIALS,
                           max(job.sweep.budget, len(outcomes) + 1) if not job.started else len(outcomes) + 10,
                           key="w.sweep.more")
    c2.button(t("sweep.resume"), key="b.sweep.resume", on_click=resume, args=(int(more),), icon=":material/redo:",
              help=t("sweep.resume_help"))
