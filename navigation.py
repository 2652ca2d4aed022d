"""The script every page of RNN Lab runs (app.py serves it): page config, navigation over views/, and the
sidebar every page shares.

The page files live in views/, not pages/: with a pages/ folder beside the main script, Streamlit 1.67
serves a fresh server's first deep link (/train?...) the old folder-based navigation and never
runs this file for it, so a shared link opened first would lose its settings and the sidebar.
"""

from pathlib import Path

import streamlit as st

from rnncore.errors import SettingsError
from rnncore.store import load_settings
from ui import classroom, fragments, links, sidebar, state, workspace
from ui.errors import LOG, shielded
from ui.i18n import in_every_language, t

ICON = Path(__file__).resolve().parent / "docs" / "icon.png"  # a file of ours: no icon font fetched from the web
st.set_page_config(page_title="RNN Lab", page_icon=str(ICON), layout="wide")
try:  # the server's settings, read on every page: while they cannot be used, a page says why and nothing else
    load_settings()
except SettingsError as exc:
    LOG.error("RNN Lab's settings cannot be used: %s", exc)
    st.error(in_every_language("app.settings", exc), icon=":material/error:")
    st.stop()
state.native_loops()  # the explicit LSTM cells' C++ loops, built in the background the first time
workspace.attach()  # this browser's runs: the workspace of its cookie (or of a workspace link), else a new one
classroom.take_teacher_link()  # a teacher link's key: into this session and a cookie, out of the address
links.restore()  # a shared link (query parameters) sets up the experiment once per session

PAGES = [
    ("views/home.py", "nav.home", ":material/home:"),
    ("views/data.py", "nav.data", ":material/table_chart:"),
    ("views/train.py", "nav.train", ":material/play_circle:"),
    ("views/inside.py", "nav.inside", ":material/memory:"),
    ("views/evaluate.py", "nav.evaluate", ":material/query_stats:"),
    ("views/compare.py", "nav.compare", ":material/compare_arrows:"),
    ("views/sweep.py", "nav.sweep", ":material/travel_explore:"),
    ("views/classroom.py", "nav.classroom", ":material/groups:"),
    ("views/teacher.py", "nav.teacher", ":material/co_present:"),
    ("views/learn.py", "nav.learn", ":material/school:"),
]
MOVED = [("views/tasks.py", "tasks")]  # addresses of pages that went, kept for the links made there: hidden
page = st.navigation([st.Page(path, title=t(key), icon=icon, default=i == 0)
                      for i, (path, key, icon) in enumerate(PAGES)]
                     + [st.Page(path, url_path=address, visibility="hidden") for path, address in MOVED])
fragments.start_page(page)  # no fragment of another page reruns on this one
sidebar.draw()
with shielded(page.url_path or "home"):
    page.run()
links.publish()  # keep the URL in step with the experiment
