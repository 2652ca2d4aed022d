"""Sweeps: Optuna studies over the declared settings, each trial a Trainer run.

``SearchSpace`` (space.py) derives each searched setting's range from its declaration; ``Sweep``
(sweep.py) runs a study's trials, seeded, pruned, within the server's limits, in Optuna's RDB storage on
the run store's database (storage.py); ``figures`` (figures.py) draws a study; ``SweepJob`` (job.py)
trains one in a background thread for a page. No Streamlit here.
"""

from rnncore.sweeps.figures import FIGURES, WORDS, figures, relabel
from rnncore.sweeps.job import SweepDesk, SweepJob
from rnncore.sweeps.space import DEFAULT_SEARCH, SEARCH_DEFAULTS, SEARCHABLE, Dimension, SearchSpace
from rnncore.sweeps.storage import SweepStorage
from rnncore.sweeps.sweep import PRUNERS, Plan, Sweep, TrialOutcome, check_plan, make_pruner

__all__ = ["DEFAULT_SEARCH", "FIGURES", "PRUNERS", "SEARCHABLE", "SEARCH_DEFAULTS", "Dimension", "Plan",
           "SearchSpace", "Sweep", "SweepDesk", "SweepJob", "SweepStorage", "TrialOutcome", "WORDS", "check_plan",
           "figures", "make_pruner", "relabel"]
