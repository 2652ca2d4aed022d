"""The equations of each cell, in LaTeX, with the gate names the heatmaps use.

Symbols match the rows of the "Inside the cell" heatmaps: i, f, o (input, forget, output
gates), g (the LSTM candidate), r, z (reset, update gates), n (the GRU candidate), h, c.
The weight names follow torch.nn (W_ih, W_hh, ...), except the article LSTM, which is
written as the source article writes it, with the concatenation [h_{t-1}, x_t].
The same for every language: the texts around them are in ui/lang/*_learn.py.
"""

from rnncore.config import SECTIONS
from ui.i18n import t
from ui.lang import en
from ui.state import server_limits

HEAD = r"\hat{y} = W_y\, h_T + b_y"

CELL_EQUATIONS: dict[str, list[str]] = {
    "rnn": [
        r"h_t = \tanh\left(W_{ih}\, x_t + b_{ih} + W_{hh}\, h_{t-1} + b_{hh}\right)",
        HEAD,
    ],
    "lstm": [
        r"\begin{aligned}"
        r"i_t &= \sigma\left(W_{ii}\, x_t + b_{ii} + W_{hi}\, h_{t-1} + b_{hi}\right) \\ "
        r"f_t &= \sigma\left(W_{if}\, x_t + b_{if} + W_{hf}\, h_{t-1} + b_{hf}\right) \\ "
        r"g_t &= \tanh\left(W_{ig}\, x_t + b_{ig} + W_{hg}\, h_{t-1} + b_{hg}\right) \\ "
        r"o_t &= \sigma\left(W_{io}\, x_t + b_{io} + W_{ho}\, h_{t-1} + b_{ho}\right)"
        r"\end{aligned}",
        r"\begin{aligned}"
        r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\ "
        r"h_t &= o_t \odot \tanh(c_t)"
        r"\end{aligned}",
        HEAD,
    ],
    "gru": [
        r"\begin{aligned}"
        r"r_t &= \sigma\left(W_{ir}\, x_t + b_{ir} + W_{hr}\, h_{t-1} + b_{hr}\right) \\ "
        r"z_t &= \sigma\left(W_{iz}\, x_t + b_{iz} + W_{hz}\, h_{t-1} + b_{hz}\right) \\ "
        r"n_t &= \tanh\left(W_{in}\, x_t + b_{in} + r_t \odot \left(W_{hn}\, h_{t-1} + b_{hn}\right)\right)"
        r"\end{aligned}",
        r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}",
        HEAD,
    ],
    "article_lstm": [
        r"\begin{aligned}"
        r"i_t &= \sigma\left(W_i\, [h_{t-1}, x_t] + b_i\right) \\ "
        r"f_t &= \sigma\left(W_f\, [h_{t-1}, x_t] + b_f\right) \\ "
        r"o_t &= \sigma\left(W_o\, [h_{t-1}, x_t] + b_o\right)"
        r"\end{aligned}",
        r"c_t = \tanh\left(\left(W_c\, [h_{t-1}, x_t]\right) \odot o_t + b_c\right)",
        r"h_t = f_t \odot h_{t-1} + i_t \odot c_t",
        HEAD,
    ],
}


def settings_by_section() -> list[tuple[str, list[str]]]:
    """Every declared setting, by config section (the data section's source and parameters are the
    Data page's, not settings to learn about)."""
    return [(section, [n for n in cls.SETTINGS if n not in ("source", "params")]) for section, cls in SECTIONS.items()]


def explanation(name: str) -> str:
    """The Learn page's longer text for a setting where there is one, else its help text."""
    key = f"learn.setting.{name}"
    cap = server_limits().run_limits().cap(name)
    return t(key) if key in en.STRINGS else t(f"setting.{name}.help", limit=f"{cap:g}" if cap else "")
