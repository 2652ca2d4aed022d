"""RNN Lab: page config, navigation over pages/, and the sidebar every page shares."""

import streamlit as st

from ui import links, sidebar
from ui.i18n import t

st.set_page_config(page_title="RNN Lab", page_icon=":material/cyclone:", layout="wide")
links.restore()  # a shared link (query parameters) sets up the experiment once per session

PAGES = [
    ("pages/home.py", "nav.home", ":material/home:"),
    ("pages/data.py", "nav.data", ":material/table_chart:"),
    ("pages/train.py", "nav.train", ":material/play_circle:"),
    ("pages/inside.py", "nav.inside", ":material/memory:"),
    ("pages/evaluate.py", "nav.evaluate", ":material/query_stats:"),
    ("pages/compare.py", "nav.compare", ":material/compare_arrows:"),
    ("pages/learn.py", "nav.learn", ":material/school:"),
]
page = st.navigation([st.Page(path, title=t(key), icon=icon, default=i == 0)
                      for i, (path, key, icon) in enumerate(PAGES)])
sidebar.draw()
page.run()
links.publish(page.url_path)  # keep the URL in step with the experiment
