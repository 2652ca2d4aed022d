"""Widget groups: each draws the widgets of some settings and returns that config section updated.

Every widget comes from its setting's declaration (rnncore.config / rnncore.settings): its kind,
range, step, labels (``setting.NAME`` and ``setting.NAME.help`` in ui/lang) and the server's cap. A
group returns ``dataclasses.replace(current, **values)``, so a field it does not draw is kept.

A widget never changes the value it is handed: a value between the steps of a slider is offered
as one of its options, and a value above the server's cap widens the widget to show it (Start then
says which limit it is over). Widget keys are ``w.NAME``; a page's widget values are dropped when the
page is left, so each widget is seeded from the config when it appears.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import streamlit as st

from rnncore.config import ACTIVATIONS, SETTINGS, ExperimentConfig, ModelConfig, TrainConfig, WindowConfig
from rnncore.settings import Setting
from rnncore.training import devices
from rnncore.training.limits import ServerLimits
from ui.i18n import t
from ui.state import WIDGET_PREFIX

WINDOW_ROWS = (("lookback", "horizon", "stride"), ("train_fraction", "val_fraction"), ("scaler", "difference"))
MODEL_ROWS = (("cell", "hidden_size", "num_layers"), ("activation", "dropout", "forget_bias"))
TRAIN_ROWS = (("epochs", "batch_size", "lr"), ("optimizer", "loss", "clip_norm"),
              ("weight_decay", "patience", "keep", "scheduler"), ("seed", "max_seconds", "device", "probe_every"))


def widget_key(name: str) -> str:
    return f"{WIDGET_PREFIX}{name}"


def seed(key: str, value) -> str:
    """Give widget ``key`` the config's value when it has none yet; returns the key."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def forget_widgets() -> None:
    """Drop every setting widget's value, so the widgets show the config again (after a link or scenario)."""
    for name in SETTINGS:
        st.session_state.pop(widget_key(name), None)


def bounds(declared: Setting, limits: ServerLimits, current) -> tuple:
    """(low, high) of the widget: the declared range, capped by the server, widened to show ``current``."""
    cap = limits.run_limits().cap(declared.name)
    high = declared.high if cap is None else min(declared.high, cap)
    kind = declared.kind
    return kind(declared.low), kind(max(high, current))


def label(name: str) -> str:
    return t(f"setting.{name}")


def widget(where, declared: Setting, current, limits: ServerLimits, *, options: Sequence | None = None,
           disabled: bool = False):
    """One setting's widget in ``where`` (a column), seeded with ``current``; returns its value."""
    name, key = declared.name, widget_key(declared.name)
    low_high = None if declared.widget == "select" else bounds(declared, limits, current)
    common = {"label": label(name), "key": key, "disabled": disabled,
              "help": t(f"setting.{name}.help", limit=f"{low_high[1]:g}" if low_high else "")}
    if declared.widget == "select":
        choices = list(options or declared.choices)
        seed(key, current if current in choices else choices[0])
        if st.session_state[key] not in choices:  # e.g. relu kept from an LSTM after switching to a GRU
            st.session_state[key] = choices[0]
        text = (lambda v: t(f"{declared.labels}.{v}")) if declared.labels else str
        return where.selectbox(options=choices, format_func=text, **common)
    low, high = low_high
    if declared.widget == "log_slider":
        held = st.session_state.get(key)
        choices = sorted({*declared.grid(), current, *([held] if isinstance(held, float) else [])})
        seed(key, current)
        return where.select_slider(options=choices, format_func="{:g}".format, **common)
    seed(key, current)
    if declared.widget == "slider":
        return where.slider(min_value=low, max_value=high, step=declared.step, **common)
    step = declared.step if declared.step is not None else (1 if declared.whole else None)
    number_format = None if declared.whole else "%g"
    return where.number_input(min_value=low, max_value=high, step=step, format=number_format, **common)


def settings_group(current, rows: Sequence[Sequence[str]], limits: ServerLimits,
                   options: Callable[[str, dict], Sequence | None] = lambda name, values: None,
                   disabled: Callable[[str, dict], bool] = lambda name, values: False):
    """Draw ``rows`` of settings of the section ``current``; return it with the values set.

    ``options(name, values so far)`` may narrow a choice, ``disabled(name, values so far)`` grey a
    widget out: the rules of one group (a GRU has only tanh; dropout needs two layers).
    """
    values: dict = {}
    for row in rows:
        for where, name in zip(st.columns(len(row)), row, strict=True):
            declared = type(current).SETTINGS[name]
            values[name] = widget(where, declared, getattr(current, name), limits,
                                  options=options(name, values), disabled=disabled(name, values))
    return dataclasses.replace(current, **values)


def model_controls(current: ModelConfig, limits: ServerLimits) -> ModelConfig:
    """Cell type and size."""
    return settings_group(
        current, MODEL_ROWS, limits,
        options=lambda name, v: ("tanh",) if name == "activation" and v["cell"] == "gru" else ACTIVATIONS
        if name == "activation" else None,
        disabled=lambda name, v: (name == "dropout" and v["num_layers"] < 2)
        or (name == "forget_bias" and v["cell"] not in ("lstm", "article_lstm")))


def train_controls(current: TrainConfig, limits: ServerLimits) -> TrainConfig:
    """Optimiser, loss, stopping rules, seed, time limit and device."""
    return settings_group(current, TRAIN_ROWS, limits)


def device_note(cfg: ExperimentConfig) -> None:
    """On a machine with a GPU, where the next run trains and whether that is the faster device for its model;
    on one without, that cuda cannot train (before Start says so)."""
    if cfg.train.device == "cpu":
        return
    if not devices.gpu_available():
        if cfg.train.device == "cuda":
            st.warning(t("configerror.no_gpu"), icon=":material/memory:")
        return
    on_cpu, limit = devices.faster_on_cpu(cfg.model, cfg.train.batch_size), devices.break_even(cfg.model)
    if limit is None:
        why = t("device.why_gpu_always")
    else:
        why = t("device.why_cpu" if on_cpu else "device.why_gpu",
                size=f"{devices.cost(cfg.model, cfg.train.batch_size):,}", limit=f"{limit:,}")
    if cfg.train.device == "auto":
        st.caption(t("device.auto_cpu" if on_cpu else "device.auto_gpu", why=why))
    elif on_cpu:
        st.info(t("device.cuda_slower", why=why), icon=":material/speed:")


def window_controls(current: WindowConfig, limits: ServerLimits, sequences: bool) -> WindowConfig:
    """Lookback, horizon, split and scaling (a memory task's windows are its sequences: no lookback)."""
    window = settings_group(current, WINDOW_ROWS, limits,
                            disabled=lambda name, v: sequences and name in ("lookback", "horizon", "stride"))
    if window.train_fraction + window.val_fraction >= 1:  # two valid sliders, an invalid pair
        st.warning(t("data.split_too_big"))
        return current
    return window


def column_controls(columns: list[str], target: str | None, features: tuple[str, ...]) -> tuple:
    """The target column and the input columns (their choices are the data's columns).

    The widgets show what the model uses (the first column when no target is set, the target alone
    when no inputs are), and hand back None and () for those defaults, as they were given.
    """
    left, right = st.columns(2)
    shown_target = target if target in columns else columns[0]
    key = seed(widget_key("target"), shown_target)
    if st.session_state[key] not in columns:
        st.session_state[key] = shown_target
    chosen_target = left.selectbox(label("target"), columns, key=key, help=t("setting.target.help"))
    shown = [c for c in features if c in columns] or [chosen_target]
    key = seed(widget_key("features"), shown)
    st.session_state[key] = [c for c in st.session_state[key] if c in columns] or [chosen_target]
    chosen = tuple(right.multiselect(label("features"), columns, key=key, help=t("setting.features.help")))
    keep_target = target is None and chosen_target == columns[0]
    return (None if keep_target else chosen_target), (() if not features and chosen == (chosen_target,) else chosen)
