"""The tasks beside forecasting (``data.task``), each a run the Trainer drives (rnncore.training.task): a
character language model of a text (charlm.py) and the classification of labelled sequences (classify.py); which
task a config names, its data and its run (build.py); a run's files and zips (files.py); scenarios.
"""
