"""Widget groups: each draws its widgets and returns a plain config object.

Widget keys start with ``w.``. A page's widget values are dropped when the page is left,
so each widget is seeded from the Lab's config when it appears; the config, not the
widget, is what lasts.
"""

from __future__ import annotations

import streamlit as st

from rnncore.config import (
    ACTIVATIONS,
    CELLS,
    LOSSES,
    OPTIMIZERS,
    SCALERS,
    SCHEDULERS,
    ModelConfig,
    TrainConfig,
    WindowConfig,
)
from ui.i18n import t
from ui.settings import ServerLimits

LEARNING_RATES = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1.0]


def seed(key: str, value) -> str:
    """Give widget ``key`` the config's value when it has none yet; returns the key."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def forget_widgets() -> None:
    """Drop every widget value, so widgets show the config again (after a link or scenario)."""
    for key in [k for k in st.session_state if str(k).startswith("w.")]:
        del st.session_state[key]


def _nearest(options: list[float], value: float) -> float:
    return min(options, key=lambda o: abs(o - value))


def window_controls(current: WindowConfig, columns: list[str], target: str | None,
                    features: tuple[str, ...], limits: ServerLimits, sequences: bool):
    """Target, features, lookback, horizon, split and scaling -> (target, features, WindowConfig)."""
    if not sequences:
        left, right = st.columns(2)
        target = left.selectbox(t("data.target"), columns, help=t("data.target_help"),
                                key=seed("w.target", target if target in columns else columns[0]))
        chosen = [c for c in features if c in columns] or [target]
        features = tuple(right.multiselect(t("data.features"), columns, help=t("data.features_help"),
                                           key=seed("w.features", chosen)))
    c1, c2, c3 = st.columns(3)
    lookback = c1.number_input(t("data.lookback"), 1, limits.max_lookback, help=t("data.lookback_help"),
                               key=seed("w.lookback", min(current.lookback, limits.max_lookback)),
                               disabled=sequences)
    horizon = c2.number_input(t("data.horizon"), 1, 100, help=t("data.horizon_help"),
                              key=seed("w.horizon", current.horizon), disabled=sequences)
    scaler = c3.selectbox(t("data.scaler"), SCALERS, format_func=lambda s: t(f"scaler.{s}"),
                          help=t("data.scaler_help"), key=seed("w.scaler", current.scaler))
    c4, c5, c6 = st.columns(3)
    train_fraction = c4.slider(t("data.train_fraction"), 0.3, 0.9, step=0.05, help=t("data.train_help"),
                               key=seed("w.train_fraction", current.train_fraction))
    val_fraction = c5.slider(t("data.val_fraction"), 0.05, 0.4, step=0.05, help=t("data.val_help"),
                             key=seed("w.val_fraction", current.val_fraction))
    stride = c6.number_input(t("data.stride"), 1, 100, help=t("data.stride_help"),
                             key=seed("w.stride", current.stride))
    if train_fraction + val_fraction >= 0.95:
        st.warning(t("data.split_too_big"))
        val_fraction = round(0.95 - train_fraction, 2)
    window = WindowConfig(lookback=int(lookback), horizon=int(horizon), stride=int(stride),
                          train_fraction=float(train_fraction), val_fraction=float(val_fraction),
                          scaler=scaler)
    return target, features, window


def model_controls(current: ModelConfig) -> ModelConfig:
    """Cell type and size -> ModelConfig."""
    c1, c2, c3 = st.columns(3)
    cell = c1.selectbox(t("model.cell"), CELLS, format_func=lambda c: t(f"cell.{c}"),
                        help=t("model.cell_help"), key=seed("w.cell", current.cell))
    hidden = c2.number_input(t("model.hidden_size"), 1, 512, help=t("model.hidden_help"),
                             key=seed("w.hidden_size", current.hidden_size))
    layers = c3.number_input(t("model.num_layers"), 1, 4, help=t("model.layers_help"),
                             key=seed("w.num_layers", current.num_layers))
    c4, c5, c6 = st.columns(3)
    activations = ("tanh",) if cell == "gru" else ACTIVATIONS
    if st.session_state.get("w.activation") not in activations:
        st.session_state["w.activation"] = "tanh"
    activation = c4.selectbox(t("model.activation"), activations, help=t("model.activation_help"),
                              key=seed("w.activation", current.activation))
    dropout = c5.slider(t("model.dropout"), 0.0, 0.8, step=0.05, help=t("model.dropout_help"),
                        key=seed("w.dropout", current.dropout), disabled=layers < 2)
    forget_bias = c6.selectbox(t("model.forget_bias"), [0.0, 1.0], help=t("model.forget_bias_help"),
                               key=seed("w.forget_bias", 1.0 if current.forget_bias >= 0.5 else 0.0),
                               disabled=cell not in ("lstm", "article_lstm"))
    return ModelConfig(cell=cell, hidden_size=int(hidden), num_layers=int(layers),
                       dropout=float(dropout) if layers > 1 else 0.0, activation=activation,
                       forget_bias=float(forget_bias))


def train_controls(current: TrainConfig, limits: ServerLimits) -> TrainConfig:
    """Optimiser, loss, stopping rules and seed -> TrainConfig."""
    c1, c2, c3 = st.columns(3)
    epochs = c1.number_input(t("train.epochs"), 1, limits.max_epochs,
                             help=t("train.epochs_help", limit=limits.max_epochs),
                             key=seed("w.epochs", min(current.epochs, limits.max_epochs)))
    batch = c2.number_input(t("train.batch_size"), 1, 1024, help=t("train.batch_help"),
                            key=seed("w.batch_size", current.batch_size))
    lr = c3.select_slider(t("train.lr"), LEARNING_RATES, help=t("train.lr_help"),
                          format_func="{:g}".format, key=seed("w.lr", _nearest(LEARNING_RATES, current.lr)))
    c4, c5, c6 = st.columns(3)
    optimizer = c4.selectbox(t("train.optimizer"), OPTIMIZERS, format_func=lambda o: t(f"optimizer.{o}"),
                             help=t("train.optimizer_help"), key=seed("w.optimizer", current.optimizer))
    loss = c5.selectbox(t("train.loss"), LOSSES, format_func=lambda x: t(f"loss.{x}"),
                        help=t("train.loss_help"), key=seed("w.loss", current.loss))
    clip = c6.number_input(t("train.clip_norm"), 0.0, 100.0, step=0.5, help=t("train.clip_help"),
                           key=seed("w.clip_norm", current.clip_norm))
    c7, c8, c9, c10 = st.columns(4)
    weight_decay = c7.number_input(t("train.weight_decay"), 0.0, 1.0, step=1e-4, format="%.4f",
                                   help=t("train.weight_decay_help"),
                                   key=seed("w.weight_decay", current.weight_decay))
    patience = c8.number_input(t("train.patience"), 0, 1000, help=t("train.patience_help"),
                               key=seed("w.patience", current.patience))
    scheduler = c9.selectbox(t("train.scheduler"), SCHEDULERS, format_func=lambda s: t(f"scheduler.{s}"),
                             help=t("train.scheduler_help"), key=seed("w.scheduler", current.scheduler))
    seed_value = c10.number_input(t("train.seed"), 0, 2**31 - 1, help=t("train.seed_help"),
                                  key=seed("w.seed", current.seed))
    return TrainConfig(epochs=int(epochs), batch_size=int(batch), lr=float(lr), optimizer=optimizer,
                       weight_decay=float(weight_decay), clip_norm=float(clip), loss=loss,
                       patience=int(patience), scheduler=scheduler, seed=int(seed_value),
                       max_seconds=current.max_seconds, device=current.device,
                       probe_every=current.probe_every)
