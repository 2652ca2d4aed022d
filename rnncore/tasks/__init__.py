"""The tasks beside forecasting (``data.task``): a character language model of a text (charlm.py) and
the classification of labelled sequences (classify.py), on the forecasting task's cells and training loop (run.py),
with their run in a thread (job.py), in the run store (recording.py), in files and zips (files.py).
"""
