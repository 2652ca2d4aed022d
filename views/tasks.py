"""The address of the former Text & labels page (/tasks), for the links made there: the link's experiment is
already set up (ui.links.restore reads it on the session's first page, whichever it is), and Train shows it."""

import streamlit as st

st.switch_page("views/train.py")
