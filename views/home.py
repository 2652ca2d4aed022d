"""Home: what RNN Lab is, and one-click starts."""

import streamlit as st

from rnncore.lab.scenarios import SCENARIOS
from ui.actions import run_scenario, show_message
from ui.i18n import t

st.title(t("home.title"))
st.markdown(t("home.intro"))
show_message()

st.subheader(t("home.quick_starts"))
columns = st.columns(2)
for i, item in enumerate(SCENARIOS):
    with columns[i % 2].container(border=True):
        st.markdown(f"**{t(f'scenario.{item.key}.title')}**")
        st.caption(t(f"scenario.{item.key}.watch"))
        if st.button(t("home.start_scenario"), key=f"scenario.{item.key}", icon=":material/play_arrow:"):
            page = run_scenario(item.key)
            if page:
                st.switch_page(f"views/{page}.py")
            st.rerun()

st.subheader(t("home.own_data"))
st.markdown(t("home.own_data_text"))
st.page_link("views/data.py", label=t("home.go_data"), icon=":material/table_chart:")
