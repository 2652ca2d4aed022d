"""Pictures: Plotly figure builders (``plots``, ``cell_plots``) and what the Inside view computes (``inspection``).

Pure functions, no Streamlit: plain data in, a figure (or arrays) out.
"""
