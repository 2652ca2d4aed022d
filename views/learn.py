"""Learn: the equations of every cell, backpropagation through time, what each setting does."""

import streamlit as st

from ui import learn
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
for section, names in learn.settings_by_section():
    st.markdown(f"#### {t(f'learn.section.{section}')}")
    for name in names:
        st.markdown(f"**{t(f'setting.{name}')}** — {learn.explanation(name)}")
