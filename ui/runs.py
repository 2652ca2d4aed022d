"""How a run is named for people, in the reader's language: "#3 LSTM 32×1 relu"."""

from __future__ import annotations

from ui.i18n import text


def run_label(run) -> str:
    """A run's (an ActiveRun's or a RunRecord's) number, cell and size, plus what sets it apart.

    Plain text (not Markdown): for pickers, legends and tables.
    """
    model = run.config.model
    parts = [text("run.label", id=run.id, cell=text(f"cell_short.{model.cell}"), hidden=model.hidden_size,
                  layers=model.num_layers)]
    if model.activation != "tanh":
        parts.append(model.activation)
    if model.forget_bias:
        parts.append(text("run.forget_bias", value=f"{model.forget_bias:g}"))
    return " ".join(parts)
