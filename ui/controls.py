"""Widget groups: each draws the widgets of some settings of the next run's config (the Lab's).

Every widget comes from its setting's declaration (rnncore.config / rnncore.settings): its kind,
range, step, labels (``setting.NAME`` and ``setting.NAME.help`` in ui/lang) and the server's cap.

The widgets are a view of ``lab().config``, never a second copy of it: each run of the page sets every
widget to the config's value before drawing it, and a widget's change (its ``on_change``) is checked and
then written into the config, all or nothing. So a widget's state cannot outlive the settings it was
drawn from (a scenario, a link, a continued run that changed the config meanwhile) and show one thing
while the next run uses another. A typed value that cannot be used (outside its setting's range, above
the server's cap, not a whole number, "1e+30") is refused where it is typed: it stays in its box, the
reason is said under it, the config keeps its value and Start waits (``problems``) until it is fixed.
Numbers are typed into float boxes, so the browser sends what was typed ("12.7", "1e+30") instead of
rounding it silently, and the setting's own rules decide. Widget keys are ``w.NAME``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from rnncore.config import ACTIVATIONS, SETTINGS, ExperimentConfig
from rnncore.errors import KeyedError
from rnncore.settings import Setting
from rnncore.tasks.build import UNUSED
from rnncore.training import devices
from rnncore.training.limits import ServerLimits
from ui.i18n import explain_error, t
from ui.state import INVALID, WIDGET_PREFIX, lab, server_limits

WINDOW_ROWS = (("lookback", "horizon", "stride"), ("train_fraction", "val_fraction"),
               ("scaler", "difference", "initial_state"))
MODEL_ROWS = (("cell", "hidden_size", "num_layers"), ("activation", "dropout", "forget_bias", "embedding"))
TRAIN_ROWS = (("epochs", "batch_size", "lr"), ("optimizer", "loss", "clip_norm"),
              ("weight_decay", "patience", "keep", "scheduler"), ("seed", "max_seconds", "device", "probe_every"))

Options = Callable[[str, dict], Sequence | None]  # (setting, the section's values) -> its allowed choices


def widget_key(name: str) -> str:
    return f"{WIDGET_PREFIX}{name}"


def seed(key: str, value) -> str:
    """Give widget ``key`` the value ``value`` when it has none yet; returns the key (a widget of a page's own,
    not a setting's)."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def forget_widgets() -> None:
    """The config changed as a whole (a link, a scenario, a challenge): values typed and refused go too."""
    st.session_state.pop(INVALID, None)


def problems() -> dict[str, str]:
    """The settings whose typed value was refused: name -> why (Markdown-safe). Start waits for none."""
    return dict(st.session_state.get(INVALID, {}))


def bounds(declared: Setting, limits: ServerLimits, current) -> tuple:
    """(low, high) of a setting for the page: the declared range, capped by the server, widened to show
    ``current`` (a config from a link or a zip may hold more than this server allows: Start says so)."""
    cap = limits.run_limits().cap(declared.name)
    high = declared.high if cap is None else min(declared.high, cap)
    kind = declared.kind
    return kind(declared.low), kind(max(high, current))


def label(name: str) -> str:
    return t(f"setting.{name}")


def allowed(section_values: dict, options: Options) -> dict:
    """The section's values with each choice that its group's rules no longer allow set to the first allowed
    one (a GRU has only tanh: an LSTM's relu becomes tanh when the cell becomes a GRU)."""
    values = dict(section_values)
    for name, value in section_values.items():
        choices = options(name, values)
        if choices is not None and value not in choices:
            values[name] = choices[0]
    return values


def typed(section: str, name: str, options: Options) -> None:
    """``on_change`` of setting ``name``'s widget: the value typed becomes the next run's, with what its group's
    rules then change; or it is refused (kept in its box, the reason said under it), and nothing changes."""
    session, refused = lab(), st.session_state.setdefault(INVALID, {})
    declared = SETTINGS[name]
    try:
        value = declared.parse(st.session_state[widget_key(name)])
        server_limits().run_limits().check_value(name, value)
        current = getattr(session.config, section)
        values = allowed({**{n: getattr(current, n) for n in type(current).SETTINGS}, name: value}, options)
        session.config = session.config.replace(**{section: values})
    except KeyedError as exc:
        refused[name] = explain_error(exc)
        return
    refused.pop(name, None)


def widget(where, section: str, declared: Setting, current, limits: ServerLimits, *, options: Options,
           choices: Sequence | None = None, disabled: bool = False) -> None:
    """One setting's widget in ``where`` (a column), showing ``current`` (the config's value) unless a value
    typed there was refused, which it keeps, with the reason under it."""
    name, key = declared.name, widget_key(declared.name)
    refused = st.session_state.get(INVALID, {})
    if name not in refused:
        st.session_state[key] = float(current) if declared.widget == "number" else current
    low_high = None if declared.widget == "select" else bounds(declared, limits, current)
    common = {"label": label(name), "key": key, "disabled": disabled, "on_change": typed,
              "args": (section, name, options),
              "help": t(f"setting.{name}.help", limit=f"{low_high[1]:g}" if low_high else "")}
    if declared.widget == "select":
        text = (lambda v: t(f"{declared.labels}.{v}")) if declared.labels else str
        where.selectbox(options=list(choices or declared.choices), format_func=text, **common)
    elif declared.widget == "log_slider":
        where.select_slider(options=sorted({*declared.grid(), current}), format_func="{:g}".format, **common)
    elif declared.widget == "slider":
        where.slider(min_value=low_high[0], max_value=low_high[1], step=declared.step, **common)
    else:
        where.number_input(step=float(declared.step if declared.step is not None else 1), format="%g", **common)
    if name in refused:
        where.markdown(f":red[{refused[name]}]")


def settings_group(section: str, rows: Sequence[Sequence[str]], limits: ServerLimits,
                   options: Options = lambda name, values: None,
                   disabled: Callable[[str, dict], bool] = lambda name, values: False) -> None:
    """Draw ``rows`` of the settings of ``section`` of the next run's config.

    ``options(name, values so far)`` may narrow a choice, ``disabled(name, values so far)`` grey a
    widget out: the rules of one group (a GRU has only tanh; dropout needs two layers). A setting the config's
    task does not read (rnncore.tasks.build.UNUSED) is left out.
    """
    config = lab().config
    current, unused = getattr(config, section), UNUSED[config.data.task]
    values = {n: getattr(current, n) for n in type(current).SETTINGS}
    for names in rows:
        row = [name for name in names if name not in unused]  # a setting the task does not read has no widget
        for where, name in zip(st.columns(len(row)) if row else (), row, strict=True):
            widget(where, section, type(current).SETTINGS[name], values[name], limits, options=options,
                   choices=options(name, values), disabled=disabled(name, values))


def _model_options(name: str, values: dict) -> Sequence | None:
    if name == "activation":
        return ("tanh",) if values["cell"] == "gru" else ACTIVATIONS
    return None


def model_controls(limits: ServerLimits) -> None:
    """Cell type and size."""
    settings_group("model", MODEL_ROWS, limits, options=_model_options,
                   disabled=lambda name, v: (name == "dropout" and v["num_layers"] < 2)
                   or (name == "forget_bias" and v["cell"] not in ("lstm", "article_lstm")))


def train_controls(limits: ServerLimits) -> None:
    """Optimiser, loss, stopping rules, seed, time limit and device."""
    settings_group("train", TRAIN_ROWS, limits)


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


def window_controls(limits: ServerLimits, sequences: bool) -> None:
    """Lookback, horizon, split and scaling (a memory task's windows are its sequences: no lookback)."""
    settings_group("window", WINDOW_ROWS, limits,
                   disabled=lambda name, v: sequences and name in ("lookback", "horizon", "stride"))


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
