"""RNN Lab's server: ``streamlit run app.py`` serves the pages of navigation.py through this ASGI app.

It adds what a page script cannot do: the route that sets the key cookies (HttpOnly, so no script in a
page can read them) and the security headers on every answer (ui/web.py; docs/ARCHITECTURE.md says why).
"""

import streamlit as st

from ui import web

app = st.App("navigation.py", routes=web.routes(), middleware=web.middleware())
