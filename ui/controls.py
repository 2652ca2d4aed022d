"""Widget groups: each draws its widgets and returns a plain config object.

Widget keys start with ``w.``. A page's widget values are dropped when the page is left,
so each widget is seeded from the Lab's config when it appears; the config, not the
widget, is what lasts. ``ranges`` is the one table of what the widgets allow: links are
checked against it too.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from rnncore.config import (
    ACTIVATIONS,
    CELLS,
    LOSSES,
    OPTIMIZERS,
    SCALERS,
    SCHEDULERS,
    ExperimentConfig,
    ModelConfig,
    TrainConfig,
    WindowConfig,
)
from ui.i18n import t
from ui.settings import ServerLimits

LEARNING_RATES = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0]


def ranges(limits: ServerLimits) -> dict[str, tuple[float, float]]:
    """(lowest, highest) of every number a person can set here; server limits included."""
    return {"lookback": (1, limits.max_lookback), "horizon": (1, 100), "stride": (1, 100),
            "train_fraction": (0.3, 0.9), "val_fraction": (0.05, 0.4),
            "hidden_size": (1, 512), "num_layers": (1, 4), "dropout": (0.0, 0.8),
            "epochs": (1, limits.max_epochs), "batch_size": (1, 1024), "lr": (1e-5, 1.0),
            "weight_decay": (0.0, 1.0), "clip_norm": (0.0, 100.0), "patience": (0, 1000), "seed": (0, 2**31 - 1)}


def within_ranges(config: ExperimentConfig, limits: ServerLimits) -> tuple[ExperimentConfig, list[str]]:
    """The config with every value outside ``ranges`` set back to its default, and what was."""
    allowed, problems, changed = ranges(limits), [], {}
    for section in ("window", "model", "train"):
        part, default = getattr(config, section), type(getattr(config, section))()
        bad = {f.name: getattr(default, f.name) for f in dataclasses.fields(part)
               if f.name in allowed and not allowed[f.name][0] <= getattr(part, f.name) <= allowed[f.name][1]}
        problems += [t("links.out_of_range", name=name, value=getattr(part, name), low=allowed[name][0],
                       high=allowed[name][1]) for name in bad]
        if bad:
            changed[section] = dataclasses.replace(part, **bad)
    return dataclasses.replace(config, **changed), problems


def seed(key: str, value) -> str:
    """Give widget ``key`` the config's value when it has none yet; returns the key."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def forget_widgets() -> None:
    """Drop every widget value, so widgets show the config again (after a link or scenario)."""
    for key in [k for k in st.session_state if str(k).startswith("w.") and k != "w.lang"]:
        del st.session_state[key]


def _number(where, name: str, label: str, current, limits: ServerLimits, **kwargs):
    """A number input bounded by ``ranges``, seeded with the config's value (clamped)."""
    low, high = ranges(limits)[name]
    kind = type(low)
    value = min(max(kind(current), low), high)
    return where.number_input(t(label), kind(low), kind(high), key=seed(f"w.{name}", value),
                              help=t(f"{label}_help", limit=high), **kwargs)


def _slider(where, name: str, label: str, current, limits: ServerLimits, **kwargs):
    low, high = ranges(limits)[name]
    return where.slider(t(label), low, high, key=seed(f"w.{name}", min(max(current, low), high)),
                        help=t(f"{label}_help"), **kwargs)


def _choice(where, name: str, label: str, options, current, **kwargs):
    return where.selectbox(t(label), options, key=seed(f"w.{name}", current if current in options else options[0]),
                           help=t(f"{label}_help"), **kwargs)


def window_controls(current: WindowConfig, columns: list[str], target: str | None,
                    features: tuple[str, ...], limits: ServerLimits, sequences: bool):
    """Target, features, lookback, horizon, split and scaling -> (target, features, WindowConfig)."""
    if not sequences:
        left, right = st.columns(2)
        target = _choice(left, "target", "data.target", columns, target)
        chosen = [c for c in features if c in columns] or [target]
        features = tuple(right.multiselect(t("data.features"), columns, help=t("data.features_help"),
                                           key=seed("w.features", chosen)))
    c1, c2, c3 = st.columns(3)
    lookback = _number(c1, "lookback", "data.lookback", current.lookback, limits, disabled=sequences)
    horizon = _number(c2, "horizon", "data.horizon", current.horizon, limits, disabled=sequences)
    scaler = _choice(c3, "scaler", "data.scaler", SCALERS, current.scaler, format_func=lambda s: t(f"scaler.{s}"))
    c4, c5, c6 = st.columns(3)
    train_fraction = _slider(c4, "train_fraction", "data.train_fraction", current.train_fraction, limits, step=0.05)
    val_fraction = _slider(c5, "val_fraction", "data.val_fraction", current.val_fraction, limits, step=0.05)
    stride = _number(c6, "stride", "data.stride", current.stride, limits)
    if train_fraction + val_fraction >= 0.95:
        st.warning(t("data.split_too_big"))
        val_fraction = round(0.95 - train_fraction, 2)
    window = WindowConfig(lookback=int(lookback), horizon=int(horizon), stride=int(stride),
                          train_fraction=float(train_fraction), val_fraction=float(val_fraction), scaler=scaler)
    return target, features, window


def model_controls(current: ModelConfig, limits: ServerLimits) -> ModelConfig:
    """Cell type and size -> ModelConfig."""
    c1, c2, c3 = st.columns(3)
    cell = _choice(c1, "cell", "model.cell", CELLS, current.cell, format_func=lambda c: t(f"cell.{c}"))
    hidden = _number(c2, "hidden_size", "model.hidden_size", current.hidden_size, limits)
    layers = _number(c3, "num_layers", "model.num_layers", current.num_layers, limits)
    c4, c5, c6 = st.columns(3)
    activations = ("tanh",) if cell == "gru" else ACTIVATIONS
    if st.session_state.get("w.activation", "tanh") not in activations:
        st.session_state["w.activation"] = "tanh"
    activation = _choice(c4, "activation", "model.activation", activations, current.activation)
    dropout = _slider(c5, "dropout", "model.dropout", current.dropout, limits, step=0.05, disabled=layers < 2)
    bias = 1.0 if current.forget_bias >= 0.5 else 0.0
    forget_bias = _choice(c6, "forget_bias", "model.forget_bias", [0.0, 1.0], bias,
                          disabled=cell not in ("lstm", "article_lstm"))
    return ModelConfig(cell=cell, hidden_size=int(hidden), num_layers=int(layers),
                       dropout=float(dropout) if layers > 1 else 0.0, activation=activation,
                       forget_bias=float(forget_bias))


def train_controls(current: TrainConfig, limits: ServerLimits) -> TrainConfig:
    """Optimiser, loss, stopping rules and seed -> TrainConfig."""
    c1, c2, c3 = st.columns(3)
    epochs = _number(c1, "epochs", "train.epochs", current.epochs, limits)
    batch = _number(c2, "batch_size", "train.batch_size", current.batch_size, limits)
    lr = c3.select_slider(t("train.lr"), LEARNING_RATES, help=t("train.lr_help"), format_func="{:g}".format,
                          key=seed("w.lr", min(LEARNING_RATES, key=lambda o: abs(o - current.lr))))
    c4, c5, c6 = st.columns(3)
    optimizer = _choice(c4, "optimizer", "train.optimizer", OPTIMIZERS, current.optimizer,
                        format_func=lambda o: t(f"optimizer.{o}"))
    loss = _choice(c5, "loss", "train.loss", LOSSES, current.loss, format_func=lambda x: t(f"loss.{x}"))
    clip = _number(c6, "clip_norm", "train.clip_norm", current.clip_norm, limits, step=0.5)
    c7, c8, c9, c10 = st.columns(4)
    weight_decay = _number(c7, "weight_decay", "train.weight_decay", current.weight_decay, limits, step=1e-4,
                           format="%.4f")
    patience = _number(c8, "patience", "train.patience", current.patience, limits)
    scheduler = _choice(c9, "scheduler", "train.scheduler", SCHEDULERS, current.scheduler,
                        format_func=lambda s: t(f"scheduler.{s}"))
    seed_value = _number(c10, "seed", "train.seed", current.seed, limits)
    return TrainConfig(epochs=int(epochs), batch_size=int(batch), lr=float(lr), optimizer=optimizer,
                       weight_decay=float(weight_decay), clip_norm=float(clip), loss=loss,
                       patience=int(patience), scheduler=scheduler, seed=int(seed_value),
                       max_seconds=current.max_seconds, device=current.device, probe_every=current.probe_every)
