"""Learn: the equations of every cell, backpropagation through time, what each setting does."""

import streamlit as st

from ui.i18n import t
from ui.learn import CELL_EQUATIONS

st.title(t("learn.title"))
st.markdown(t("learn.intro"))
for cell, equations in CELL_EQUATIONS.items():
    st.subheader(t(f"cell.{cell}"))
    st.markdown(t(f"learn.{cell}"))
    for equation in equations:
        st.latex(equation)
st.subheader(t("learn.article_vs_standard"))
st.markdown(t("learn.article_difference"))
st.subheader(t("learn.bptt"))
st.markdown(t("learn.bptt_text"))
st.subheader(t("learn.settings"))
for name in ("hidden_size", "num_layers", "lookback", "lr", "batch_size", "clip_norm", "forget_bias", "dropout",
             "patience", "scaler"):
    st.markdown(f"**{t(f'learn.setting.{name}.title')}** — {t(f'learn.setting.{name}')}")
