"""Tasks beside forecasting (issue 16): the character language model (charlm.py)."""
